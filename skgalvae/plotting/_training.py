"""Training curves from a per-epoch history table."""

import re

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import validate_params

from ._base import FIG_CONSTRAINT, OKABE_ITO, HasAnyAttribute, get_axes_grid

_PANELS = (
    ("reconstruction", ("recon",)),
    ("KL divergence", ("kl",)),
    ("loss", ("loss",)),
)
_SKIP = {"epoch", "dur", "lr"}
_PER_LATENT = re.compile(r"train_kl_\d+")


def _history_frame(history):
    """Return ``history`` as a DataFrame (one row per epoch)."""
    for attr in ("history_", "history"):
        if not isinstance(history, pd.DataFrame | list | tuple | dict) and hasattr(
            history, attr
        ):
            history = getattr(history, attr)
            break
    if isinstance(history, pd.DataFrame):
        frame = history
    elif isinstance(history, dict):
        frame = pd.DataFrame(history)
    else:
        try:
            rows = list(history)
        except TypeError:  # an object's history_ that is not a table
            rows = [history]
        if not all(isinstance(r, dict) for r in rows):
            msg = (
                "history must be a DataFrame, a dict of per-epoch lists, a list of "
                "per-epoch dicts (e.g. a skorch History) or an object with a history_ "
                f"attribute; got {type(history).__name__}."
            )
            raise ValueError(msg)
        frame = pd.DataFrame(rows)
    if len(frame) == 0:
        msg = "history is empty: train for at least one epoch."
        raise ValueError(msg)
    return frame


def _curve_columns(frame):
    """Group the numeric per-epoch columns into panels ``{title: [columns]}``."""
    numeric = [
        c for c in frame.columns
        if str(c) not in _SKIP and not str(c).endswith("_best")
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
        and frame[c].notna().any()
    ]
    panels, used = {}, set()
    per_latent = [c for c in numeric if _PER_LATENT.fullmatch(str(c))]
    if per_latent:  # GalaxyVAE's train_kl_0, train_kl_1, ...: a collapsed latent shows
        panels["KL per latent"] = per_latent
        used.update(per_latent)
    for title, keys in _PANELS:
        cols = [c for c in numeric
                if c not in used and any(k in str(c).lower() for k in keys)]
        if cols:
            panels[title] = cols
            used.update(cols)
    order = [t for t in ("loss", "reconstruction", "KL divergence", "KL per latent")
             if t in panels]
    return {t: panels[t] for t in order}


def _style(column):
    name = str(column).lower()
    if _PER_LATENT.fullmatch(name):
        return {"color": OKABE_ITO[int(name.rsplit("_", 1)[1]) % len(OKABE_ITO)],
                "linestyle": "-"}
    if name.startswith("train"):
        return {"color": OKABE_ITO[0], "linestyle": "-"}
    if name.startswith(("valid", "val_", "test")):
        return {"color": OKABE_ITO[1], "linestyle": "--"}
    return {"color": "black", "linestyle": ":"}


@validate_params(
    {
        "history": [pd.DataFrame, list, tuple, dict, HasAnyAttribute(["history_", "history"])],
        "logy": ["boolean"],
        "fig": FIG_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_training_curves(history, *, logy=False, fig=None):
    """Plot per-epoch losses: the total loss, and its parts when the history has them.

    Columns whose name contains "loss" go in a "loss" panel; those containing "recon" in
    a "reconstruction" panel and "kl" in a "KL divergence" panel (the VAE's two terms
    have different scales); the KL of each latent (``train_kl_0``, ``train_kl_1``, ...,
    in :attr:`GalaxyVAE.history_ <skgalvae.models.GalaxyVAE.history_>`) in a
    "KL per latent" panel, one colour each, where a collapsed latent shows as a line
    at 0. Training columns (``train_*``) are solid, validation columns
    (``valid_*``) dashed. Columns "epoch", "dur", "lr", booleans (skorch's ``*_best``),
    non-numeric ones and all-NaN ones (no validation split) are not plotted.

    Parameters
    ----------
    history : DataFrame, list of dict, dict of lists, or object with ``history_``
        One row per epoch, e.g. ``model.history_``, a skorch ``History`` or
        ``pd.DataFrame(model.history_)``; an object's ``history_`` (or ``history``,
        as a skorch net's) attribute is read. An "epoch" column gives the x axis (default
        1, 2, ...).
    logy : bool, default=False
        Logarithmic loss axes.
    fig : Figure or SubFigure, optional
        An empty (sub)figure to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure or SubFigure
        The (sub)figure drawn in: one axes per panel present (1 to 4), one line per
        column, each axes with a legend of its column names.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skgalvae.plotting import plot_training_curves
    >>> history = [{"epoch": e, "train_loss": 1 / e, "valid_loss": 1.2 / e}
    ...            for e in range(1, 6)]
    >>> fig = plot_training_curves(history)
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), [line.get_label() for line in ax.get_lines()]
    ('epoch', ['train_loss', 'valid_loss'])
    """
    frame = _history_frame(history)
    panels = _curve_columns(frame)
    if not panels:
        msg = (
            f"history has no numeric loss column (a name containing 'loss', 'recon' or "
            f"'kl'); it has: {[str(c) for c in frame.columns]}."
        )
        raise ValueError(msg)
    if "epoch" in frame.columns:
        epochs = frame["epoch"].to_numpy()
    else:
        epochs = np.arange(1, len(frame) + 1)
    fig, axes = get_axes_grid(fig, 1, len(panels), panel_size=3.4)
    for ax, (title, columns) in zip(axes[0], panels.items()):
        for column in columns:
            values = frame[column].to_numpy(dtype=float)
            ax.plot(epochs, values, label=str(column),
                    marker="o" if len(frame) < 15 else None, markersize=3,
                    **_style(column))
        ax.set_xlabel("epoch")
        ax.set_ylabel(title)
        if logy:
            ax.set_yscale("log")
        ax.legend(frameon=False, fontsize="small")
    return fig
