"""Numbers and tables from latents and catalogs (layer 3).

- :func:`latent_correlations` -- Pearson / Spearman r of each latent with each
  property, with bootstrap intervals, p-values and counts;
- :func:`property_scores` -- cross-validated R^2 / RMSE of properties from the latents
  (encoder refitted inside each fold when one is given);
- :func:`class_distributions` -- per-class latent statistics and separability;
- :func:`ood_scores`, :func:`ood_auroc`, :func:`ood_auroc_table` -- anomaly scores
  from ``score_samples`` and their AUROC;
- :func:`disentanglement_scores`, :func:`ground_truth_recovery` -- MIG, DCI and
  recovery of simulator ground truth;
- :func:`compare_to_real` -- how far simulated images are from real ones (pixel
  statistics, structural parameters, PCA eigen-spectra).

Every function takes any latents array (or any fitted estimator with ``transform`` /
``score_samples``): nothing here depends on a particular model.
"""

from ._classes import class_distributions
from ._correlations import latent_correlations
from ._disentanglement import (
    GROUND_TRUTH_FACTORS,
    disentanglement_scores,
    ground_truth_recovery,
)
from ._latents import EmptyPropertyWarning
from ._ood import ood_auroc, ood_auroc_table, ood_scores
from ._property_scores import default_regressors, property_scores
from ._realism import compare_to_real
from ._structure import STRUCTURAL_PARAMETERS, gaussian_psf, structural_parameters

__all__ = [
    "EmptyPropertyWarning",
    "GROUND_TRUTH_FACTORS",
    "STRUCTURAL_PARAMETERS",
    "class_distributions",
    "compare_to_real",
    "default_regressors",
    "disentanglement_scores",
    "gaussian_psf",
    "ground_truth_recovery",
    "latent_correlations",
    "ood_auroc",
    "ood_auroc_table",
    "ood_scores",
    "property_scores",
    "structural_parameters",
]
