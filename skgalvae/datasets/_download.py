"""The one download helper every fetcher shares: cached, atomic, checked, retried.

- cached: a file already in the cache is not downloaded again (when a hash is known, it
  is checked first and a stale file is replaced);
- atomic: a file is written under a temporary name and renamed when complete (pooch),
  so an interrupted download leaves nothing under the final name;
- checked: the SHA-256 of the downloaded bytes must match ``known_hash`` when one is
  given; a mismatch raises ``ValueError`` and keeps nothing;
- retried: network errors (and mismatches, which are often truncated transfers) are
  retried with exponential backoff;
- resumable at the batch level: :func:`download_many` skips the files already present,
  so an interrupted batch fetches only what is missing.
"""

import time
from pathlib import Path

import pooch
import requests

from ..utils._progress import progress

#: Errors worth another try: the network, the server, a truncated transfer.
RETRY_ERRORS = (requests.exceptions.RequestException, OSError, ValueError)


def with_retries(func, *, retries=3, backoff=1.0, errors=RETRY_ERRORS, what="call"):
    """Call ``func()`` until it succeeds, at most ``retries + 1`` times.

    Sleeps ``backoff * 2**attempt`` seconds between attempts and re-raises the last
    error, with ``what`` named in a note.
    """
    for attempt in range(retries + 1):
        try:
            return func()
        except errors as exc:
            if attempt == retries:
                exc.add_note(f"{what} failed {retries + 1} time(s).")
                raise
            time.sleep(backoff * 2**attempt)
    return None  # pragma: no cover


def _normalise_hash(known_hash):
    if known_hash is None:
        return None
    known_hash = str(known_hash).strip()
    if ":" not in known_hash:
        known_hash = f"sha256:{known_hash}"
    return known_hash.lower()


def download_file(url, path, *, known_hash=None, retries=3, backoff=1.0, timeout=60,
                  verbose=0):
    """Download ``url`` to ``path`` unless it is already there; return the path.

    Parameters
    ----------
    url : str
    path : str or path-like
        Final location of the file (its folder is created).
    known_hash : str, default=None
        Expected SHA-256, as hex or ``"sha256:<hex>"`` (pooch's format; ``"md5:..."``
        also works). None skips the check, for remote files whose hash nobody could
        verify yet: the file is then trusted as downloaded.
    retries : int, default=3
        Extra attempts after a failure.
    backoff : float, default=1.0
        Seconds before the first retry, doubled after each failure.
    timeout : float, default=60
        Seconds of network silence before an attempt fails.
    verbose : int, default=0
        Show a byte-level progress bar when > 0.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        The downloaded file's hash differs from ``known_hash`` (nothing is kept).
    requests.exceptions.RequestException or OSError
        The download failed after all retries.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    known_hash = _normalise_hash(known_hash)
    downloader = pooch.HTTPDownloader(progressbar=bool(verbose), timeout=timeout)

    def fetch():
        return pooch.retrieve(url, known_hash=known_hash, fname=path.name,
                              path=path.parent, downloader=downloader)

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("INFO" if verbose else "WARNING")
    try:
        with_retries(fetch, retries=retries, backoff=backoff,
                     what=f"Downloading {url}")
    finally:
        logger.setLevel(level)
    return path


def download_many(items, folder, *, retries=3, backoff=1.0, timeout=60, verbose=0):
    """Download ``items`` (an iterable of ``(url, filename, known_hash)``) to ``folder``.

    Files already present are skipped (after a hash check when a hash is given): run it
    again after an interruption and only the missing files are fetched. Returns the
    list of paths in the order of ``items``.
    """
    folder = Path(folder)
    items = list(items)
    paths = []
    for url, name, known_hash in progress(items, verbose=verbose, total=len(items),
                                          desc="download", unit="file"):
        paths.append(download_file(url, folder / name, known_hash=known_hash,
                                   retries=retries, backoff=backoff, timeout=timeout))
    return paths
