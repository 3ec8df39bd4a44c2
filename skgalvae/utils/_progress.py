"""Progress reporting that ``verbose=0`` silences."""

from tqdm.auto import tqdm


def progress(iterable, *, verbose=0, total=None, desc=None, unit="it"):
    """Wrap ``iterable`` in a tqdm progress bar when ``verbose > 0``.

    Parameters
    ----------
    iterable : iterable
    verbose : int, default=0
        0 is silent; any positive value shows the bar (on stderr).
    total : int, default=None
    desc : str, default=None
    unit : str, default="it"
    """
    if not verbose:
        return iterable
    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=False)
