"""The one registry of the study's models and of the ``--loss`` choices.

Every part of the study that needs to know which models exist (the ``--model`` choices of
the command line, training, loading, the analysis and the report) reads :data:`REGISTRY`,
so a new model is one :class:`ModelSpec` here. Models are identified by their ``key``
(the file name under ``models/``, ``latents/`` and ``tables/``), shown by their ``name``.

Each model has an input: the study's bands (``--bands``, ``bands=None``), or the i band
alone (``bands="i"``). A study of several bands that include i also trains the i-only
arm (``vae_i``, ``pca_i``) on the same galaxies, so that the report compares colour
against the i band model by model; its models are then named with their bands
(``"VAE (gri)"`` beside ``"VAE (i)"``). A one-band study (``--bands i``, the default) is
exactly the study without bands.

This module imports no torch: the factories import :mod:`skgalvae.models` when called,
so ``skgalvae --help`` stays fast.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace

#: The ``--loss`` choices (the ``loss`` of the VAE and the autoencoder), default first.
LOSSES = ("analytic", "gaussian", "gaussian_pixel", "mse", "bce")
#: Default ``--loss``.
DEFAULT_LOSS = "analytic"
#: Default ``--channels``: convolution channels of the VAE and the autoencoder.
DEFAULT_CHANNELS = (4, 8, 16, 32, 64)


def _always(config):
    return True


@dataclass(frozen=True)
class ModelSpec:
    """One model of the study.

    Attributes
    ----------
    key : str
        File-name key: ``models/<key>.pkl``, ``latents/<key>.npy``,
        ``tables/*_<key>.csv``.
    name : str
        Display name in tables, figures and ``run.json`` (``"VAE"``, ``"PCA-12"``).
    choice : str
        The ``--model`` choice that selects it (``"all"`` selects every model).
    factory : callable
        ``factory(config) -> unfitted estimator``; ``config`` is the study's
        configuration (see :data:`skgalvae.study.DEFAULTS`).
    decodes : bool
        Whether it has a learned non-linear decoder whose latents the report traverses
        and diagnoses one by one (``inverse_transform`` and latent traversals).
    variational : bool
        Whether its encoder gives a posterior ``(mean, std)`` with a KL term per latent.
    enabled : callable, default=always
        ``enabled(config) -> bool``: whether the model takes part in this configuration.
    bands : str or None, default=None
        The bands it is fitted on: None for the study's bands (``config["bands"]``),
        ``"i"`` for the i band alone (the one-band images ``data/images_i.npy``).
    counterpart : str or None, default=None
        For a model of the i-only arm, the key of the model it repeats on the study's
        bands (``"vae"`` for ``"vae_i"``): the pair the report compares.
    """

    key: str
    name: str
    choice: str
    factory: Callable = field(repr=False)
    decodes: bool = False
    variational: bool = False
    enabled: Callable = field(default=_always, repr=False)
    bands: str = None
    counterpart: str = None

    def input_bands(self, config):
        """The bands this model is fitted on in ``config``: ``"gri"``, ``"i"``..."""
        return self.bands or config["bands"]

    def resolved(self, config):
        """This spec with its display name for ``config``.

        A model of the study's bands is named with them in a study of several bands that
        has an i-only arm (``"VAE (gri)"``); in any other study its name is unchanged.
        """
        if self.bands is None and has_i_arm(config):
            return replace(self, name=f"{self.name} ({config['bands']})")
        return self


def has_i_arm(config):
    """Whether ``config`` trains the i-only arm: several bands, i among them."""
    bands = config.get("bands", "i")
    return len(bands) > 1 and "i" in bands


def _net_params(config):
    return dict(latent_dim=config["latent_dim"], channels=tuple(config["channels"]),
                loss=config["loss"], max_epochs=config["epochs"],
                random_state=config["seed"], device=config["device"],
                verbose=config["verbose"])


def _vae(config):
    from ..models import GalaxyVAE

    return GalaxyVAE(beta=config["beta"], **_net_params(config))


def _ae(config):
    from ..models import GalaxyAutoencoder

    return GalaxyAutoencoder(**_net_params(config))


def _pca(config):
    from ..models import EigengalaxyPCA

    return EigengalaxyPCA(n_components=config["latent_dim"], random_state=config["seed"])


def _pca_12(config):
    from ..models import EigengalaxyPCA

    return EigengalaxyPCA(n_components=12, random_state=config["seed"])


#: Every model of the study, in the order of tables and figures.
REGISTRY = (
    ModelSpec("vae", "VAE", "vae", _vae, decodes=True, variational=True),
    ModelSpec("ae", "AE", "ae", _ae, decodes=True, variational=False),
    ModelSpec("pca", "PCA", "pca", _pca),
    # the seed's 12-component eigengalaxies, when the main PCA has fewer
    ModelSpec("pca_12", "PCA-12", "pca", _pca_12,
              enabled=lambda config: config["latent_dim"] < 12),
    # the i-only arm of a multi-band study: the same models on the i band alone
    ModelSpec("vae_i", "VAE (i)", "vae", _vae, decodes=True, variational=True,
              enabled=has_i_arm, bands="i", counterpart="vae"),
    ModelSpec("pca_i", "PCA (i)", "pca", _pca, enabled=has_i_arm, bands="i",
              counterpart="pca"),
)
#: The ``--model`` choices.
MODEL_CHOICES = (*dict.fromkeys(spec.choice for spec in REGISTRY), "all")


def build_model(spec, config):
    """The unfitted estimator of ``spec`` for ``config``, told its input's image shape.

    Images of several bands are flat rows of ``c * s * s`` pixels: the estimator gets
    ``image_shape=(c, s, s)``; one-band images keep the estimator's default (inferred
    from the square rows), exactly as in a study without bands.
    """
    model = spec.factory(config)
    bands = spec.input_bands(config)
    if len(bands) > 1:
        size = config["image_size"]
        model.set_params(image_shape=(len(bands), size, size))
    return model


def get_spec(key):
    """Return the :class:`ModelSpec` whose ``key`` is ``key``."""
    for spec in REGISTRY:
        if spec.key == key:
            return spec
    msg = f"no model {key!r} in the study's registry; known: {[s.key for s in REGISTRY]}."
    raise KeyError(msg)


def selected_specs(config):
    """Return the specs ``config`` selects (``config["model"]``), in registry order.

    Each spec is :meth:`ModelSpec.resolved` for ``config`` (its display name).
    """
    choice = config["model"]
    if choice not in MODEL_CHOICES:
        msg = f"--model {choice!r} is not a model of the study; choose from {MODEL_CHOICES}."
        raise ValueError(msg)
    return [spec.resolved(config) for spec in REGISTRY
            if choice in ("all", spec.choice) and spec.enabled(config)]
