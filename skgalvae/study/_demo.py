"""The short demo: load the bundled SDSS sample, preprocess it, summarise."""

import time

import numpy as np

from ..datasets import load_sdss_sample
from ..preprocessing import make_preprocessing_pipeline


def run_demo(*, output_shape=64, n_jobs=None, out=print):
    """Preprocess the bundled SDSS sample and print a summary; return the images."""
    start = time.perf_counter()
    sample = load_sdss_sample(n_jobs=n_jobs)
    loaded = time.perf_counter()
    pipe = make_preprocessing_pipeline(output_shape=output_shape, n_jobs=n_jobs)
    X = pipe.fit_transform(sample.images)
    done = time.perf_counter()
    raw = sample.data
    before_rotation = pipe[:list(pipe.named_steps).index("rotate")]
    angles = pipe.named_steps["rotate"].orientations(before_rotation.transform(sample.images))
    out(f"skgalvae demo: {len(raw)} real SDSS i-band cutouts bundled with the package")
    out(f"  raw images     : {sample.image_shape}, flux median {np.median(raw):.4f}, "
        f"per-image max {np.percentile(raw.max(1), 5):.2f}-"
        f"{np.percentile(raw.max(1), 95):.2f} (5-95%)")
    out(f"  major axes     : median |angle| {np.median(np.abs(angles)):.1f} deg before "
        "rotation")
    out(f"  pipeline       : {' -> '.join(name for name, _ in pipe.steps)}")
    out(f"  processed      : {X.shape} {X.dtype}, values in [{X.min():.2f}, {X.max():.2f}], "
        f"mean {X.mean():.3f}")
    out(f"  time           : load {loaded - start:.2f} s, preprocess {done - loaded:.2f} s "
        f"({len(X) / (done - loaded):.0f} images/s)")
    return X
