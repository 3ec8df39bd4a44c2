"""
==============================================
Preprocessing the bundled SDSS i-band cutouts
==============================================

skgalvae ships 100 raw SDSS DR17 i-band cutouts (150x150 pixels, 0.396 arcsec per pixel,
flux in nanomaggies, sky subtracted) of galaxies from the original study. Raw cutouts are
not what a model should see: most of their pixels are sky noise, the galaxy's light spans
several decades, companions sit in the frame, and the galaxy's orientation is arbitrary.

:func:`~skgalvae.preprocessing.make_preprocessing_pipeline` chains the study's steps as a
scikit-learn :class:`~sklearn.pipeline.Pipeline`: background subtraction, masking of
companions and stars, recentring, rotation of the major axis to the horizontal,
resizing, and an asinh ("log") stretch to [0, 1]. This example runs it on the sample
and shows what each step does.
"""

# %%
# Load the sample
# ---------------
# The loader returns a :class:`~sklearn.utils.Bunch` like scikit-learn's loaders: the
# images as ``(n, h, w)``, the same pixels flattened as ``data`` ``(n, h*w)`` (the shape
# every skgalvae transformer takes and returns), and a catalog with positions.
import matplotlib.pyplot as plt
import numpy as np

from skgalvae.datasets import load_sdss_sample
from skgalvae.plotting import plot_images, plot_raw_vs_scaled
from skgalvae.preprocessing import (
    BackgroundSubtractor,
    CompanionMasker,
    make_preprocessing_pipeline,
)

sample = load_sdss_sample()
print(sample.images.shape, sample.data.shape, sample.data.dtype)
print(sample.catalog.head(3))

# %%
# Raw flux spans decades: the central pixels of a bright galaxy are hundreds of times
# the sky noise, so with a linear display only the core shows.
raw = sample.data
print(f"median |pixel| {np.median(np.abs(raw)):.3f}, 99.99th percentile "
      f"{np.percentile(raw, 99.99):.1f} nanomaggies")

# %%
# Build and run the pipeline
# --------------------------
# 64x64 output images; every step is an ordinary transformer with ``fit`` and
# ``transform``, so the pipeline can be cloned, cached (``memory=``), cross-validated and
# extended with a model.
pipe = make_preprocessing_pipeline(output_shape=64)
print(pipe)
X = pipe.fit_transform(sample.data)
print(X.shape, X.dtype, float(X.min()), float(X.max()))

# %%
# Raw against preprocessed
# ------------------------
# The top row shows raw cutouts with a linear display, the bottom row the same galaxies
# after the pipeline: centred, rotated so that the major axis is horizontal, 64x64 and
# asinh-stretched, so that the faint outskirts that carry the disc's shape become
# visible.
fig = plot_raw_vs_scaled(raw, X, n=6)
fig.set_size_inches(10, 3.6)
plt.show()

# %%
# One step at a time
# ------------------
# Slicing a pipeline gives the steps so far; here one galaxy after each step. The
# geometric steps keep the 150x150 frame; ``resize`` makes it 64x64.
galaxy = sample.data[[1]]
fig, axes = plt.subplots(1, len(pipe.steps), figsize=(10, 2.4))
for i, (ax, (name, _)) in enumerate(zip(axes, pipe.steps), start=1):
    out = pipe[:i].transform(galaxy)[0]          # the first i steps
    side = int(np.sqrt(out.size))
    image = out.reshape(side, side)
    lo, hi = np.percentile(image, [1, 99.5])
    ax.imshow(image, origin="lower", cmap="gray", vmin=lo, vmax=hi)
    ax.set_title(f"{name} ({side}x{side})")
    ax.set_axis_off()
plt.show()

# %%
# Companions and stars
# --------------------
# The ``mask`` step, :class:`~skgalvae.preprocessing.CompanionMasker`, finds the other
# sources in the frame by photutils segmentation and deblending, keeps the one at the
# centre, and replaces the others by the target's light at the point-symmetric position
# (sky noise where that falls outside the frame or on another source). Left to stay,
# a neighbour pulls the centroid and the major axis, and a model spends latent capacity
# on it. Top: sky-subtracted cutouts; bottom: masked.
crowded = BackgroundSubtractor().fit_transform(sample.data[[6, 8, 14, 17]])
masked = CompanionMasker().fit_transform(crowded)
fig = plot_images(np.concatenate([crowded, masked]), stretch="asinh", ncols=4)
fig.set_size_inches(8, 4.2)
plt.show()

# %%
# The choice of stretch
# ---------------------
# ``LogScaler`` applies ``arcsinh(x / stretch)`` (linear near the noise, logarithmic for
# bright pixels, as in SDSS colour images) or ``log1p``; ``stretch`` sets the flux where
# the curve turns logarithmic, about the sky noise per pixel. A larger stretch suppresses
# the outskirts.
variants = {
    "stretch=0.01": make_preprocessing_pipeline(output_shape=64, stretch=0.01),
    "stretch=0.05": pipe,
    "stretch=1": make_preprocessing_pipeline(output_shape=64, stretch=1.0),
    "log1p": make_preprocessing_pipeline(output_shape=64, log_method="log"),
}
images = [p.fit(sample.data[:8]).transform(galaxy)[0] for p in variants.values()]
fig = plot_images(np.array(images), titles=list(variants), ncols=4)
fig.set_size_inches(8, 2.4)
plt.show()
