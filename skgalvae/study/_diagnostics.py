"""Per-latent diagnostics of a decoding model: is each latent used, and what does it do?"""

import numpy as np
import pandas as pd

from ..models._base import ACTIVE_VARIANCE

#: Values each latent takes in the traversal whose effect is measured.
TRAVERSAL_VALUES = np.linspace(-2, 2, 7)
#: A latent is active when the std of its posterior mean over galaxies exceeds this:
#: the models' own test (variance > 0.01, Burda, Grosse & Salakhutdinov 2016).
ACTIVE_STD = float(np.sqrt(ACTIVE_VARIANCE))


def kl_per_latent(mean, std):
    """Mean over galaxies of ``KL(N(mean, std^2) || N(0, 1))`` per latent, in nats.

    Parameters
    ----------
    mean, std : ndarray of shape (n_galaxies, latent_dim)
        Posterior means and standard deviations (``model.encode(X)``).

    Returns
    -------
    ndarray of shape (latent_dim,)
    """
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(std, dtype=float) ** 2
    return (0.5 * (mean ** 2 + var - 1 - np.log(np.maximum(var, 1e-300)))).mean(axis=0)


def latent_diagnostics(model, X, *, variational, feature_names=None):
    """One row per latent: spread, KL, activity and traversal effect.

    Parameters
    ----------
    model : fitted GalaxyVAE or GalaxyAutoencoder
        With ``encode`` (posterior mean and std) and ``inverse_transform``.
    X : array-like of shape (n_galaxies, n_pixels)
        The galaxies to measure on (the study passes its held-out clean galaxies).
    variational : bool
        Whether the model has a KL term (else the KL columns are NaN).
    feature_names : list of str, default=None
        Row labels; None: ``model.get_feature_names_out()``.

    Returns
    -------
    table : pandas.DataFrame
        Columns: ``posterior_mean_std`` (std over galaxies of each latent's posterior
        mean), ``kl_nats`` (mean KL to the prior on ``X``, in nats), ``kl_nats_model``
        (the model's own ``kl_per_latent_`` when it has one), ``active``
        (``posterior_mean_std > 0.1``), ``traversal_effect``
        (:func:`skgalvae.models.traversal_effect` over ``-2 .. 2``) and
        ``traversal_effect_relative`` (to the largest latent's).
    """
    from ..models import traversal_effect

    mean, std = model.encode(X)
    mean = np.asarray(mean, dtype=float)
    names = list(model.get_feature_names_out()) if feature_names is None else feature_names
    d = mean.shape[1]
    nan = np.full(d, np.nan)
    spread = mean.std(axis=0)
    kl = kl_per_latent(mean, std) if variational else nan
    kl_model = getattr(model, "kl_per_latent_", None)
    kl_model = np.asarray(kl_model, dtype=float).ravel() if kl_model is not None else nan
    if kl_model.shape != (d,):
        kl_model = nan
    effect_table = traversal_effect(model, values=TRAVERSAL_VALUES)
    effect = effect_table["effect"].to_numpy()
    table = pd.DataFrame({
        "posterior_mean_std": spread,
        "kl_nats": kl,
        "kl_nats_model": kl_model,
        "active": spread > ACTIVE_STD,
        "traversal_effect": effect,
        "traversal_effect_relative": effect_table["relative"].to_numpy(),
    }, index=pd.Index(names, name="latent"))
    return table
