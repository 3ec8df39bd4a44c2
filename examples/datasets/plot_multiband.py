"""
==========================================================
Galaxies in three bands (g, r, i): colour from the pixels
==========================================================

Colour is the strongest single tracer of star formation and stellar age. The simulator
draws the same galaxy in several SDSS bands (``make_galaxies(bands="gri")``): bulge and
disc coloured by their stellar populations, with each band's own PSF and sky noise. The
images travel as ``(n, 3, h, w)`` cubes, or flat rows of ``3 * h * w`` values with
``image_shape=(3, h, w)``; the preprocessing measures each galaxy's geometry once, on
the i band, and applies it to every band; the plots show Lupton et al. (2004) colour
composites.
"""

# %%
# Simulated gri cutouts
# ---------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_score, train_test_split

from skgalvae.datasets import make_galaxies
from skgalvae.models import EigengalaxyPCA
from skgalvae.plotting import plot_images
from skgalvae.preprocessing import make_preprocessing_pipeline

sim = make_galaxies(240, image_size=64, bands="gri", random_state=0)
print(sim.images.shape, sim.image_shape, sim.bands)
print(sim.catalog[["class", "log_ssfr", "mag_g", "mag_r", "mag_i"]].head().round(2))

# %%
# Preprocessing keeps the bands aligned
# -------------------------------------
# Flat rows of several bands need ``image_shape=(c, h, w)``. ``reference_band=-1`` (the
# default: i, the last of g, r, i) is where the centre, the major axis and the companion
# mask are measured; ``log_channels="joint"`` (the default) scales all bands with one
# stretch, which keeps the colours.
pipe = make_preprocessing_pipeline(image_shape=sim.image_shape, output_shape=32,
                                   mask_companions=False)
X = pipe.fit_transform(sim.data)
shape = (3, 32, 32)
order = np.argsort(sim.catalog["log_ssfr"].to_numpy())
shown = np.r_[order[:4], order[-4:]]
titles = [f"log sSFR {v:.1f}" for v in sim.catalog["log_ssfr"].to_numpy()[shown]]
fig = plot_images(X[shown], titles=titles, ncols=4, image_shape=shape)
fig.set_size_inches(8, 4.4)
plt.show()

# %%
# Does colour help? Eigengalaxies on gri against i alone
# ------------------------------------------------------
# The same galaxies, the i channel alone or all three bands; PCA is fitted on a training
# split, and log sSFR is predicted from the held-out galaxies' components with
# cross-validated linear regression. (``benchmarks/bench_multiband.py`` does this at
# scale for PCA-16 and VAE-16; the user guide reports its numbers.)
X_i = make_preprocessing_pipeline(output_shape=32, mask_companions=False).fit_transform(
    sim.images[:, 2])
y = sim.catalog["log_ssfr"].to_numpy()
train, test = train_test_split(np.arange(len(y)), test_size=0.5, random_state=0)
for name, data, image_shape in [("i", X_i, (32, 32)), ("gri", X, shape)]:
    pca = EigengalaxyPCA(n_components=8, image_shape=image_shape, random_state=0)
    Z = pca.fit(data[train]).transform(data[test])
    r2 = cross_val_score(LinearRegression(), Z, y[test], cv=5, scoring="r2").mean()
    print(f"{name:>3}: held-out R^2 of log sSFR from 8 eigengalaxies = {r2:.2f}")

# %%
# The first eigengalaxies of the gri set, as composites: colour gradients (a red bulge
# in a bluer disc) are among the leading modes.
fig = plot_images(pca.components_as_images()[:4], ncols=4,
                  titles=[f"component {k}" for k in range(4)])
fig.set_size_inches(8, 2.4)
plt.show()
