"""Matplotlib figures of the study, from arrays and tables (layer 4).

Every function takes plain inputs -- images ``(n, n_pixels)`` / ``(n, h, w)`` /
``(n, bands, h, w)``, latents ``(n, latent_dim)``, class labels,
:class:`pandas.DataFrame` tables and histories -- so it works with any model, and never
imports torch.

Conventions:

- Single-panel functions take ``ax=None`` and multi-panel ones ``fig=None`` (an empty
  Figure or SubFigure); when None a new figure is made. All return the (sub)figure they
  drew in; ``fig.axes`` gives the panels.
- Images are one band ``(n, h, w)`` (greyscale, ``cmap``) or several ``(n, bands, h, w)``
  in wavelength order: three bands (g, r, i) are Lupton et al. (2004) colour composites
  (:func:`astropy.visualization.make_lupton_rgb`; g -> blue, r -> green, i -> red;
  ``rgb_stretch`` and ``rgb_Q`` set the stretch), two bands a composite with their mean
  as green, more bands the reddest band in greyscale.
- Images are drawn with ``origin="lower"`` (FITS convention); latent axes are labelled
  "Feat. 1", "Feat. 2", ... (0-based ``dims`` plus one), as in the seed study.
- Morphological classes have fixed, colour-blind-safe colours: :data:`CLASS_COLORS`.
- Parameters of a wrong type or out of range are rejected by scikit-learn's parameter
  validation (:func:`~sklearn.utils._param_validation.validate_params`), with an
  ``InvalidParameterError`` (a ``ValueError`` and ``TypeError``) naming the parameter.
- Bad inputs (mismatched lengths, wrong shapes) raise a ``ValueError`` naming the
  parameter.
"""

from ._base import CLASS_COLORS
from ._images import (
    plot_eigengalaxies,
    plot_images,
    plot_latent_traversal,
    plot_raw_vs_scaled,
    plot_reconstructions,
)
from ._latents import (
    plot_latent_scatter,
    plot_outliers_on_latent_map,
    plot_property_map,
)
from ._realism import plot_realism
from ._tables import plot_correlation_table, plot_model_comparison
from ._training import plot_training_curves

__all__ = [
    "CLASS_COLORS",
    "plot_correlation_table",
    "plot_eigengalaxies",
    "plot_images",
    "plot_latent_scatter",
    "plot_latent_traversal",
    "plot_model_comparison",
    "plot_outliers_on_latent_map",
    "plot_property_map",
    "plot_raw_vs_scaled",
    "plot_realism",
    "plot_reconstructions",
    "plot_training_curves",
]
