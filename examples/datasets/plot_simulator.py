"""
==========================================
Simulated SDSS-like galaxies with GalSim
==========================================

:func:`~skgalvae.datasets.make_galaxies` renders i-band cutouts of galaxies whose truth is
known: a Sersic bulge and an exponential disc (with bars, spiral arms and star-forming
knots), seen through an SDSS-like PSF with sky and Poisson noise, in five classes --
spirals, ellipticals, edge-on discs, mergers and irregulars, the last three being those
that Galaxy Zoo 2 selections remove. Each galaxy also gets physical properties from
published scaling relations and Galaxy Zoo 2 style votes drawn from its morphology. The
result is a :class:`~sklearn.utils.Bunch` like the real loaders'.
"""

# %%
# A few galaxies of each class
# ----------------------------
import matplotlib.pyplot as plt
import numpy as np

from skgalvae.datasets import make_galaxies
from skgalvae.plotting import CLASS_COLORS, plot_images
from skgalvae.preprocessing import LogScaler

sim = make_galaxies(40, image_size=96, return_noiseless=True, random_state=1)
print(sim.images.shape, sim.data.shape, sim.image_shape, sim.pixel_scale)
print(sim.catalog[["class", "bulge_fraction", "half_light_radius_arcsec", "sersic_n",
                   "axis_ratio", "redshift", "magnitude"]].head().round(2))

# %%
# The images are in nanomaggies, like the real cutouts; an asinh stretch
# (:class:`~skgalvae.preprocessing.LogScaler`) shows the faint parts. Top: one galaxy of
# each class with noise; bottom: the same galaxies without noise.
classes = ["spiral", "elliptical", "edge_on", "merger", "irregular"]
first = [int(np.flatnonzero(sim.catalog["class"] == c)[0]) for c in classes
         if (sim.catalog["class"] == c).any()]
scaler = LogScaler()
shown = np.concatenate([scaler.fit_transform(sim.data[first]),
                        scaler.fit_transform(sim.images_noiseless[first])])
titles = [sim.catalog["class"][i] for i in first] + ["(noiseless)"] * len(first)
fig = plot_images(shown, titles=titles, ncols=len(first))
fig.set_size_inches(2 * len(first), 4.4)
plt.show()

# %%
# Scaling relations in the catalog
# --------------------------------
# A larger simulated set (cached on disk after the first call with ``cache=True``) shows
# the relations the properties were drawn from: the mass-size relation of Shen et al.
# (2003), the star-forming sequence of Salim et al. (2007) with quiescent ellipticals
# below it, and the age-mass relation of Gallazzi et al. (2005). The Petrosian radius
# ``petro_r50`` is measured on each noiseless image, as SDSS measures it.
big = make_galaxies(600, image_size=64, random_state=0, cache=True).catalog
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
for name, group in big.groupby("class"):
    kw = dict(s=6, alpha=0.6, color=CLASS_COLORS.get(name), label=name)
    axes[0].scatter(group["log_stellar_mass"], group["half_light_radius_kpc"], **kw)
    axes[1].scatter(group["log_stellar_mass"], group["log_ssfr"], **kw)
    axes[2].scatter(group["log_stellar_mass"], group["age"], **kw)
axes[0].set_yscale("log")
for ax, ylabel in zip(axes, ["half-light radius [kpc]", "log sSFR [1/yr]", "age [Gyr]"]):
    ax.set_xlabel("log stellar mass [Msun]")
    ax.set_ylabel(ylabel)
axes[2].legend(markerscale=3, fontsize="small")
fig.tight_layout()
plt.show()

# %%
# Galaxy Zoo 2 style votes
# ------------------------
# Each simulated volunteer walks the GZ2 decision tree, so the vote columns have the
# real catalog's names and each question's fractions sum to one. The "smooth" fraction
# follows the bulge fraction.
fig, ax = plt.subplots(figsize=(5, 3.6))
for name, group in big.groupby("class"):
    ax.scatter(group["bulge_fraction"], group["t01_smooth_or_features_a01_smooth_fraction"],
               s=6, alpha=0.6, color=CLASS_COLORS.get(name), label=name)
ax.set_xlabel("true bulge fraction B/T")
ax.set_ylabel("GZ2 smooth fraction")
ax.legend(markerscale=3, fontsize="small")
fig.tight_layout()
plt.show()

# %%
# ``DESCR`` documents the model and the source of every relation.
print(sim.DESCR[:1200])
