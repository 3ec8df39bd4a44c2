"""Warnings of the latent models."""


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
