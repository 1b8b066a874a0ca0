"""Speed: the package's trainer against the obvious implementation, how its cost scales, and make's times.

    python -m reproduce.checks.bench           (what `make bench` runs; the pipeline part takes many minutes)
    python -m reproduce.checks.bench --no-pipeline  (trainer tables only, under a minute)
    python -m reproduce.checks.bench --device cuda  (the package's side on the GPU; the baseline stays on the CPU)

Five tables, each printed and written atomically to data/results/:
  bench.csv           per case: seconds per seed-step of scurve/baseline.py (one seed at a time, dense
                      N^n tensors, autograd) and of train.train_config (64 seeds batched, span basis), the
                      speedup, and the largest relative difference between their loss curves (must be ≤ 1e-9)
  bench_scaling.csv   the package's seconds per seed-step for seeds × N on the rank-4 matrix task, the
                      one-off part of that (a one-step run), and the baseline's per N
                      (both tables: measured_over_estimate, the time against the family's up-front
                      estimate, scurve/config.py `scurve_seconds`, whose constants come from these tables)
  bench_grokking.csv  seconds per epoch of the grokking trainer against its plain reference pass
                      (grokking/bench.py)
  bench_explore.csv   the explorer in headless Chromium: keypress to last chart redrawn, median and p90,
                      and the first page (checks/bench_explore.py)
  bench_pipeline.csv  wall time of a fresh `make all` and its parts, of no-op makes, and of a rebuild after
                      the S-curve results are gone, in a clean copy of the working tree
                      (checks/bench_pipeline.py)
Both sides of a comparison run in this process with torch.set_num_threads(families.get("scurve").threads)
(one thread).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd
import torch

from ..core import config, families, paths, results
from ..scurve import baseline
from ..scurve.config import SCurveConfig

# Settings shared by every case: GD at η = 0.1 from σ-scale Gaussian inits on unit targets (fig03-06).
COMMON = dict(lr=0.1, target="unit", init="gaussian", optimizer="gd", dtype="float64", record_points=300)
# case: (settings, baseline seeds, baseline steps). The package trains 64 seeds for the full run; the
# baseline runs fewer seeds, and fewer steps where a dense step is slow, and is compared per seed-step.
CASES = {
    "rank1_N100": (dict(order=2, rank=1, N=100, init_std=0.01, steps=1000), 4, 1000),
    "rank4_N100": (dict(order=2, rank=4, N=100, init_std=0.01, steps=3000), 4, 3000),
    "order3_N30_rank3": (dict(order=3, rank=3, N=30, init_std=0.1, steps=1000), 3, 1000),
    "order4_N30_rank5": (dict(order=4, rank=5, N=30, init_std=0.2, steps=2000), 2, 150),
}
SEEDS = 64
SCALING_SEEDS = (1, 16, 256, 1024)
SCALING_N = (10, 100, 1000)
SCALING_STEPS = 1000
AGREE_RTOL = 1e-9    # float64 on both sides; round-off (~1e-16) grows by at most ~1e4 through a saddle
LOSS_FLOOR = 1e-12   # below this fraction of L₀ the dense loss itself has no 1e-9 relative accuracy
REPEATS = 3          # every time is the best of this many runs: the machine is shared and noisy
SPEEDUP_TARGETS = {"rank4_N100": 50, "order3_N30_rank3": 200, "order4_N30_rank5": 200}  # promised speed-ups over the baseline


def case_config(settings: dict, seeds: int = SEEDS, device: str = "cpu") -> SCurveConfig:
    return SCurveConfig(**{**COMMON, **settings, "seeds": seeds, "device": device})


def time_project(cfg, repeats: int = REPEATS):
    """Best wall time of train.train_config over `repeats` runs, and the runs of the last one."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        runs = SCURVE.trainer_module().train_config(cfg)
        if cfg.device == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best, runs


def time_baseline(cfg, seeds: int, steps: int):
    """Best per-step wall time of the baseline over `seeds` one-seed runs, and each run's loss curve."""
    best, curves = float("inf"), []
    for seed in range(cfg.seed, cfg.seed + seeds):
        start = time.perf_counter()
        curves.append(baseline.train_seed(cfg, seed, steps))
        best = min(best, (time.perf_counter() - start) / steps)
    return best, np.array(curves)


def max_rel_diff(run: dict, curves: np.ndarray) -> float:
    """Largest |L_project − L_baseline| / L_baseline on the record steps both cover, above the floor."""
    steps = run["step"][run["step"] < curves.shape[1]]
    ours, theirs = run["loss"][: len(curves), : len(steps)], curves[:, steps]
    keep = ours > LOSS_FLOOR * ours[:, :1]
    return float(np.max(np.abs(ours - theirs)[keep] / np.abs(theirs)[keep]))


def compare(name: str, settings: dict, base_seeds: int, base_steps: int, device: str) -> dict:
    cfg = case_config(settings, device=device)
    project_s, runs = time_project(cfg)
    baseline_s, curves = time_baseline(case_config(settings), base_seeds, base_steps)
    per_seed_step = project_s / (cfg.seeds * cfg.steps)
    return dict(case=name, seeds=cfg.seeds, steps=cfg.steps, baseline_s_per_seed_step=baseline_s,
                project_s_per_seed_step=per_seed_step, speedup=baseline_s / per_seed_step,
                baseline_seeds=base_seeds, baseline_steps=base_steps,
                max_rel_loss_diff=max_rel_diff(runs[0], curves), device=device,
                measured_over_estimate=project_s / SCURVE.estimate_seconds(cfg))


def scaling(device: str) -> list[dict]:
    """Cost per seed-step of the rank-4 matrix task against seeds and N, with the baseline's per N."""
    rows = []
    for N in SCALING_N:
        settings = dict(order=2, rank=4, N=N, init_std=0.01, steps=SCALING_STEPS)
        base_steps = 30 if N >= 1000 else 300  # a dense step at N = 1000 touches 10⁶ entries
        baseline_s, _ = time_baseline(case_config(settings), 2, base_steps)
        for seeds in SCALING_SEEDS:
            cfg = case_config(settings, seeds=seeds, device=device)
            project_s, _ = time_project(cfg, repeats=2 if seeds >= 256 else REPEATS)
            # The one-off part (sampling N-vectors, the QR into the span basis): a one-step run.
            setup_s, _ = time_project(case_config({**settings, "steps": 1}, seeds=seeds, device=device))
            rows.append(dict(rank=4, N=N, seeds=seeds, steps=cfg.steps,
                             project_s_per_seed_step=project_s / (seeds * cfg.steps), project_setup_s=setup_s,
                             baseline_s_per_seed_step=baseline_s, device=device,
                             measured_over_estimate=project_s / SCURVE.estimate_seconds(cfg)))
    return rows


SCURVE = families.get("scurve")  # the family this benchmark times


def write(df: pd.DataFrame, name: str, title: str):
    path = paths.RESULTS / name
    results.write_text(path, df.to_csv(index=False, float_format="%.4g"))
    shown = df.to_string(index=False, float_format=lambda x: f"{x:.3g}")
    print(f"\n{title}\n{shown}\nwrote {path}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reproduce.checks.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--no-pipeline", action="store_true", help="skip the make timings (many minutes)")
    parser.add_argument("--device", choices=config.DEVICES, default="cpu",
                        help="device of the package's side (the baseline always runs on the CPU)")
    parser.add_argument("--cases", nargs="*", choices=list(CASES), help="run only these cases (no scaling)")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("error: --device cuda but no CUDA device is available")
    paths.check_writable(paths.RESULTS, files=("bench.csv",))  # where every table goes, before minutes of timing
    torch.set_num_threads(SCURVE.threads)
    load = os.getloadavg()[0]
    print(f"bench: torch {torch.__version__}, {SCURVE.threads} thread(s), load average {load:.2f} "
          f"on {os.cpu_count()} cores (timings are the best of {REPEATS})", flush=True)
    rows = [compare(name, *CASES[name], device=args.device) for name in (args.cases or CASES)]
    table = pd.DataFrame(rows)
    write(table, "bench.csv", "trainer vs baseline (seconds per seed-step)")
    if args.cases is None:
        write(pd.DataFrame(scaling(args.device)), "bench_scaling.csv", "scaling: rank 4, order 2")
    for case, target in SPEEDUP_TARGETS.items():
        if case in set(table["case"]):
            speedup = table.set_index("case").loc[case, "speedup"]
            verdict = "met" if speedup >= target else "MISSED"
            print(f"target: {case} speedup {speedup:.0f}× (≥ {target}×): {verdict}")
    print(f"bench: load average now {os.getloadavg()[0]:.2f}", flush=True)
    if args.cases is None:
        from ..grokking.bench import main as grokking_bench   # writes bench_grokking.csv
        grokking_bench()
    if args.cases is None:
        from .bench_explore import main as explorer_bench   # writes bench_explore.csv (needs chromium)
        explorer_bench([])
    if not args.no_pipeline:
        from .bench_pipeline import main as pipeline_bench   # writes bench_pipeline.csv
        pipeline_bench()
    bad = table[~(table["max_rel_loss_diff"] <= AGREE_RTOL)]
    if len(bad):
        sys.exit(f"error: loss curves differ from the baseline by more than {AGREE_RTOL:g} in "
                 f"{', '.join(bad['case'])}")


if __name__ == "__main__":
    main()
