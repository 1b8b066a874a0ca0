"""Command line: train a config, draw a figure, compute the claims table.

    python -m reproduce train data/configs/fig03_rank1_loss.toml [--out DIR] [--steps S] [--device cuda]
    python -m reproduce plot fig03_rank1_loss [--results DIR] [--out DIR]
    python -m reproduce claims [--results DIR]
    python -m reproduce report
    python -m reproduce --version
"""
import sys

if sys.version_info < (3, 10):  # before any import that would fail with a traceback on old Pythons
    sys.exit(f"error: this package needs Python >= 3.10; {sys.executable} is {sys.version.split()[0]}")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from . import __version__, paths  # noqa: E402
from .errors import ConfigError, TrainingDiverged  # noqa: E402


def _require_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("error: torch is not installed in this Python; run `make env` (or see README.md)")


def cmd_train(args):
    from . import config
    cfg = config.load(args.config)  # before importing torch: a bad file fails in a blink
    _require_torch()
    from . import results
    # the length of a run is `steps` for S-curves and `epochs` for grokking
    length = "steps" if hasattr(cfg, "steps") else "epochs"
    overrides = {k: v for k, v in ((length, args.steps), ("device", args.device)) if v is not None}
    if overrides:  # smoke runs only; the file stays the description of the real run
        try:
            cfg = dataclasses.replace(cfg, **overrides)
        except ValueError as err:
            raise ConfigError(f"{args.config}: override: {err}") from None
    if cfg.device == "cuda":
        import torch
        if not torch.cuda.is_available():
            raise ConfigError(f"{args.config}: key 'device': cuda requested but no CUDA device is available")
    stem = Path(args.config).stem
    trainer = _family_module(cfg)
    start = time.perf_counter()
    runs = trainer.train_config(cfg, where=str(args.config))
    wall = time.perf_counter() - start
    meta = results.provenance(cfg, wall, trainer.THREADS)
    out = results.save(stem, cfg, runs, meta, Path(args.out))
    print(f"trained {stem}: {len(runs)} run(s), {wall:.1f} s -> {out}", flush=True)


def _family_module(cfg):
    if cfg.family == "scurve":
        from . import train
        return train
    from importlib import import_module
    return import_module(f"reproduce.{cfg.family}")


def cmd_plot(args):
    from .figures import draw
    draw(args.stem, Path(args.results), Path(args.out))


def cmd_claims(args):
    from .claims import write_claims
    table = write_claims(Path(args.results))
    failed = table[~table["passed"]]
    print(f"claims: {len(table) - len(failed)}/{len(table)} passed -> {Path(args.results) / 'claims.csv'}")
    for _, row in failed.iterrows():
        print(f"  FAILED {row.claim_id} ({row.figure_id}): measured {row.measured}, expected {row.expected}")


def cmd_report(args):
    from .report import build
    build()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reproduce", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"reproduce {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train one config and write data/results/<stem>.npz/.json")
    p.add_argument("config")
    p.add_argument("--out", default=str(paths.RESULTS))
    p.add_argument("--steps", type=int, help="override steps (epochs for grokking): smoke runs only")
    p.add_argument("--device", choices=["cpu", "cuda"], help="override the config's device")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("plot", help="draw paper/figures/<stem>.png and .pdf from results only")
    p.add_argument("stem")
    p.add_argument("--results", default=str(paths.RESULTS))
    p.add_argument("--out", default=str(paths.FIGURES))
    p.set_defaults(func=cmd_plot)
    p = sub.add_parser("claims", help="compute data/results/claims.csv from all results")
    p.add_argument("--results", default=str(paths.RESULTS))
    p.set_defaults(func=cmd_claims)
    p = sub.add_parser("report", help="execute paper/s_curves.py into paper/report.html")
    p.set_defaults(func=cmd_report)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (ConfigError, TrainingDiverged) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2 if isinstance(err, ConfigError) else 3)
    except KeyboardInterrupt:  # Ctrl-C: outputs land only when finished, so there is nothing to clean up
        print(f"interrupted: {args.command} wrote nothing; rerun to start it again", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
