"""Figures from analysis tables: correlation heatmaps and model-comparison bars.

Tables are wide :class:`pandas.DataFrame` objects of numbers: the row and column labels
become the figure's tick labels.
"""

from numbers import Real

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from sklearn.utils._param_validation import Interval, validate_params

from ._base import AX_CONSTRAINT, CMAP_CONSTRAINT, OKABE_ITO, feature_label, get_ax


def _check_table(table, name, *, default_columns=None):
    """Return ``table`` as a DataFrame of floats, or raise naming ``name``."""
    if not isinstance(table, pd.DataFrame):
        arr = np.asarray(table)
        if arr.ndim != 2:
            msg = f"{name} must be a 2-D table (a DataFrame); got shape {arr.shape}."
            raise ValueError(msg)
        columns = default_columns(arr.shape[1]) if default_columns else None
        table = pd.DataFrame(arr, columns=columns)
    if isinstance(table.columns, pd.MultiIndex):
        stats = list(dict.fromkeys(table.columns.get_level_values(0)))
        msg = (
            f"{name} has two-level columns (statistic, feature): select one statistic, "
            f"e.g. {name}[{stats[0]!r}]; statistics found: {stats}."
        )
        raise ValueError(msg)
    if table.size == 0:
        msg = f"{name} is empty: it needs at least one row and one column."
        raise ValueError(msg)
    bad = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if bad:
        msg = (
            f"{name} has non-numeric column(s) {bad}: pass a table of numbers only "
            f"(e.g. table[numeric_columns] or table.set_index(...))."
        )
        raise ValueError(msg)
    return table.astype(float)


@validate_params(
    {
        "table": ["array-like"],
        "pvalues": ["array-like", None],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "fmt": [str],
        "cmap": CMAP_CONSTRAINT,
        "vmax": [Interval(Real, 0, None, closed="neither")],
        "cbar_label": [str],
        "ax": AX_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_correlation_table(table, *, pvalues=None, alpha=0.05, fmt="{:.2f}",
                           cmap="RdBu_r", vmax=1.0, cbar_label="correlation",
                           ax=None):
    """Draw a correlation table as an annotated heatmap centred on 0.

    The seed's correlation tables: rows are properties (or classes), columns latent
    features, each cell coloured on a diverging map from ``-vmax`` to ``vmax`` and
    annotated with its value.

    Parameters
    ----------
    table : DataFrame of shape (n_properties, n_features)
        Correlations. A table with two-level columns ``(statistic, feature)``, as
        ``skgalvae.analysis.latent_correlations`` returns, is read through its ``"r"``
        columns (and ``"p_value"`` columns for ``pvalues``). A 2-D array gets columns
        "Feat. 1", "Feat. 2", ...
    pvalues : DataFrame of the same shape, optional
        p-values of the correlations; cells with ``p < alpha`` get a ``*``.
    alpha : float in [0, 1], default=0.05
        Significance level for the ``*``.
    fmt : str, default="{:.2f}"
        Format of the annotations; NaN cells read "n/a".
    cmap : str or Colormap, default="RdBu_r"
        Diverging colour map.
    vmax : float, default=1.0
        Colour limits are ``[-vmax, vmax]`` (``vmax > 0``).
    cbar_label : str, default="correlation"
        Label of the colourbar.
    ax : matplotlib Axes, optional
        Axes to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure
        The figure holding the heatmap axes (one image, one text per cell) and its
        colourbar.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skgalvae.plotting import plot_correlation_table
    >>> table = pd.DataFrame({"Feat. 1": [0.72, -0.05], "Feat. 2": [-0.03, 0.33]},
    ...                      index=["R50", "log sSFR"])
    >>> fig = plot_correlation_table(table)
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['0.72', '-0.03', '-0.05', '0.33']
    """
    if isinstance(table, pd.DataFrame) and isinstance(table.columns, pd.MultiIndex):
        stats = set(table.columns.get_level_values(0))
        if "r" in stats:
            if pvalues is None and "p_value" in stats:
                pvalues = table["p_value"]
            table = table["r"]
    table = _check_table(table, "table",
                         default_columns=lambda k: [feature_label(i) for i in range(k)])
    if pvalues is not None:
        pvalues = _check_table(pvalues, "pvalues")
        if pvalues.shape != table.shape:
            msg = (
                f"pvalues has shape {pvalues.shape} but table has {table.shape}: give "
                f"one p-value per correlation."
            )
            raise ValueError(msg)
    values = table.to_numpy()
    n_rows, n_cols = values.shape
    fig, ax = get_ax(ax, figsize=(1.1 * n_cols + 3.5, 0.42 * n_rows + 1.4))
    image = ax.imshow(values, cmap=cmap, norm=Normalize(-vmax, vmax), aspect="auto")
    for i in range(n_rows):
        for j in range(n_cols):
            v = values[i, j]
            text = "n/a" if np.isnan(v) else fmt.format(v)
            if pvalues is not None and pvalues.iat[i, j] < alpha:
                text += "*"
            dark = not np.isnan(v) and abs(v) > 0.6 * vmax
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    color="white" if dark else "black")
    ax.set_xticks(range(n_cols), [str(c) for c in table.columns])
    ax.set_yticks(range(n_rows), [str(r) for r in table.index])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.colorbar(image, ax=ax, label=cbar_label)
    return fig


@validate_params(
    {
        "table": ["array-like"],
        "errors": ["array-like", None],
        "ylabel": [str],
        "annotate": ["boolean"],
        "palette": [dict, None],
        "ax": AX_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_model_comparison(table, *, errors=None, ylabel="score", annotate=True,
                          palette=None, ax=None):
    """Compare models on several metrics with grouped bars.

    The study's "VAE vs PCA" figure: one group of bars per metric (R^2 per property,
    class separability, OOD AUROC, ...), one bar per model.

    Parameters
    ----------
    table : DataFrame of shape (n_metrics, n_models)
        Index: metric names; columns: model names (e.g. "VAE", "AE", "PCA"). Transpose a
        table with models as rows.
    errors : DataFrame of the same shape, optional
        Error bars (e.g. the standard deviation over CV folds).
    ylabel : str, default="score"
        Label of the y axis.
    annotate : bool, default=True
        Write each bar's value above it.
    palette : dict, optional
        Colour of each model; default the Okabe & Ito palette in column order.
    ax : matplotlib Axes, optional
        Axes to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure
        The figure holding the axes: one bar container per model (``ax.containers``)
        with one bar per metric, and a legend listing the models.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skgalvae.plotting import plot_model_comparison
    >>> table = pd.DataFrame({"VAE": [0.55, 0.93], "PCA": [0.41, 0.88]},
    ...                      index=["R^2 log R50", "separability"])
    >>> fig = plot_model_comparison(table)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['VAE', 'PCA']
    """
    table = _check_table(table, "table")
    if errors is not None:
        errors = _check_table(errors, "errors")
        if errors.shape != table.shape:
            msg = (
                f"errors has shape {errors.shape} but table has {table.shape}: give "
                f"one error per value."
            )
            raise ValueError(msg)
    palette = {} if palette is None else dict(palette)
    n_metrics, n_models = table.shape
    width_in = max(4.0, 1.1 * n_metrics * max(1, n_models / 2) + 1.5)
    fig, ax = get_ax(ax, figsize=(width_in, 3.8))
    x = np.arange(n_metrics)
    width = 0.8 / n_models
    for k, model in enumerate(table.columns):
        heights = table[model].to_numpy()
        yerr = None if errors is None else errors.iloc[:, k].to_numpy()
        color = palette.get(model, OKABE_ITO[k % len(OKABE_ITO)])
        bars = ax.bar(x + (k - (n_models - 1) / 2) * width, heights, width, yerr=yerr,
                      label=str(model), color=color, capsize=2)
        if annotate:
            labels = ["" if np.isnan(h) else f"{h:.2f}" for h in heights]
            ax.bar_label(bars, labels=labels, fontsize="x-small", padding=1)
    names = [str(m) for m in table.index]
    rotate = max(len(n) for n in names) > 12
    ax.set_xticks(x, names, rotation=30 if rotate else 0,
                  ha="right" if rotate else "center")
    if np.nanmin(table.to_numpy(), initial=0.0) < 0:
        ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    return fig
