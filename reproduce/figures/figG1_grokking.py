"""Figure G1 — modular-addition grokking: train and test loss and accuracy, the weight norm, the phases.

    python -m reproduce plot figG1_grokking

The phases of Nanda et al. (2023), located here on the recorded curves:
  memorisation       epoch 0 → the first eval with train accuracy ≥ TRAIN_ACC ("memorised"),
  circuit formation  → the first eval after that where the test loss has fallen to CLEANUP_DROP × its
                       post-memorisation peak ("cleanup" starts),
  cleanup            → the first eval where the test loss is within CLEANED_FACTOR × its final value ("cleaned").
"grokked" is the first eval with test accuracy ≥ TEST_ACC; it falls inside cleanup.
"""
import numpy as np
import pandas as pd

from .common import claim, settings, subplots

RESULTS_STEM = "figG_grokking"
FIGURE = __name__.rsplit(".", 1)[-1]   # claims name this figure, not the shared results stem
SOURCE = "extension [D]: the comment thread's open question (modular-addition grokking, Nanda et al. 2023)"
TRAIN_ACC = 0.99       # memorised: train accuracy first reaches this (GROKKING.md's table)
TEST_ACC = 0.95        # grokked: test accuracy first reaches this (GROKKING.md's table)
CLEANUP_DROP = 0.5     # cleanup starts when the test loss has halved from its post-memorisation peak
CLEANED_FACTOR = 10    # ... and ends when the test loss is within 10× of its end-of-run value
GROK_RATIO = 10        # claim: "grokking" means the test epoch is at least 10× the train epoch
PHASE_COLORS = {"memorisation": "0.88", "circuit formation": "#fbe3b5", "cleanup": "#c9def2"}


def first_epoch(epoch, curve, level, below=False, after=0):
    """First recorded epoch ≥ `after` at which `curve` is ≥ level (or ≤ level with below=True); NaN if never."""
    hit = (curve <= level if below else curve >= level) & (epoch >= after)
    return float(epoch[np.argmax(hit)]) if hit.any() else np.nan


def phases(run) -> dict:
    """Phase boundaries in epochs (see the module docstring); NaN where a phase never ends."""
    e = run.epoch
    memorised = first_epoch(e, run.train_acc, TRAIN_ACC)
    grokked = first_epoch(e, run.test_acc, TEST_ACC)
    after = e >= (memorised if np.isfinite(memorised) else e[-1])
    peak_epoch = e[after][np.argmax(run.test_loss[after])]
    peak = run.test_loss[e == peak_epoch][0]
    cleanup = first_epoch(e, run.test_loss, CLEANUP_DROP * peak, below=True, after=peak_epoch)
    cleaned = first_epoch(e, run.test_loss, CLEANED_FACTOR * run.test_loss[-1], below=True,
                          after=cleanup if np.isfinite(cleanup) else e[-1])
    return {"memorised": memorised, "cleanup": cleanup, "grokked": grokked, "cleaned": cleaned}


def shade_phases(ax, run, legend=True):
    """Memorisation, circuit formation and cleanup as background bands."""
    ph = phases(run)
    edges = [0 if ax.get_xscale() == "linear" else run.epoch[1], ph["memorised"], ph["cleanup"], ph["cleaned"]]
    for (name, color), lo, hi in zip(PHASE_COLORS.items(), edges[:-1], edges[1:]):
        if np.isfinite(lo) and np.isfinite(hi) and hi > lo:
            ax.axvspan(lo, hi, color=color, zorder=0, label=name if legend else None)


def figure_data(res) -> pd.DataFrame:
    run = res.runs[0]
    return pd.DataFrame({"epoch": run.epoch, "train_loss": run.train_loss, "test_loss": run.test_loss,
                         "train_acc": run.train_acc, "test_acc": run.test_acc, "weight_norm": run.weight_norm})


def plot(res, data):
    run, ph = res.runs[0], phases(res.runs[0])
    fig, (ax_loss, ax_acc) = subplots(2, width=4.6, height=3.5)
    # left: losses on log-y against a linear epoch axis, where the three phases have comparable widths
    ax_loss.semilogy(data.epoch, data.train_loss, color="C0", label="train loss")
    ax_loss.semilogy(data.epoch, data.test_loss, color="C3", label="test loss")
    shade_phases(ax_loss, run)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss (nats)", xlim=(0, data.epoch.max()),
                title="Loss and weight norm; phases shaded")
    ax_w = ax_loss.twinx()
    ax_w.plot(data.epoch, data.weight_norm, color="k", ls="--", lw=1, label="weight norm Σw² (right axis)")
    ax_w.set_ylabel("total weight norm Σw²")
    ax_w.grid(False)                              # the loss axis carries the grid
    h1, l1 = ax_loss.get_legend_handles_labels()
    h2, l2 = ax_w.get_legend_handles_labels()
    ax_loss.legend(h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3, fontsize=7)
    # right: accuracies against log epoch, where the ratio grokked / memorised reads as a distance
    d = data[data.epoch > 0]
    ax_acc.semilogx(d.epoch, d.train_acc, color="C0", label="train accuracy")
    ax_acc.semilogx(d.epoch, d.test_acc, color="C3", label="test accuracy")
    shade_phases(ax_acc, run, legend=False)
    for key, ls in (("memorised", ":"), ("grokked", "-.")):
        if np.isfinite(ph[key]):
            ax_acc.axvline(ph[key], color="0.2", ls=ls, lw=1, label=f"{key}: epoch {ph[key]:.0f}")
    ax_acc.set(xlabel="epoch (log scale)", ylabel="accuracy", ylim=(-0.02, 1.02), title="Accuracy: grokking")
    ax_acc.legend(loc="center left", fontsize=7, frameon=True, framealpha=0.9)
    return fig


def caption(res):
    ph = phases(res.runs[0])
    return (f"{FIGURE} — {SOURCE}. One-layer transformer on a + b mod {res.cfg.p}, trained full batch on "
            f"{res.cfg.frac_train:.0%} of the pairs (seed {res.cfg.seed}); loss in float64. Train accuracy "
            f"reaches {TRAIN_ACC} at epoch {ph['memorised']:.0f}; test accuracy reaches {TEST_ACC} only at "
            f"epoch {ph['grokked']:.0f}. Bands: memorisation (grey); circuit formation (beige), until the test "
            f"loss has fallen to {CLEANUP_DROP:g}× its post-memorisation peak (epoch {ph['cleanup']:.0f}); "
            f"cleanup (blue), until it is within {CLEANED_FACTOR}× its final value (epoch {ph['cleaned']:.0f}). "
            f"The weight norm (dashed) falls fastest during cleanup. Settings: "
            f"{settings(res.cfg, 'p', 'frac_train', 'd_model', 'n_heads', 'd_mlp', 'lr', 'weight_decay', 'epochs')}.")


def claims(res):
    ph = phases(res.runs[0])
    ratio = ph["grokked"] / ph["memorised"]
    return [claim("G1_grokking", FIGURE,
                  f"grokking: test accuracy reaches {TEST_ACC} at least {GROK_RATIO}× later than train "
                  f"accuracy reaches {TRAIN_ACC}",
                  f"train epoch {ph['memorised']:.0f}, test epoch {ph['grokked']:.0f}, ratio {ratio:.1f}",
                  f"ratio ≥ {GROK_RATIO}", bool(np.isfinite(ratio) and ratio >= GROK_RATIO))]
