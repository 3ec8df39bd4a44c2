"""The ``skgalvae`` command line (also ``python -m skgalvae``)."""

import argparse
import sys

EPILOG = """examples:
  skgalvae study                          the default study: 3,000 simulated galaxies,
                                          VAE + AE + PCA, report in results/report.html
  skgalvae study --n-galaxies 500 --epochs 5 --out quick/
  skgalvae study --source sample          the bundled 100 real SDSS cutouts
  skgalvae study --source my_catalog.csv  FITS files listed in a 'path' column, with GZ2
                                          vote and property columns when available
  skgalvae study --fetch --n-galaxies 12539 --out seed/
                                          the seed's real population (needs internet):
                                          GZ2 -> SDSS cutouts -> GSWLC/RCSED properties
  skgalvae simulate --out run1/ && skgalvae train --out run1/ \\
      && skgalvae analyse --out run1/ && skgalvae report --out run1/
  skgalvae demo                           preprocess the bundled SDSS sample and summarise
"""


def _add_study_options(parser, defaults):
    parser.add_argument("--source", default=defaults["source"],
                        help="'simulated' (default), 'sample' (bundled SDSS cutouts), a "
                             "folder of FITS files, or a catalog CSV with a 'path' column")
    parser.add_argument("--n-galaxies", type=int, default=defaults["n_galaxies"],
                        help="galaxies to simulate (default %(default)s)")
    parser.add_argument("--latent-dim", type=int, default=defaults["latent_dim"],
                        help="latent features (default %(default)s)")
    parser.add_argument("--model", default=defaults["model"],
                        choices=("vae", "ae", "pca", "all"), help="models (default all)")
    parser.add_argument("--image-size", type=int, default=defaults["image_size"],
                        help="side of the processed images, 16-150 (default %(default)s)")
    parser.add_argument("--stretch", type=float, default=defaults["stretch"],
                        help="LogScaler stretch in nanomaggies (default %(default)s, about "
                             "the sky noise: the seed's log scaling); 5 or more is nearly "
                             "linear, which separates spirals from ellipticals better with "
                             "2 latents (user guide, 'Choosing the intensity scaling')")
    parser.add_argument("--epochs", type=int, default=defaults["epochs"],
                        help="maximum training epochs (default %(default)s)")
    parser.add_argument("--loss", default=defaults["loss"], choices=("bce", "mse"),
                        help="likelihood of the VAE/AE: 'mse' (Gaussian, default) or 'bce' "
                             "(Bernoulli, for images in [0, 1])")
    parser.add_argument("--out", default=defaults["out"],
                        help="output folder (default %(default)s)")
    parser.add_argument("--seed", type=int, default=defaults["seed"],
                        help="random seed (default %(default)s)")
    parser.add_argument("--device", default=defaults["device"],
                        help="'auto' (GPU when present), 'cpu' or 'cuda'")
    parser.add_argument("--n-jobs", type=int, default=defaults["n_jobs"],
                        help="parallel workers for simulation and preprocessing")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def build_parser():
    """Return the argument parser of the ``skgalvae`` command."""
    from ._study import DEFAULTS, STAGES

    parser = argparse.ArgumentParser(
        prog="skgalvae",
        description="Latent representations of galaxy images and physical properties.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version")
    sub = parser.add_subparsers(dest="command")
    study = sub.add_parser("study", help="run the whole study (resumes from --out)",
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_study_options(study, DEFAULTS)
    study.add_argument("--force", action="store_true",
                       help="rerun stages whose results exist in --out")
    study.add_argument("--fetch", action="store_true",
                       help="download the seed's real population first (internet) and "
                            "use it as --source")
    _add_study_options(sub.add_parser(
        "fetch", help="download the seed's real population (GZ2, cutouts, properties)"),
        DEFAULTS)
    helps = {"simulate": "build the population (simulate or load) and preprocess it",
             "train": "fit the models on the selected population",
             "analyse": "write the tables (correlations, CV R^2, classes, OOD)",
             "report": "draw the figures and write report.md / report.html"}
    for stage in STAGES:
        _add_study_options(sub.add_parser(stage, help=helps[stage]), DEFAULTS)
    demo = sub.add_parser("demo", help="preprocess the bundled SDSS sample")
    demo.add_argument("--image-size", type=int, default=64,
                      help="side of the processed images (default 64)")
    demo.add_argument("--n-jobs", type=int, default=None, help="threads")
    return parser


def _config(args):
    if not 8 <= args.image_size <= 150:
        msg = f"--image-size must be between 8 and 150; got {args.image_size}."
        raise ValueError(msg)
    if not args.stretch > 0:
        msg = f"--stretch must be positive; got {args.stretch}."
        raise ValueError(msg)
    for name in ("n_galaxies", "latent_dim", "epochs"):
        if getattr(args, name) < 1:
            msg = f"--{name.replace('_', '-')} must be positive; got {getattr(args, name)}."
            raise ValueError(msg)
    return {"source": args.source, "n_galaxies": args.n_galaxies,
            "latent_dim": args.latent_dim, "model": args.model,
            "image_size": args.image_size, "stretch": args.stretch,
            "epochs": args.epochs, "loss": args.loss,
            "out": args.out,
            "seed": args.seed, "device": args.device, "n_jobs": args.n_jobs,
            "verbose": 0 if args.quiet else 1}


def main(argv=None):
    """Run the command line; return the exit status (0 ok, 1 bad input, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from .. import __version__

        print(__version__)
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "demo":
        from ._demo import run_demo

        run_demo(output_shape=args.image_size, n_jobs=args.n_jobs)
        return 0
    from ._population import StudyInputError
    from ._study import run_stage, run_study

    try:
        config = _config(args)
        log = (lambda *a, **k: None) if args.quiet else print
        if args.command == "fetch" or getattr(args, "fetch", False):
            from ._fetch import fetch_population

            config["source"] = str(fetch_population(config, log))
            if args.command == "fetch":
                log(f"next: skgalvae study --source {config['source']} --out {args.out}")
                return 0
        if args.command == "study":
            run_study(config, force=args.force, log=log)
        else:
            run_stage(args.command, config, log=log)
    except (StudyInputError, ValueError, FileNotFoundError, KeyError, OSError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        print(f"skgalvae {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
