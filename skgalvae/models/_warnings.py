"""Warnings of the latent models."""

from sklearn.exceptions import ConvergenceWarning


class InactiveLatentWarning(UserWarning):
    """A latent variable of a fitted VAE carries (almost) no information.

    Raised at the end of :meth:`GalaxyVAE.fit <skgalvae.models.GalaxyVAE.fit>` when the
    variance of a latent's posterior mean across the training images is below 0.01
    (an "inactive unit", Burda, Grosse & Salakhutdinov 2016): the posterior of that
    latent has collapsed onto the prior, so its traversal changes nothing and its
    correlations are noise. The message names the latents and what to try.

    Examples
    --------
    >>> import warnings
    >>> from skgalvae.models import InactiveLatentWarning
    >>> issubclass(InactiveLatentWarning, UserWarning)
    True
    """


class UndertrainedWarning(ConvergenceWarning):
    """A :meth:`fit` returned a network that saw too little training to be trusted.

    Raised at the end of :meth:`GalaxyVAE.fit <skgalvae.models.GalaxyVAE.fit>` (and the
    autoencoder's) when training took a single gradient step in all (one epoch of one
    batch), or when it was stopped inside an epoch (a callback ended training before the
    epoch's loss was recorded, so the last row of ``history_`` holds NaN). The model is
    fitted, but its latents are close to those of an untrained network. The message says
    what happened and what to change (``max_epochs``, ``batch_size``, the callback).

    A subclass of :class:`sklearn.exceptions.ConvergenceWarning`, so filters on that
    warning cover it too.

    Examples
    --------
    >>> from sklearn.exceptions import ConvergenceWarning
    >>> from skgalvae.models import UndertrainedWarning
    >>> issubclass(UndertrainedWarning, ConvergenceWarning)
    True
    """
