"""
===================================================
Is the simulator realistic? Real and simulated sets
===================================================

Every figure measured on simulated galaxies is only as good as the simulator's
resemblance to real ones. :func:`~skgalvae.analysis.compare_to_real` puts the 100 real
SDSS i-band cutouts bundled with skgalvae and a simulated set through the same
preprocessing, then compares them statistic by statistic: the structural parameters
astronomers use (concentration C, asymmetry A, Gini, M20, R50; statmorph), the pixel
statistics the models see and the PCA eigen-spectrum. Here the default simulator and
``make_galaxies(preset="sdss")``, tuned to those cutouts, face the same real galaxies.
The user guide's page on the simulator has the full tables, on 500 galaxies.
"""

# %%
# The real cutouts and two simulated sets
# ---------------------------------------
import matplotlib.pyplot as plt
import pandas as pd

from skgalvae.analysis import compare_to_real
from skgalvae.datasets import load_sdss_sample, make_galaxies
from skgalvae.plotting import plot_realism

real = load_sdss_sample().images
default = make_galaxies(100, random_state=0).images
tuned = make_galaxies(100, preset="sdss", random_state=0).images
print(real.shape, default.shape, tuned.shape)

# %%
# One table per simulated set
# ---------------------------
# Each row holds the two medians and the two-sample Kolmogorov-Smirnov statistic; the
# goals are KS <= 0.2 for the structural parameters and a PCA-12 (cumulative explained
# variance of the first 12 components) within 0.05 of the real set's. The eigen-spectra
# are compared at the same number of galaxies, since a sample's explained-variance
# ratios fall with its size: with sets of different sizes the larger set's spectrum is
# the mean over random subsets of the smaller set's size (the notes then say so). With
# 100 galaxies a side, every statistic fluctuates from one simulated sample to the
# next (a KS statistic by about 0.05, PCA-12 by about 0.03).
results = {name: compare_to_real(real, sim, return_measurements=True, random_state=0)
           for name, sim in (("default", default), ("preset='sdss'", tuned))}
summary = pd.DataFrame({name: res.table["simulated"] for name, res in results.items()})
summary.insert(0, "real", results["default"].table["real"])
for name, res in results.items():
    summary[f"KS {name}"] = res.table["ks_statistic"]
print(summary.round(3).to_string())

# %%
# The distributions behind the preset's table
# -------------------------------------------
# :func:`~skgalvae.plotting.plot_realism` draws each statistic's two histograms and the
# two eigen-spectra (the band: one standard deviation over the size-matched subsets).
res = results["preset='sdss'"]
fig = plot_realism(res.measurements, res.spectra, table=res.table)
fig.set_size_inches(12, 7)
plt.show()
