"""The one download helper every fetcher shares: cached, atomic, checked, retried.

- cached: a file already in the cache is not downloaded again (when a hash is known, it
  is checked first and a stale file is replaced);
- atomic: a file is written under a temporary name and renamed when complete (pooch),
  so an interrupted download leaves nothing under the final name;
- checked: the body's length must match the ``Content-Length`` the server announced (a
  connection closed early raises :class:`IncompleteDownloadError`, even without a known
  hash), and the SHA-256 of the downloaded bytes must match ``known_hash`` when one is
  given (a mismatch raises ``ValueError``); either way nothing is kept;
- retried: network errors (and mismatches, which are often truncated transfers) are
  retried with exponential backoff;
- resumable at the batch level: :func:`download_many` skips the files already present,
  so an interrupted batch fetches only what is missing.

pooch and requests are optional (the ``fetch`` extra): they are imported when a download
starts, so ``import skgalvae.datasets`` works without them.
"""

import time
from pathlib import Path

from ..utils._optional import import_optional
from ..utils._progress import progress

#: What needs the optional download packages, for the ImportError.
_PURPOSE = "the downloads of the skgalvae.datasets.fetch_* functions"

#: Errors worth another try: the network, the server, a truncated transfer. requests'
#: errors (``requests.exceptions.RequestException``) are OSErrors, so this needs no
#: import of requests.
RETRY_ERRORS = (OSError, ValueError)


class IncompleteDownloadError(OSError):
    """The server closed the connection before sending the bytes it announced.

    The message names the URL, the file and both sizes; nothing is kept under the final
    name, and :func:`download_file` retries it like a network error.
    """


class UnverifiedDownloadWarning(UserWarning):
    """A file was downloaded without a known SHA-256: its integrity is not checked."""


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


def _announced_length(response):
    """The ``Content-Length`` of ``response`` as an int, or None when absent or bogus."""
    value = response.headers.get("Content-Length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


class _CheckedHTTPDownloader:
    """A pooch downloader (HTTP/HTTPS, requests) that checks the body's length.

    pooch's own ``HTTPDownloader`` writes whatever arrives: when the server hangs up
    early and no hash is known, a truncated file would pass. This one compares the bytes
    received with the announced ``Content-Length`` and raises
    :class:`IncompleteDownloadError` on a mismatch (pooch then removes its temporary
    file, so nothing reaches the final name).
    """

    def __init__(self, *, name, timeout=60, progressbar=False, chunk_size=1 << 16):
        self.name = name
        self.timeout = timeout
        self.progressbar = progressbar
        self.chunk_size = chunk_size

    def __call__(self, url, output_file, pooch, check_only=False):
        requests = import_optional("requests", purpose=_PURPOSE)
        if check_only:
            response = requests.head(url, timeout=self.timeout, allow_redirects=True)
            return response.status_code == 200
        cut_short = None
        written = 0
        with requests.get(url, timeout=self.timeout, stream=True) as response:
            response.raise_for_status()
            announced = _announced_length(response)
            bar = None
            if self.progressbar:
                from tqdm.auto import tqdm

                bar = tqdm(total=announced, unit="B", unit_scale=True, leave=False,
                           desc=self.name)
            try:
                with open(output_file, "wb") as fh:
                    try:
                        for chunk in response.iter_content(chunk_size=self.chunk_size):
                            fh.write(chunk)
                            written += len(chunk)
                            if bar is not None:
                                bar.update(len(chunk))
                    except (requests.exceptions.ChunkedEncodingError,
                            requests.exceptions.ConnectionError) as exc:
                        cut_short = exc
            finally:
                if bar is not None:
                    bar.close()
            encoding = response.headers.get("Content-Encoding", "identity").lower()
            if encoding in ("", "identity"):
                received = written
            else:  # Content-Length counts the encoded bytes: ask the raw stream
                tell = getattr(response.raw, "tell", None)
                received = tell() if callable(tell) else None
        if announced is not None and received is not None and received != announced:
            what = ("the connection closed early" if received < announced
                    else "the body is longer than announced")
            msg = (
                f"Download of {url} (file {self.name!r}) is incomplete: {received} "
                f"bytes arrived where the server announced {announced} (Content-Length); "
                f"{what}. Nothing was kept under {self.name!r}; retry later, or check "
                "the URL."
            )
            raise IncompleteDownloadError(msg) from cut_short
        if cut_short is not None:
            raise cut_short
        return None


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
        verify yet: the file is then trusted as downloaded (its length is still checked
        against the ``Content-Length`` the server announced).
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
    IncompleteDownloadError
        The server sent fewer (or more) bytes than its ``Content-Length`` announced, in
        every attempt (nothing is kept).
    requests.exceptions.RequestException or OSError
        The download failed after all retries.
    ImportError
        pooch or requests is not installed (``pip install "skgalvae[fetch]"``).
    """
    pooch = import_optional("pooch", purpose=_PURPOSE)
    import_optional("requests", purpose=_PURPOSE)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    known_hash = _normalise_hash(known_hash)
    downloader = _CheckedHTTPDownloader(name=path.name, timeout=timeout,
                                        progressbar=bool(verbose))

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
