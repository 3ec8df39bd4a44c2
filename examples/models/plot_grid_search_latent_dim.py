"""
=================================================
Choosing the latent size with GridSearchCV
=================================================

How many latent features does a galaxy need? A VAE's :meth:`~skgalvae.models.GalaxyVAE.score`
is the mean evidence lower bound (ELBO) of held-out images, a bound on their
log-likelihood that does not depend on the latent size, so scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` can pick ``latent_dim`` without any labels:
each candidate is trained on the training folds and scored on the images it has not seen.

The data here are tiny (24x24 images, a few epochs) so that twelve fits run in seconds;
the ranking, not the values, is what to look at.
"""

# %%
# Preprocessed images
# -------------------
# Every preprocessing step works on one image at a time and learns nothing from the
# others (``LogScaler`` normalises each image by its own maximum), so preprocessing once
# before the search leaks nothing between folds. With steps that *learn* from the data
# (``LogScaler(normalize="global")``, PCA), put them in the pipeline being searched.
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import GridSearchCV, KFold

from skgalvae.datasets import make_galaxies
from skgalvae.models import GalaxyVAE
from skgalvae.preprocessing import make_preprocessing_pipeline

sim = make_galaxies(600, image_size=64, random_state=0, cache=True)
clean = sim.catalog["class"].isin(["spiral", "elliptical"]).to_numpy()
X = make_preprocessing_pipeline(output_shape=24).fit_transform(sim.data[clean])
print(X.shape)

# %%
# The search
# ----------
# ``validation_fraction=None`` turns off the VAE's internal early-stopping split: the
# cross-validation already holds data out. The folds are shuffled because catalogs are
# often sorted.
vae = GalaxyVAE(channels=(8, 16), hidden_dim=32, max_epochs=6, lr=3e-3,
                validation_fraction=None, random_state=0)
search = GridSearchCV(vae, {"latent_dim": [1, 2, 4, 8]},
                      cv=KFold(3, shuffle=True, random_state=0))
search.fit(X)
print("best latent_dim:", search.best_params_["latent_dim"])

results = pd.DataFrame(search.cv_results_)[
    ["param_latent_dim", "mean_test_score", "std_test_score", "mean_fit_time"]]
print(results.round(2).to_string(index=False))

# %%
# Held-out ELBO against latent size
# ---------------------------------
# Higher is better. More latents can reconstruct better, but every latent that carries
# information costs its KL divergence to the prior; the held-out ELBO weighs the two.
# With training this short the differences are small and the ranking can change with
# more data and epochs: treat this as the recipe, not the answer. (The study kept two
# latents, for interpretability.)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.errorbar(results["param_latent_dim"].astype(int), results["mean_test_score"],
            yerr=results["std_test_score"], marker="o", capsize=3)
ax.set_xscale("log", base=2)
ax.set_xlabel("latent_dim")
ax.set_ylabel("held-out ELBO per image (nats)")
fig.tight_layout()
plt.show()

# %%
# In a pipeline the parameter is addressed through the step name, for instance
# ``GridSearchCV(pipe, {"latent__latent_dim": [2, 4, 8, 16]})`` for a pipeline whose
# last step is ``("latent", GalaxyVAE())``; the same grid can swap the model itself:
# ``{"latent": [GalaxyVAE(), EigengalaxyPCA(n_components=12)]}`` (PCA's score is its
# probabilistic-PCA log-likelihood, a different scale: compare models by what they
# predict, see the other examples, rather than by this score).
