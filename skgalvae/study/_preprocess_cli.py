"""``skgalvae preprocess``: a survey's FITS files (or a .npy array) into a resumable store."""

import sys
from pathlib import Path

HELP = "preprocess FITS files or a .npy array into a zarr / .npy store (resumable)"

DESCRIPTION = """\
Run the preprocessing pipeline (make_preprocessing_pipeline) over SOURCE, chunk by chunk,
into the store --out: a zarr array (needs the 'scale' extra) or, when --out ends in .npy,
a .npy file. Each chunk is committed on its own (--out.progress.json records it): after an
interruption, rerun the same command and it continues where it stopped; with other
options it refuses to mix them into the store (pass --overwrite to start again)."""

EXAMPLES = """examples:
  skgalvae preprocess cutouts/ --out X64.zarr         a folder of FITS files, 64x64
  skgalvae preprocess paths.txt --out X64.npy --size 64 --chunk-size 2048
  skgalvae preprocess raw.npy --out X32.zarr --size 32 --no-mask-companions
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
    parser.add_argument("--on-error", choices=("raise", "nan"), default="raise",
                        help="a FITS file that cannot be read: stop with its name "
                             "('raise', default) or give it a NaN row ('nan')")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="threads reading files and preprocessing images")
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
    if fmt == "zarr":
        import_optional("zarr", purpose="skgalvae preprocess --format zarr (or an --out "
                                        "ending in .npy)")
    if not args.no_mask_companions:
        for name in ("photutils", "skimage"):
            import_optional(name, purpose="CompanionMasker (skip it with "
                                          "--no-mask-companions)")
    return fmt


def run(args):
    """Run ``skgalvae preprocess`` from parsed ``args``; return the exit status."""
    command = "skgalvae preprocess"
    try:
        fmt = _check_options(args)
        from ..io import FITSLoader
        from ..preprocessing import make_preprocessing_pipeline, preprocess_to_store

        pipeline = make_preprocessing_pipeline(output_shape=args.size,
                                               mask_companions=not args.no_mask_companions,
                                               n_jobs=args.n_jobs)
        loader = FITSLoader(on_error=args.on_error, n_jobs=args.n_jobs)
        X = preprocess_to_store(pipeline, args.source, args.out, chunk_size=args.chunk_size,
                                format=fmt, loader=loader, overwrite=args.overwrite,
                                verbose=0 if args.quiet else 1)
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
    return 0
