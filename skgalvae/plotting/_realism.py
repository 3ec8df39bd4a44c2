"""Real against simulated galaxies: the distributions of their statistics."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, validate_params

from ._base import FIG_CONSTRAINT, OKABE_ITO, get_axes_grid, grid_shape

#: Colours of the two sets: black for the real galaxies, blue for the simulated ones.
_SET_COLORS = {"real": OKABE_ITO[7], "simulated": OKABE_ITO[0]}


def _check_measurements(measurements):
    if not isinstance(measurements, pd.DataFrame):
        msg = ("measurements must be a DataFrame with columns 'set', 'statistic' and "
               "'value' (compare_to_real(..., return_measurements=True).measurements); "
               f"got {type(measurements).__name__}.")
        raise ValueError(msg)
    missing = {"set", "statistic", "value"} - set(measurements.columns)
    if missing:
        msg = (f"measurements lacks the column(s) {sorted(missing)}: it needs 'set', "
               "'statistic' and 'value', as compare_to_real returns them.")
        raise ValueError(msg)
    if measurements.empty:
        msg = "measurements is empty: it needs at least one value."
        raise ValueError(msg)
    return measurements


def _check_spectra(spectra):
    if spectra is None:
        return None
    frame = pd.DataFrame(spectra)
    missing = {"real", "simulated"} - set(frame.columns)
    if missing or frame.empty:
        msg = ("spectra must be a non-empty DataFrame with columns 'real' and "
               "'simulated' (compare_to_real(..., return_measurements=True).spectra).")
        raise ValueError(msg)
    return frame


@validate_params(
    {
        "measurements": [pd.DataFrame],
        "spectra": [pd.DataFrame, None],
        "table": [pd.DataFrame, None],
        "statistics": [list, tuple, None],
        "bins": [Interval(Integral, 1, None, closed="left")],
        "ncols": [Interval(Integral, 1, None, closed="left")],
        "fig": FIG_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def plot_realism(measurements, spectra=None, *, table=None, statistics=None, bins=20,
                 ncols=4, fig=None):
    """Histograms of real against simulated galaxies per statistic, and their spectra.

    One panel per statistic (normalised histograms of the two sets, on common bins),
    then, when ``spectra`` is given, the PCA eigen-spectra of the two sets (explained
    variance ratio per component, log scale), as :func:`skgalvae.analysis.
    compare_to_real` returns them with ``return_measurements=True``.

    Parameters
    ----------
    measurements : pandas.DataFrame
        Long table with columns ``set`` ("real" / "simulated"), ``statistic`` and
        ``value``: one row per galaxy and statistic.
    spectra : pandas.DataFrame, optional
        Explained variance ratio per component (index), columns ``real`` and
        ``simulated``; where a column ``real_std`` or ``simulated_std`` is positive
        (the spread over compare_to_real's size-matched subsets) a band of one
        standard deviation is drawn around that set's spectrum.
    table : pandas.DataFrame, optional
        The comparison table (index ``statistic``, column ``ks_statistic``; for the
        eigen-spectrum a ``pca_cumulative_*`` row with ``real`` and ``simulated``):
        the values are written into the panels' titles.
    statistics : list of str, optional
        The statistics to show, in this order; None shows all of ``measurements``.
    bins : int, default=20
        Histogram bins (shared by the two sets).
    ncols : int, default=4
        Panels per row at most.
    fig : Figure or SubFigure, optional
        An empty (sub)figure to draw in; a new figure is made when None.

    Returns
    -------
    fig : Figure or SubFigure
        One axes per statistic titled by its name (and its KS statistic when ``table``
        is given), then the eigen-spectrum axes when ``spectra`` is given.

    See Also
    --------
    skgalvae.analysis.compare_to_real : the numbers behind the figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skgalvae.analysis import compare_to_real
    >>> from skgalvae.plotting import plot_realism
    >>> rng = np.random.default_rng(0)
    >>> res = compare_to_real(rng.normal(size=(30, 16, 16)), rng.normal(size=(30, 16, 16)),
    ...                       preprocessing=None, n_components=5, pca_at=3,
    ...                       structural=False, return_measurements=True)
    >>> fig = plot_realism(res.measurements, res.spectra, table=res.table)
    >>> [ax.get_title().split(" (")[0] for ax in fig.axes]
    ['sky_level', 'sky_noise', 'total_flux', 'flux_to_peak', 'PCA eigen-spectrum']
    """
    data = _check_measurements(measurements)
    spectra = _check_spectra(spectra)
    present = list(dict.fromkeys(data["statistic"].astype(str)))
    if statistics is None:
        names = present
    else:
        names = [str(s) for s in statistics]
        unknown = [s for s in names if s not in present]
        if unknown or not names:
            msg = (f"statistics {unknown or names} not in measurements, which holds "
                   f"{present}.")
            raise ValueError(msg)
    n_panels = len(names) + (spectra is not None)
    nrows, ncols = grid_shape(n_panels, ncols)
    fig, axes = get_axes_grid(fig, nrows, ncols, panel_size=2.4)
    flat = list(axes.flat)
    for ax in flat[n_panels:]:
        ax.remove()
    for ax, name in zip(flat, names, strict=False):
        rows = data[data["statistic"].astype(str) == name]
        values = {k: rows.loc[rows["set"] == k, "value"].to_numpy(dtype=float)
                  for k in ("real", "simulated")}
        values = {k: v[np.isfinite(v)] for k, v in values.items()}
        both = np.concatenate(list(values.values()))
        lo, hi = (np.percentile(both, [0.5, 99.5]) if len(both) else (0.0, 1.0))
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, bins + 1)
        for key, vals in values.items():
            if len(vals):
                ax.hist(np.clip(vals, lo, hi), bins=edges, density=True,
                        histtype="step", lw=1.6, color=_SET_COLORS[key],
                        label=f"{key} ({len(vals)})")
        title = name
        if table is not None and name in table.index and "ks_statistic" in table:
            title += f" (KS {float(table.loc[name, 'ks_statistic']):.2f})"
        ax.set_title(title, fontsize="small")
        ax.set_yticks([])
        ax.tick_params(labelsize="x-small")
    if names:
        flat[0].legend(fontsize="x-small", frameon=False)
    if spectra is not None:
        ax = flat[len(names)]
        for key in ("real", "simulated"):
            values = spectra[key].to_numpy(dtype=float)
            ax.plot(spectra.index, values, marker="o", ms=3, color=_SET_COLORS[key],
                    label=key)
            spread = spectra.get(f"{key}_std")
            if spread is not None and (spread.to_numpy(dtype=float) > 0).any():
                spread = spread.to_numpy(dtype=float)  # over the size-matched subsets
                ax.fill_between(spectra.index, np.clip(values - spread, 1e-12, None),
                                values + spread, color=_SET_COLORS[key], alpha=0.2,
                                linewidth=0)
        ax.set_yscale("log")
        ax.set_xlabel("component", fontsize="x-small")
        ax.set_ylabel("explained variance ratio", fontsize="x-small")
        ax.tick_params(labelsize="x-small")
        title = "PCA eigen-spectrum"
        if table is not None:
            pca = [i for i in table.index if str(i).startswith("pca_cumulative_")]
            if pca and np.isfinite(float(table.loc[pca[0], "real"])):
                k = str(pca[0]).rsplit("_", 1)[1]
                title += (f" (cumul. {k}: real {float(table.loc[pca[0], 'real']):.2f}, "
                          f"sim. {float(table.loc[pca[0], 'simulated']):.2f})")
        ax.set_title(title, fontsize="small")
        ax.legend(fontsize="x-small", frameon=False)
    return fig
