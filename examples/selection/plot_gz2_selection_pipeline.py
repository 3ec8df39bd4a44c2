"""
=====================================================
Galaxy Zoo 2 selection, before or inside a pipeline
=====================================================

The study trains on galaxies that Galaxy Zoo 2 (GZ2) volunteers did not call edge-on or
"odd" (mergers, irregulars, lenses, dust lanes...), and labels the rest spiral,
elliptical or uncertain from the vote fractions (Willett et al. 2013). skgalvae offers
the same cuts two ways:

- *catalog first*: :func:`~skgalvae.selection.gz2_selection_mask` and
  :func:`~skgalvae.selection.gz2_morphology` on the catalog, then build ``X`` and ``y``
  from the rows you keep;
- *in the pipeline*: :class:`~skgalvae.selection.GZ2Selector`, a sampler in
  imbalanced-learn's sense, which drops rows while the pipeline is *fitted* and lets
  every row through afterwards.

The simulated galaxies come with GZ2-style votes drawn from their true morphology, so
the cuts can be compared with the truth.
"""

# %%
# Catalog first
# -------------
import matplotlib.pyplot as plt
import pandas as pd
from imblearn.pipeline import Pipeline
from sklearn.compose import ColumnTransformer

from skgalvae.datasets import make_galaxies
from skgalvae.models import EigengalaxyPCA
from skgalvae.plotting import plot_latent_scatter
from skgalvae.preprocessing import make_preprocessing_pipeline
from skgalvae.selection import GZ2Selector, gz2_morphology, gz2_selection_mask

sim = make_galaxies(600, image_size=64, random_state=0, cache=True)
catalog = sim.catalog
print(catalog.filter(like="t01_smooth_or_features").columns.tolist()[:4])

keep = gz2_selection_mask(catalog)      # boolean array: edge-on and odd removed
label = gz2_morphology(catalog)         # spiral / elliptical / uncertain / merger / ...
print(pd.crosstab(catalog["class"], pd.Series(label, name="GZ2 label"), margins=True))

# %%
# Rows are true classes, columns the labels from the votes. The edge-on and "odd"
# questions catch the edge-on discs, mergers and irregulars; galaxies that pass neither
# clean cut (0.8 of the votes for "smooth" or for "features or disk") are "uncertain",
# most of them spirals here. The population mask keeps spirals, ellipticals and
# uncertain galaxies:
print(pd.crosstab(catalog["class"], pd.Series(keep, name="kept")))

# %%
# In an imbalanced-learn pipeline
# -------------------------------
# A scikit-learn transformer cannot drop rows, so ``GZ2Selector`` is a sampler: its
# ``fit_resample`` returns the kept rows of ``X`` (and ``y``), and
# :class:`imblearn.pipeline.Pipeline` calls it only during ``fit``. ``X`` is a DataFrame
# that carries the vote columns beside the pixels; a
# :class:`~sklearn.compose.ColumnTransformer` then hands the model only the pixels.
# (The preprocessing works image by image and learns nothing, so it is done once here.)
pixels = make_preprocessing_pipeline(output_shape=32).fit_transform(sim.data)
pixel_columns = [f"pixel{i}" for i in range(pixels.shape[1])]
vote_columns = [c for c in catalog.columns if c.startswith("t0")]
X = pd.concat([pd.DataFrame(pixels, columns=pixel_columns), catalog[vote_columns]],
              axis=1)

pipe = Pipeline([
    ("select", GZ2Selector(exclude=("edge_on", "odd"))),
    ("pixels", ColumnTransformer([("images", "passthrough", pixel_columns)])),
    ("latent", EigengalaxyPCA(n_components=2)),
])
pipe.fit(X)
print(f"fitted on {len(pipe.named_steps['select'].sample_indices_)} of {len(X)} galaxies")

# %%
# After fitting, the selector steps aside: ``transform`` gives one row per input
# galaxy, so galaxies the model never trained on -- here the mergers and irregulars --
# can be projected into the learned latent space.
Z = pipe.transform(X)
print(Z.shape)
fig = plot_latent_scatter(Z, label)
fig.axes[0].set_title("all galaxies, labelled from their votes")
plt.show()

# %%
# Because the votes travel inside ``X``, every scikit-learn splitter cuts the votes and
# the pixels together: ``cross_validate(pipe, X)`` or ``GridSearchCV(pipe, ...)`` select
# the population within each training fold. To *score* on the clean population only,
# select the rows first (the catalog-first way).
