"""The ``skgalvae`` command line (also ``python -m skgalvae``)."""

import argparse
import sys

EPILOG = """examples:
  skgalvae demo                 preprocess the bundled SDSS sample and summarise it
"""


def build_parser():
    """Return the argument parser of the ``skgalvae`` command."""
    parser = argparse.ArgumentParser(
        prog="skgalvae",
        description="Latent representations of galaxy images and physical properties.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="preprocess the bundled SDSS sample")
    demo.add_argument("--image-size", type=int, default=64,
                      help="side of the processed images (default 64)")
    demo.add_argument("--n-jobs", type=int, default=None, help="threads")
    return parser


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from .. import __version__

        print(__version__)
        return 0
    if args.command == "demo":
        from ._demo import run_demo

        run_demo(output_shape=args.image_size, n_jobs=args.n_jobs)
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
