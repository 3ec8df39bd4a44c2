"""``skgalvae preprocess``: a survey's FITS files (or a .npy array) into a resumable store,
in this process or on a Dask cluster (``--dask-scheduler``)."""

import os
import sys
import warnings
from pathlib import Path

#: Seconds to wait for the scheduler of --dask-scheduler to answer.
CONNECT_TIMEOUT = 10
#: The protocols of a --dask-scheduler address (distributed's comm backends).
_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx")

HELP = "preprocess FITS files or a .npy array into a zarr / .npy store (resumable)"

DESCRIPTION = """\
Run the preprocessing pipeline (make_preprocessing_pipeline) over SOURCE, chunk by chunk,
into the store --out: a zarr array (needs the 'scale' extra) or, when --out ends in .npy,
a .npy file. Each chunk is committed on its own (--out.progress.json records it): after an
interruption, rerun the same command and it continues where it stopped; with other
options it refuses to mix them into the store (pass --overwrite to start again).

With --dask-scheduler the chunks run on a Dask cluster (the 'distributed' extra): the
scheduler at ADDRESS, or a local cluster of --n-jobs workers with 'local'. The workers must
see SOURCE and --out at the same paths; the store is zarr; a FITS file that cannot be read
gives a NaN row, and the bad files are listed at the end (and in --out.progress.json)."""

EXAMPLES = """examples:
  skgalvae preprocess cutouts/ --out X64.zarr         a folder of FITS files, 64x64
  skgalvae preprocess paths.txt --out X64.npy --size 64 --chunk-size 2048
  skgalvae preprocess raw.npy --out X32.zarr --size 32 --no-mask-companions
  skgalvae preprocess cutouts/ --out X64.zarr --dask-scheduler tcp://10.0.0.5:8786
  skgalvae preprocess cutouts/ --out X64.zarr --dask-scheduler local --n-jobs 8
"""


def add_parser(sub):
    """Add the ``preprocess`` sub-command to the sub-parsers ``sub``."""
    import argparse

    parser = sub.add_parser("preprocess", help=HELP, description=DESCRIPTION,
                            epilog=EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", metavar="SOURCE",
                        help="a folder of FITS files, a text file listing FITS paths (one "
                             "a line), or a .npy array of images")
    parser.add_argument("--out", required=True, metavar="STORE",
                        help="the store to write: a .zarr folder or a .npy file; its "
                             "parent folder must exist")
    parser.add_argument("--size", type=int, default=64,
                        help="side of the processed images (default 64)")
    parser.add_argument("--chunk-size", type=int, default=1024,
                        help="images per chunk, the unit of work and of resumption "
                             "(default 1024)")
    parser.add_argument("--format", choices=("zarr", "npy"), default=None,
                        help="store format (default: npy when --out ends in .npy, "
                             "else zarr)")
    parser.add_argument("--no-mask-companions", action="store_true",
                        help="skip CompanionMasker (which needs the 'masking' extra)")
    parser.add_argument("--on-error", choices=("raise", "nan"), default=None,
                        help="a FITS file that cannot be read: stop with its name "
                             "('raise', the default in this process) or give it a NaN row "
                             "('nan', always with --dask-scheduler)")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="threads reading files and preprocessing images; with "
                             "--dask-scheduler local, the number of workers (one thread "
                             "each; default: all cores)")
    parser.add_argument("--dask-scheduler", metavar="ADDRESS", default=None,
                        help="run the chunks on Dask: the scheduler's address (e.g. "
                             "tcp://127.0.0.1:8786), or 'local' for a local cluster of "
                             "--n-jobs workers; writes a zarr store")
    parser.add_argument("--overwrite", action="store_true",
                        help="delete an existing store and start again")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return parser


class _BadOption(ValueError):
    """An option with a bad value; the message names it."""


def _check_options(args):
    """Check every option before any work; raise _BadOption / ImportError."""
    from ..utils._optional import import_optional

    if args.size < 1:
        msg = f"--size must be a positive integer (the side in pixels); got {args.size}"
        raise _BadOption(msg)
    if args.chunk_size < 1:
        msg = f"--chunk-size must be a positive integer; got {args.chunk_size}"
        raise _BadOption(msg)
    if args.n_jobs == 0:
        msg = "--n-jobs must be a positive number of threads, or -1 for all cores; got 0"
        raise _BadOption(msg)
    source = Path(args.source)
    if not source.exists():
        msg = (f"SOURCE {args.source!r} does not exist: pass a folder of FITS files, a "
               "text file listing FITS paths, or a .npy file")
        raise _BadOption(msg)
    out = Path(args.out)
    if not out.parent.is_dir():
        msg = (f"the folder of --out {args.out!r} ({str(out.parent)!r}) does not exist: "
               "create it first")
        raise _BadOption(msg)
    fmt = args.format or ("npy" if out.suffix == ".npy" else "zarr")
    if args.dask_scheduler is not None:
        _check_dask_options(args, fmt)
    if fmt == "zarr":
        import_optional("zarr", purpose="skgalvae preprocess --format zarr (or an --out "
                                        "ending in .npy)")
    if not args.no_mask_companions:
        for name in ("photutils", "skimage"):
            import_optional(name, purpose="CompanionMasker (skip it with "
                                          "--no-mask-companions)")
    return fmt


def _check_dask_options(args, fmt):
    """The options of ``--dask-scheduler``: Dask installed, a zarr store, a well-formed
    address (whether a scheduler answers is checked by connecting, in ``_connect``)."""
    from ..utils._optional import import_optional

    for name in ("dask", "distributed"):
        import_optional(name, purpose="skgalvae preprocess --dask-scheduler")
    if fmt == "npy":
        msg = ("--dask-scheduler writes a zarr store (the workers write their chunks side "
               "by side), not .npy: drop --format npy, or give an --out that does not end "
               "in .npy")
        raise _BadOption(msg)
    if args.on_error == "raise":
        msg = ("--dask-scheduler gives a NaN row to a FITS file that cannot be read (the "
               "bad files are listed at the end): drop --on-error raise, or run without "
               "--dask-scheduler")
        raise _BadOption(msg)
    address = args.dask_scheduler
    if address == "local":
        if args.n_jobs is not None and args.n_jobs < -1:
            msg = (f"--n-jobs is the number of workers with --dask-scheduler local: pass "
                   f"a positive number, or -1 for one a core; got {args.n_jobs}")
            raise _BadOption(msg)
        return
    protocol, _, rest = address.rpartition("://")
    host, _, port = rest.rpartition(":")
    if (protocol not in ("", *_PROTOCOLS) or not host or any(c.isspace() for c in host)
            or not port.isdigit() or not 0 < int(port) < 65536):
        msg = (f"--dask-scheduler {address!r} is not a scheduler address: pass one such "
               "as tcp://127.0.0.1:8786 (the address 'dask scheduler' prints), or 'local'")
        raise _BadOption(msg)


def _connect(args):
    """Return ``(client, cluster or None)`` for ``--dask-scheduler``; raise OSError when no
    scheduler answers."""
    import logging

    from distributed import Client, LocalCluster

    if args.dask_scheduler == "local":
        n_workers = args.n_jobs if args.n_jobs not in (None, -1) else os.cpu_count()
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.CRITICAL)
        return Client(cluster, set_as_default=False), cluster
    try:
        client = Client(args.dask_scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, ValueError) as exc:
        msg = (f"--dask-scheduler {args.dask_scheduler!r}: no Dask scheduler answered "
               f"within {CONNECT_TIMEOUT} s ({type(exc).__name__}): start one (dask "
               "scheduler), or check the address")
        raise OSError(msg) from exc
    return client, None


def _run_on_dask(args, pipeline, loader):
    from ..preprocessing import preprocess_with_dask

    client, cluster = _connect(args)
    try:
        with warnings.catch_warnings():  # the bad files are listed at the end instead
            warnings.filterwarnings("ignore", message=r".* rows of .* are NaN",
                                    category=UserWarning)
            result = preprocess_with_dask(pipeline, args.source, args.out, client=client,
                                          chunk_size=args.chunk_size, loader=loader,
                                          overwrite=args.overwrite,
                                          verbose=0 if args.quiet else 1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return result


def run(args):
    """Run ``skgalvae preprocess`` from parsed ``args``; return the exit status."""
    command = "skgalvae preprocess"
    try:
        fmt = _check_options(args)
        from ..io import FITSLoader
        from ..preprocessing import make_preprocessing_pipeline, preprocess_to_store

        local = args.dask_scheduler == "local"  # one thread a worker: no threads inside
        n_jobs = None if local else args.n_jobs
        pipeline = make_preprocessing_pipeline(output_shape=args.size,
                                               mask_companions=not args.no_mask_companions,
                                               n_jobs=n_jobs)
        bad = None
        if args.dask_scheduler is None:
            loader = FITSLoader(on_error=args.on_error or "raise", n_jobs=n_jobs)
            X = preprocess_to_store(pipeline, args.source, args.out,
                                    chunk_size=args.chunk_size, format=fmt, loader=loader,
                                    overwrite=args.overwrite,
                                    verbose=0 if args.quiet else 1)
        else:
            result = _run_on_dask(args, pipeline, FITSLoader(on_error="nan", n_jobs=n_jobs))
            X, bad = result.store, result.bad_files
    except KeyboardInterrupt:
        print(f"{command}: interrupted; the chunks done are kept in {args.out}: rerun the "
              "same command to resume", file=sys.stderr)
        return 130
    except (ValueError, OSError, ImportError) as exc:
        text = str(exc).strip()
        message = text.splitlines()[0] if text else repr(exc)
        print(f"{command}: error: {message}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"wrote {args.out}: {X.shape[0]} images of {args.size}x{args.size}, float32 "
              f"({fmt}); train on it with GalaxyVAE().fit(X) after "
              + ("X = np.load(path, mmap_mode='r')" if fmt == "npy"
                 else "X = zarr.open_array(path, mode='r')"))
    if bad is not None and len(bad):
        shown = 10
        lines = [f"  row {row}: {reason}" for row, reason in
                 zip(bad["row"][:shown], bad["reason"][:shown])]
        more = f"\n  ... and {len(bad) - shown} more" if len(bad) > shown else ""
        print(f"{len(bad)} FITS files could not be read; their rows are NaN (all listed "
              f"under 'bad_files' in {args.out}.progress.json):\n" + "\n".join(lines)
              + more, file=sys.stderr)
    return 0
