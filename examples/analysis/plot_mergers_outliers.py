"""
=======================================
Mergers and irregulars as outliers
=======================================

The study trains on a clean population -- Galaxy Zoo 2 removes edge-on and "odd"
galaxies -- and then asks where mergers and irregulars, never seen in training, land.
A generative model also says how *typical* a galaxy is: ``score_samples`` is a VAE's
per-galaxy evidence lower bound (ELBO) and PCA's probabilistic log-likelihood, so its
negative (:func:`~skgalvae.analysis.ood_scores`) is an anomaly score, and
:func:`~skgalvae.analysis.ood_auroc_table` measures how well it tells the unseen
classes from held-out normal galaxies.
"""

# %%
# Train on spirals and ellipticals only
# -------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from skgalvae.analysis import ood_auroc_table, ood_scores
from skgalvae.datasets import make_galaxies
from skgalvae.models import EigengalaxyPCA, GalaxyVAE
from skgalvae.plotting import plot_outliers_on_latent_map
from skgalvae.preprocessing import make_preprocessing_pipeline

sim = make_galaxies(600, image_size=64, random_state=0, cache=True)
klass = sim.catalog["class"].to_numpy()
normal = np.flatnonzero(np.isin(klass, ["spiral", "elliptical"]))
train, test = train_test_split(normal, test_size=0.3, random_state=0)

vae = Pipeline([
    ("prep", make_preprocessing_pipeline(output_shape=32)),
    ("latent", GalaxyVAE(latent_dim=2, channels=(8, 16, 32), hidden_dim=64,
                         max_epochs=30, lr=3e-3, random_state=0)),
]).fit(sim.data[train])
pca = clone(vae).set_params(latent=EigengalaxyPCA(n_components=2)).fit(sim.data[train])

# %%
# How well does the likelihood flag the unseen classes?
# -----------------------------------------------------
# The AUROC is the probability that a random merger (or irregular) scores as more
# anomalous than a random held-out spiral or elliptical: 0.5 is chance, 1 perfect.
outliers = {name: sim.data[klass == name] for name in ("merger", "irregular")}
table = ood_auroc_table({"VAE": vae, "PCA": pca}, sim.data[test], outliers)
print(table.round(3))

# %%
# The distribution of anomaly scores, per class, for the VAE.
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, X in {"held-out normal": sim.data[test], **outliers}.items():
    ax.hist(ood_scores(vae, X), bins=25, histtype="step", density=True, label=name)
ax.set_xlabel("anomaly score (negative ELBO, nats)")
ax.set_ylabel("density")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# Where the outliers land
# -----------------------
# The training population as a density map, the unseen galaxies on top, in the VAE's
# latent plane.
Z_train = vae.transform(sim.data[train])
X_out = np.concatenate(list(outliers.values()))
labels_out = np.repeat(list(outliers), [len(x) for x in outliers.values()])
fig = plot_outliers_on_latent_map(Z_train, vae.transform(X_out), labels_out,
                                  train_labels=klass[train])
plt.show()
