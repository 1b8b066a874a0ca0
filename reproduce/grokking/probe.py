"""The causal probe of paper/spec/grokking.md: remove one key frequency from the embedding partway through
circuit formation, train on, and see whether another frequency takes its place or the model does not
need it.

    python -m reproduce.grokking.probe [--seed 0] [--epoch 600] [--k K]    (one seed, ~3 min on one core)

Reads the study's results (data/results/figG_grokking.npz) for the unablated run of the same seed; by
default removes that seed's key frequency with the largest final embedding share. Writes
data/results/figG_probe.json: both runs' final key frequencies, test losses and accuracies. Not part of
`make all` (it would add a fifth training run to the time budget).
"""
from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np

import torch

from ..core import config, paths, results
from . import measure as g
from .config import STUDY
from .train import THREADS, measure_snapshots, train


def probe(seed: int, epoch: int, k: int | None) -> dict:
    study = results.load(STUDY)
    base = next(r for r in study.runs if r.cfg.seed == seed)
    share = g.shares(base.freq_norm)[-1, g.columns(base, base.final_key_freqs)]
    k = int(base.final_key_freqs[np.argmax(share)]) if k is None else k
    cfg = dataclasses.replace(config.load(paths.CONFIGS / f"{STUDY}.toml"), sweep={}, seed=seed)
    model, epochs, snaps = train(cfg, f"probe seed {seed}", ablate=(epoch, k))
    run = results.Run(cfg, measure_snapshots(cfg, model, epochs, snaps))
    side = lambda r: dict(key_freqs=[int(x) for x in r.final_key_freqs],  # noqa: E731
                          final_test_loss=float(r.test_loss[-1]), final_test_acc=float(r.test_acc[-1]),
                          phases=g.phases(r), removed_share_final=float(g.shares(r.freq_norm)[-1, k - 1]))
    new = sorted(set(run.final_key_freqs) - set(base.final_key_freqs))
    return dict(seed=seed, epoch=epoch, removed=k, baseline=side(base), ablated=side(run),
                replacements=[int(x) for x in new],
                verdict=("competition: another frequency takes its place" if new else
                         "redundant: the remaining key frequencies carry the task" if k not in run.final_key_freqs
                         else "it grows back: the removed frequency is relearned"))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reproduce.grokking.probe",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epoch", type=int, default=600)
    parser.add_argument("--k", type=int, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(THREADS)
    out = probe(args.seed, args.epoch, args.k)
    path = paths.RESULTS / "figG_probe.json"
    results.write_text(path, json.dumps(out, indent=2, default=float) + "\n")
    print(json.dumps(out, indent=2, default=float), f"\nwrote {path}", sep="")


if __name__ == "__main__":
    main()
