"""Galaxy Zoo 2 selection of the galaxy population and morphology labels (layer 1).

- :func:`gz2_selection_mask` -- which galaxies to keep (edge-on / odd removed);
- :func:`gz2_morphology` -- spiral / elliptical / uncertain (/ merger, irregular,
  edge_on) from the vote fractions;
- :class:`GZ2Selector` -- the same selection as a fit-time sampler for
  :class:`imblearn.pipeline.Pipeline`.

Thresholds are parameters (``thresholds=`` dicts overriding :data:`DEFAULT_THRESHOLDS`),
with defaults from Willett et al. (2013), MNRAS 435, 2835.
"""

from ._gz2 import DEFAULT_THRESHOLDS, gz2_morphology, gz2_selection_mask
from ._selector import GZ2Selector

__all__ = ["DEFAULT_THRESHOLDS", "GZ2Selector", "gz2_morphology", "gz2_selection_mask"]
