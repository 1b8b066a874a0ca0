"""Command line: train a config, draw a figure, compute the claims table, measure the cross-platform spread.

    python -m reproduce train data/configs/fig03_rank1_loss.toml [--set lr=0.05 …] [--out DIR]
                                                                 [--steps S] [--device cuda] [--allow-long]
    python -m reproduce plot fig03_rank1_loss [--results DIR] [--out DIR]
    python -m reproduce claims [--results DIR]
    python -m reproduce report
    python -m reproduce deps                 # make rules: each target's Python sources (import graph)
    python -m reproduce spread [stem …]      # retrain under other kernels, write tests/baselines/spread.csv
    python -m reproduce --version

A run with `--set` or `--steps` is not the config's own run: unless `--out` names a folder it is written
to data/results/overrides/<stem>-<hash>/ (hash of the full overridden config), never over
data/results/<stem>.npz.

Before any work, every command checks where it will write (core/paths.py `check_writable`) and `train`
estimates each run's time on the reference machine: a run above an hour is refused unless --allow-long.
A bad input, an unwritable place or a full disk is one line on stderr and exit status 2; nothing partial
is left behind (core/results.py writes every file atomically).
"""
import sys

if sys.version_info < (3, 11):  # tomllib; before any import that would fail with a traceback on old Pythons
    sys.exit(f"error: this package needs Python >= 3.11; {sys.executable} is {sys.version.split()[0]}")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from . import __version__  # noqa: E402
from .core import paths  # noqa: E402
from .core.errors import BadInput, ConfigError, TrainingDiverged  # noqa: E402
from .core.progress import close_all  # noqa: E402


def _require_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("error: torch is not installed in this Python; run `make env` (or see README.md)")


OUT_FLAG = "choose another folder with --out"
REPORT_BYTES = 16 * 2 ** 20  # the report embeds every figure: ~4 MB


def cmd_train(args):
    from .core import config, families
    # every file, run length and output folder is checked before anything trains, and before torch is imported
    todo = [_train_config(path, args) for path in args.config]
    for path, cfg, _, _ in todo:  # the estimate is the first ETA, shown before torch takes seconds to load
        seconds = families.of(cfg).estimate_seconds(cfg)
        over = f" (over the {config.duration(config.MAX_SECONDS)} limit: --allow-long)" \
            if seconds > config.MAX_SECONDS else ""
        print(f"train {Path(path).stem}: {len(cfg.runs())} run(s), estimated ~{config.duration(seconds)} on the "
              f"reference machine{over}", flush=True)
    _require_torch()
    for path, cfg, sets, out in todo:
        _train_one(path, cfg, sets, out)


def _train_config(path, args):
    from .core import config, families
    sets = list(args.set or [])
    if args.steps is not None:  # the family names the length key --steps sets
        sets.append(f"{families.of_data(config.read_toml(path), str(path)).length_key}={args.steps}")
    cfg = config.load(path, sets, max_seconds=None if args.allow_long else config.MAX_SECONDS)
    if args.device is not None:
        cfg = dataclasses.replace(cfg, device=args.device)
    stem = Path(path).stem
    out = Path(args.out) if args.out else paths.RESULTS
    if sets and not args.out:
        out = paths.OVERRIDES / f"{stem}-{config.config_hash(cfg)}"
    paths.check_writable(out, files=(f"{stem}.npz", f"{stem}.json"),
                         need_bytes=families.of(cfg).estimate_bytes(cfg), fix=OUT_FLAG)
    return path, cfg, sets, out


def _train_one(path, cfg, sets, out):
    from .core import families
    if cfg.device == "cuda":
        import torch
        if not torch.cuda.is_available():
            raise ConfigError(f"{path}: key 'device': cuda requested but torch finds no CUDA device "
                              f"(torch {torch.__version__}); use DEVICE=cpu or a CUDA build of torch")
    from .core import results
    stem = Path(path).stem
    family = families.of(cfg)
    start = time.perf_counter()
    runs = family.trainer_module().train_config(cfg, where=str(path))
    wall = time.perf_counter() - start
    meta = results.provenance(cfg, wall, family.threads, {"overrides": sets} if sets else None)
    written = results.save(stem, cfg, runs, meta, out)
    print(f"trained {stem}: {len(runs)} run(s), {wall:.1f} s -> {written}", flush=True)


def cmd_plot(args):
    from .core.bumps import load_rules
    from .figures import draw, module
    module(args.stem)  # an unknown stem first
    paths.check_writable(args.out, files=(f"{args.stem}.png", f"{args.stem}.pdf"), fix=OUT_FLAG)
    draw(args.stem, load_rules(), Path(args.results), Path(args.out))


def cmd_claims(args):
    from .claims import write_claims
    paths.check_writable(args.results, files=(paths.CLAIMS.name,), fix="choose another folder with --results")
    table = write_claims(Path(args.results))
    counts = table.verdict.value_counts()
    print(f"claims: {counts.get('PASS', 0)} pass, {counts.get('FAIL', 0)} fail, "
          f"{counts.get('UNDETERMINED', 0)} undetermined of {len(table)} -> {Path(args.results) / 'claims.csv'}")
    for _, row in table[table.verdict != "PASS"].iterrows():
        print(f"  {row.verdict} {row.claim_id} ({row.figure_id}): measured {row.measured}, "
              f"expected {row.expected}")


def cmd_report(args):
    from .report import REPORT, render
    paths.check_writable(REPORT.parent, files=(REPORT.name,), need_bytes=REPORT_BYTES)
    render()


def cmd_deps(args):
    from .core.deps import make_rules
    sys.stdout.write(make_rules())


def cmd_spread(args):
    from .checks.spread import measure
    measure(args.stems, variants=args.variant, reuse=args.reuse, train_only=args.train_only, ci=args.ci)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reproduce", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"reproduce {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train configs and write data/results/<stem>.npz/.json")
    p.add_argument("config", nargs="+", help="config files, trained one after another in one process")
    p.add_argument("--out", help="results folder (default data/results; overridden runs: "
                                 "data/results/overrides/<stem>-<hash>)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config key, value in TOML syntax (lr=0.05, weights=[1,0.5], "
                        "sweep.init_std=[0.1,0.01], target=unit); repeatable")
    p.add_argument("--steps", type=int, help="shorthand for --set steps=S (epochs=S for grokking)")
    p.add_argument("--device", choices=["cpu", "cuda"], help="train on this device (make DEVICE=cuda)")
    p.add_argument("--allow-long", action="store_true",
                   help="train even if the run is estimated to take more than an hour on the reference "
                        "machine (make ALLOW_LONG=1)")
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
    p = sub.add_parser("deps", help="print make rules: the Python sources of every result and figure")
    p.set_defaults(func=cmd_deps)
    p = sub.add_parser("spread", help="retrain under other CPU kernels (and CUDA if present) into "
                                      "data/results-<variant>/ and record deviations in spread.csv")
    p.add_argument("stems", nargs="*", help="figure stems (default: every figure)")
    p.add_argument("--variant", action="append", help="only this variant (repeatable); see spread.py")
    p.add_argument("--reuse", action="store_true", help="keep variant results that exist already")
    p.add_argument("--train-only", action="store_true", help="train the variants, write no spread.csv")
    p.add_argument("--ci", action="store_true", help="train with each family's ci_set overrides")
    p.set_defaults(func=cmd_spread)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (BadInput, TrainingDiverged) as err:
        close_all()  # a progress bar's line must not hold the message
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2 if isinstance(err, BadInput) else 3)
    except KeyboardInterrupt:  # Ctrl-C: outputs land only when finished, so there is nothing to clean up
        close_all()
        print(f"interrupted: {args.command} wrote nothing; rerun to start it again", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
