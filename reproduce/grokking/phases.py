"""The phases of a grokking run (Nanda et al. 2023), located on its recorded curves; numpy only, so the
trainer can choose its key-frequency eval without importing the analysis (grokking/measure.py).

  memorisation       epoch 0 → the first eval with train accuracy ≥ TRAIN_ACC ("memorised"),
  circuit formation  → the first later eval at which the test loss has fallen to CLEANUP_DROP × its
                       post-memorisation peak ("cleanup" starts),
  cleanup            → the first eval at which the test loss is within CLEANED_FACTOR × its final value.
"grokked" is the first eval with test accuracy ≥ TEST_ACC.

The key frequencies are read at KEY_PHASE, a fixed phase rather than the end of the run: "grokked", the
first eval at which the circuit generalises. A set read at the end would keep only the survivors of
whatever competition runs after cleanup (grokking/measure.py, "Key frequencies").
"""
from __future__ import annotations

import numpy as np

TRAIN_ACC = 0.99      # memorised: train accuracy first reaches this
TEST_ACC = 0.95       # grokked: test accuracy first reaches this
CLEANUP_DROP = 0.5    # cleanup starts when the test loss has halved from its post-memorisation peak
CLEANED_FACTOR = 10   # ... and ends when the test loss is within 10× of its end-of-run value
KEY_PHASE = "grokked"  # the phase at which the key frequencies are read
PHASES = ("memorised", "cleanup", "grokked", "cleaned")


def first_epoch(epoch, curve, level, below=False, after=0):
    """First recorded epoch ≥ `after` at which `curve` is ≥ level (≤ level with below=True); NaN if never."""
    hit = (curve <= level if below else curve >= level) & (epoch >= after)
    return float(epoch[np.argmax(hit)]) if hit.any() else np.nan


def phases(run) -> dict:
    """Phase boundaries of one seed in epochs (module docstring); NaN where a phase never ends. `run` has
    the arrays epoch, train_acc, test_acc and test_loss as attributes."""
    e = run.epoch
    memorised = first_epoch(e, run.train_acc, TRAIN_ACC)
    grokked = first_epoch(e, run.test_acc, TEST_ACC)
    after = e >= (memorised if np.isfinite(memorised) else e[-1])
    peak_epoch = e[after][np.argmax(run.test_loss[after])]
    peak = run.test_loss[e == peak_epoch][0]
    cleanup = first_epoch(e, run.test_loss, CLEANUP_DROP * peak, below=True, after=peak_epoch)
    cleaned = (first_epoch(e, run.test_loss, CLEANED_FACTOR * run.test_loss[-1], below=True, after=cleanup)
               if np.isfinite(cleanup) else np.nan)
    return {"memorised": memorised, "cleanup": cleanup, "grokked": grokked, "cleaned": cleaned}


def key_eval(epoch, phase_epochs: dict) -> int:
    """Index of the eval at which the key frequencies are read: KEY_PHASE, or the last eval of a run that
    never reaches it (a run too short to grok)."""
    at = phase_epochs[KEY_PHASE]
    return int(np.searchsorted(epoch, at)) if np.isfinite(at) else len(epoch) - 1
