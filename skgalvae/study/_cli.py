"""The ``skgalvae`` command line (also ``python -m skgalvae``)."""

import argparse
import sys

EPILOG = """examples:
  skgalvae study                          the default study: 3,000 simulated galaxies,
                                          VAE + AE + PCA, report in results/report.html
  skgalvae study --n-galaxies 500 --epochs 5 --out quick/
  skgalvae study --bands gri --out gri/   g, r, i galaxies (colour), compared in the
                                          report with the same models on i alone
  skgalvae study --source sample          the bundled 100 real SDSS cutouts
  skgalvae study --source my_catalog.csv  FITS files listed in a 'path' column, with GZ2
                                          vote and property columns when available
  skgalvae study --fetch --n-galaxies 12539 --out seed/
                                          the seed's real population (needs internet):
                                          GZ2 -> SDSS cutouts -> GSWLC/RCSED properties
  skgalvae simulate --out run1/ && skgalvae train --out run1/ \\
      && skgalvae analyse --out run1/ && skgalvae report --out run1/
  skgalvae demo                           preprocess the bundled SDSS sample and summarise
  skgalvae preprocess cutouts/ --out X64.zarr
                                          a survey's FITS files into a resumable store
"""


def _channels(text):
    """``"4,8,16"`` -> ``(4, 8, 16)``, for ``--channels``."""
    try:
        channels = tuple(int(c) for c in text.split(","))
    except ValueError:
        channels = ()
    if not channels or min(channels) < 1:
        msg = f"expected comma-separated positive integers such as 4,8,16,32,64; got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return channels


#: Options of the study whose values go into the configuration (dest names).
_OPTIONS = ("source", "bands", "preset", "n_galaxies", "test_size", "latent_dim", "model",
            "image_size", "stretch", "epochs", "loss", "beta", "channels", "out", "seed",
            "device", "n_jobs")


def _add_study_options(parser, defaults, *, explicit_only=False):
    """Add the study's options; with ``explicit_only`` every default is None.

    A stage sub-command takes its upstream stages' parameters from ``run.json``, so it
    must know which options were given: their defaults are None there.
    """
    from ..datasets._conditions import PRESETS
    from ._registry import LOSSES, MODEL_CHOICES

    default = (lambda name: None) if explicit_only else (lambda name: defaults[name])

    def shown(name):
        value = defaults[name]
        return ",".join(map(str, value)) if isinstance(value, tuple) else value

    parser.add_argument("--source", default=default("source"),
                        help="'simulated' (default), 'sample' (bundled SDSS cutouts), a "
                             "folder of FITS files, or a catalog CSV with a 'path' column "
                             "(one path column per band, path_g, path_r, path_i, for "
                             "--bands gri)")
    parser.add_argument("--bands", default=default("bands"),
                        help="SDSS bands of the images, letters in wavelength order "
                             f"(default {shown('bands')}); several bands that include i "
                             "(e.g. gri) also train VAE and PCA on the i band alone, and "
                             "the report compares the two")
    parser.add_argument("--preset", default=default("preset"), choices=PRESETS,
                        help="simulator preset, make_galaxies(preset=...): 'sdss' draws "
                             "the observing conditions and disc population tuned to the "
                             "bundled real SDSS cutouts (user guide, 'Is the simulator "
                             "realistic?'; about 10x slower to render); default: the "
                             "default simulator")
    parser.add_argument("--n-galaxies", type=int, default=default("n_galaxies"),
                        help=f"galaxies to simulate (default {shown('n_galaxies')})")
    parser.add_argument("--test-size", type=float, default=default("test_size"),
                        help="share of the galaxies held out from training, stratified by "
                             f"GZ2 morphology (default {shown('test_size')})")
    parser.add_argument("--latent-dim", type=int, default=default("latent_dim"),
                        help=f"latent features (default {shown('latent_dim')})")
    parser.add_argument("--model", default=default("model"), choices=MODEL_CHOICES,
                        help=f"models (default {shown('model')})")
    parser.add_argument("--image-size", type=int, default=default("image_size"),
                        help="side of the processed images, 8-150 (default "
                             f"{shown('image_size')})")
    parser.add_argument("--stretch", type=float, default=default("stretch"),
                        help=f"LogScaler stretch in nanomaggies (default {shown('stretch')}: "
                             "nearly linear, measured best for every model; 0.05, about the "
                             "sky noise, is the seed's log scaling; user guide, 'Choosing "
                             "the intensity scaling')")
    parser.add_argument("--epochs", type=int, default=default("epochs"),
                        help=f"maximum training epochs (default {shown('epochs')})")
    parser.add_argument("--loss", default=default("loss"), choices=LOSSES,
                        help="likelihood of the VAE/AE, the 'loss' of skgalvae.models "
                             f"(default {shown('loss')})")
    parser.add_argument("--beta", type=float, default=default("beta"),
                        help=f"weight of the VAE's KL term (default {shown('beta')})")
    parser.add_argument("--channels", type=_channels, default=default("channels"),
                        help="convolution channels of the VAE/AE, comma-separated "
                             f"(default {shown('channels')})")
    parser.add_argument("--out", default=default("out"),
                        help=f"output folder (default {shown('out')})")
    parser.add_argument("--seed", type=int, default=default("seed"),
                        help="random seed of the population, its split and the models "
                             f"(default {shown('seed')})")
    parser.add_argument("--device", default=default("device"),
                        help="'auto' (GPU when present), 'cpu' or 'cuda'")
    parser.add_argument("--n-jobs", type=int, default=default("n_jobs"),
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
    study = sub.add_parser("study", help="run the whole study (recomputes only what the "
                                         "parameters changed; resumes from --out)",
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_study_options(study, DEFAULTS)
    study.add_argument("--force", action="store_true",
                       help="recompute every stage, even those up to date in --out")
    study.add_argument("--fetch", action="store_true",
                       help="download the seed's real population first (internet) and "
                            "use it as --source")
    _add_study_options(sub.add_parser(
        "fetch", help="download the seed's real population (GZ2, cutouts, properties)"),
        DEFAULTS)
    helps = {"simulate": "build the population (simulate or load) and preprocess it",
             "train": "fit the models on the clean training galaxies",
             "analyse": "write the tables on the held-out galaxies (correlations, CV R^2, "
                        "classes, OOD, latent diagnostics)",
             "report": "draw the figures and write report.md / report.html"}
    for stage in STAGES:
        _add_study_options(sub.add_parser(
            stage, help=helps[stage],
            description=f"{helps[stage]}. The parameters of the stages before it are "
                        "read from --out's run.json."), DEFAULTS, explicit_only=True)
    demo = sub.add_parser("demo", help="preprocess the bundled SDSS sample")
    demo.add_argument("--image-size", type=int, default=64,
                      help="side of the processed images (default 64)")
    demo.add_argument("--n-jobs", type=int, default=None,
                      help="parallel workers (processes for the preprocessing)")
    from ._preprocess_cli import add_parser as add_preprocess_parser

    add_preprocess_parser(sub)
    return parser


def _config(args):
    """The configuration the options give (None values, i.e. not given, left out)."""
    config = {name: getattr(args, name) for name in _OPTIONS
              if getattr(args, name, None) is not None}
    config["verbose"] = 0 if args.quiet else 1
    return config


def main(argv=None):
    """Run the command line; return the exit status.

    0: done; 1: bad input (one line on stderr saying what and how to fix it); 2: usage;
    130: interrupted (Ctrl-C): the stage that was running kept nothing partial, and the
    next run resumes from the last completed stage. Every option (``--out``,
    ``--device``, ``--source``, the numbers) is checked before any work starts.
    """
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
    if args.command == "preprocess":
        from ._preprocess_cli import run as run_preprocess

        return run_preprocess(args)
    from ._errors import StudyInputError
    from ._study import DEFAULTS, run_stage, run_study

    try:
        config = _config(args)
        log = (lambda *a, **k: None) if args.quiet else print
        if args.command == "fetch" or getattr(args, "fetch", False):
            from ._checks import check_config, check_fetch_bands, check_fetch_extras
            from ._fetch import fetch_population

            # the download takes hours: check every option before it starts
            check_config({**DEFAULTS, **config, "source": "sample"})
            check_fetch_bands({**DEFAULTS, **config})
            check_fetch_extras()

            config["source"] = str(fetch_population(config, log))
            if args.command == "fetch":
                log(f"next: skgalvae study --source {config['source']} --out {config['out']}")
                return 0
        if args.command == "study":
            run_study(config, force=args.force, log=log)
        else:
            run_stage(args.command, config, log=log)
    except KeyboardInterrupt:
        print(f"skgalvae {args.command}: interrupted; nothing partial was kept, rerun to "
              "resume", file=sys.stderr)
        return 130
    except (StudyInputError, ValueError, FileNotFoundError, KeyError, OSError,
            ImportError) as exc:
        # ImportError: an optional extra missing past the up-front checks; its message
        # names the extra to install (skgalvae.utils._optional)
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        print(f"skgalvae {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
