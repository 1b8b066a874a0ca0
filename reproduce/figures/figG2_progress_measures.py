"""Figure G2 — progress measures: restricted and excluded loss against the test loss (Nanda et al. 2023),
with the key frequencies taken from the end of training.

    python -m reproduce plot figG2_progress_measures

Restricted loss: only the cos/sin(w_k(a+b)) parts of the logits at the key frequencies k (plus each
output's mean), all p² inputs. Excluded loss: those parts removed, training inputs. Right panel: the
excluded loss of each key frequency alone, one reading of the thread's "bumps on every key frequency"
(figG3_frequency_competition tests the other, the per-frequency embedding norm).
"""
import numpy as np
import pandas as pd

from .common import claim, subplots
from .figG1_grokking import SOURCE, first_epoch, phases, shade_phases
from .figG3_frequency_competition import bump, bump_text

RESULTS_STEM = "figG_grokking"
FIGURE = __name__.rsplit(".", 1)[-1]   # claims name this figure, not the shared results stem
FALL_LEVEL = 1.0       # a loss has "fallen" when it is below 1 nat (ln p ≈ 4.7 is a uniform guess)
RISE_FACTOR = 2.0      # claim: the excluded loss at least doubles from its low during circuit formation
CURVES = {"test_loss": ("C3", "test loss"), "train_loss": ("C0", "train loss"),
          "restricted_loss": ("C2", "restricted loss (all inputs)"),
          "excluded_loss": ("C1", "excluded loss (train inputs)")}


def figure_data(res) -> pd.DataFrame:
    """Long format: one row per (curve, k, epoch); k = 0 for the whole-key-set curves."""
    run = res.runs[0]
    rows = [pd.DataFrame({"curve": name, "k": 0, "epoch": run.epoch, "loss": run.data[name]}) for name in CURVES]
    rows += [pd.DataFrame({"curve": "excluded_loss_one_key", "k": int(k), "epoch": run.epoch,
                           "loss": run.excluded_loss_each[:, j]}) for j, k in enumerate(run.key_freqs)]
    return pd.concat(rows, ignore_index=True)


def plot(res, data):
    run = res.runs[0]
    fig, (ax, ax_k) = subplots(2, width=4.6, height=3.5)
    for name, (color, label) in CURVES.items():
        d = data[data.curve == name]
        ax.semilogy(d.epoch, d.loss, color=color, label=label)
    shade_phases(ax, run)
    ax.axhline(FALL_LEVEL, color="0.3", lw=0.8, ls=":", label=f"{FALL_LEVEL:g} nat")
    keys = ", ".join(str(k) for k in run.key_freqs)
    ax.set(xlabel="epoch", ylabel="cross-entropy loss (nats)", xlim=(0, data.epoch.max()),
           title=f"Progress measures (key frequencies {keys})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3, fontsize=7)
    one = data[data.curve == "excluded_loss_one_key"]
    for j, (k, d) in enumerate(one.groupby("k")):
        ax_k.semilogy(d.epoch, d.loss, color=f"C{j}", label=f"k = {k} removed")
    d = data[data.curve == "train_loss"]
    ax_k.semilogy(d.epoch, d.loss, color="k", lw=0.8, ls="--", label="nothing removed")
    shade_phases(ax_k, run, legend=False)
    ax_k.set(xlabel="epoch", ylabel="train loss, one key frequency removed (nats)", xlim=(0, data.epoch.max()),
             title="Excluded loss of each key frequency alone")
    ax_k.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3, fontsize=7)
    return fig


def _measures(run):
    ph = phases(run)
    mem, clean = ph["memorised"], ph["cleanup"]
    restricted_fall = first_epoch(run.epoch, run.restricted_loss, FALL_LEVEL, below=True, after=mem)
    test_fall = first_epoch(run.epoch, run.test_loss, FALL_LEVEL, below=True, after=mem)
    # the rise during circuit formation: from the excluded loss's low to its high, the low coming first
    cf = np.nonzero((run.epoch >= mem) & (run.epoch <= clean))[0] if np.isfinite(clean) else np.array([], int)
    if len(cf):
        curve = run.excluded_loss[cf]
        low = np.minimum.accumulate(curve)
        hi = int(np.argmax(curve / low))
        lo = int(np.argmin(curve[:hi + 1]))
        rise = dict(low=curve[lo], low_epoch=run.epoch[cf[lo]], high=curve[hi], high_epoch=run.epoch[cf[hi]])
    else:
        rise = dict(low=np.nan, low_epoch=np.nan, high=np.nan, high_epoch=np.nan)
    peak = int(np.argmax(run.excluded_loss))
    return dict(restricted_fall=restricted_fall, test_fall=test_fall, peak=run.excluded_loss[peak],
                peak_epoch=run.epoch[peak], **rise, **ph)


def caption(res):
    run, m = res.runs[0], _measures(res.runs[0])
    return (f"{FIGURE} — {SOURCE}. Key frequencies {', '.join(map(str, run.key_freqs))}, from the final "
            f"model's MLP neurons (each neuron's best frequency; neurons holding ≥ {res.cfg.key_frac:.0%} of "
            f"their activation energy there vote). Left: the restricted loss falls below {FALL_LEVEL:g} nat at "
            f"epoch {m['restricted_fall']:.0f}, the test loss only at {m['test_fall']:.0f}; through circuit "
            f"formation the excluded loss rises from {m['low']:.2g} (epoch {m['low_epoch']:.0f}) to "
            f"{m['high']:.3g} (epoch {m['high_epoch']:.0f}), peaks at {m['peak']:.3g} (epoch "
            f"{m['peak_epoch']:.0f}) and falls again in cleanup. Right: the train loss with a single key "
            f"frequency's cos/sin(w_k(a+b)) logit components removed. Phase bands as in figG1_grokking.")


def claims(res):
    run, m = res.runs[0], _measures(res.runs[0])
    rows = [claim("G2_restricted_first", FIGURE,
                  f"the restricted loss falls (below {FALL_LEVEL:g} nat) before the test loss does",
                  f"restricted epoch {m['restricted_fall']:.0f}, test epoch {m['test_fall']:.0f}",
                  "restricted epoch < test epoch",
                  bool(np.isfinite(m["restricted_fall"]) and not m["test_fall"] <= m["restricted_fall"]))]
    ratio = m["high"] / m["low"]
    rows.append(claim("G2_excluded_rises", FIGURE,
                      f"the excluded loss rises during circuit formation: at least {RISE_FACTOR:g}× from its low "
                      "to a later high, both between memorisation and the start of cleanup",
                      f"{m['low']:.3g} (epoch {m['low_epoch']:.0f}) → {m['high']:.3g} (epoch "
                      f"{m['high_epoch']:.0f}), ×{ratio:.3g}",
                      f"× ≥ {RISE_FACTOR:g}", bool(ratio >= RISE_FACTOR)))
    each = {int(k): bump(run.excluded_loss_each[:, j]) for j, k in enumerate(run.key_freqs)}
    bumped = [k for k, b in each.items() if b is not None]
    rows.append(claim("G2_key_excluded_bumps", FIGURE,
                      "thread's question, as the thread puts it: every key frequency shows a bump, here in its own "
                      f"excluded loss (train loss with that frequency removed; {bump_text()})",
                      f"{len(bumped)} of {len(each)} key frequencies bump"
                      + (f" (k = {', '.join(map(str, bumped))})" if bumped else ""),
                      f"{len(each)} of {len(each)}", bool(len(each) > 0 and len(bumped) == len(each))))
    return rows
