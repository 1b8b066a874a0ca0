"""Figure G2 — progress measures over seeds: restricted and excluded loss against the test loss (Nanda et
al. 2023), and the excluded loss of each key frequency alone, with the key frequencies of each seed's end.

    python -m reproduce plot figG2_progress_measures

Restricted loss: only the cos/sin(w_k(a+b)) parts of the logits at the key frequencies k (plus each
output's mean), all p² inputs. Excluded loss: those parts removed, training inputs. The excluded loss of
one key frequency (that frequency's parts removed) is the thread's "bump on every key frequency" as
Nanda et al. measure it; figG3_frequency_competition reads the embedding instead.
"""
import numpy as np
import pandas as pd

from ..core import bumps
from ..grokking import measure as g
from .common import claim, subplots

RESULTS_STEM = "figG_grokking"
FIGURE = __name__.rsplit(".", 1)[-1]   # claims name this figure, not the shared results stem
SOURCE = ("extension [D]: the comment thread's open question (modular-addition grokking, Nanda et al. "
          "2023)")
FALL_LEVEL = 1.0       # a loss has "fallen" when it is below 1 nat (ln p ≈ 4.7 is a uniform guess)
CURVES = {"test_loss": "test loss", "restricted_loss": "restricted loss (all inputs)",
          "excluded_loss": "excluded loss (train inputs)"}


def figure_data(res, rules) -> pd.DataFrame:
    """Long format: one row per (seed, curve, k, epoch); k = 0 for the whole-key-set curves."""
    rows = []
    for run in res.runs:
        s = int(run.cfg.seed)
        rows += [pd.DataFrame({"seed": s, "curve": name, "k": 0, "epoch": run.epoch, "loss": run.data[name]})
                 for name in CURVES]
        rows += [pd.DataFrame({"seed": s, "curve": "excluded_loss_one_key", "k": int(k), "epoch": run.epoch,
                               "loss": run.excluded_loss_each[:, j]}) for j, k in enumerate(run.key_freqs)]
    return pd.concat(rows, ignore_index=True)


def _falls(run) -> dict:
    mem = g.phases(run)["memorised"]
    return {name: g.first_epoch(run.epoch, run.data[f"{name}_loss"], FALL_LEVEL, below=True, after=mem)
            for name in ("restricted", "test")}


def regression_data(res, rules) -> pd.DataFrame:
    """Per seed: the epoch at which the excluded loss of the whole key set peaks after memorisation, and
    the epochs at which the restricted and test losses fall below FALL_LEVEL. One row per seed: which key
    frequencies count as essential is itself not portable across CPU kernels (a marginal one's excluded
    loss may or may not bump), so no row is keyed by a frequency."""
    rows = []
    for run in res.runs:
        mem = g.phases(run)["memorised"]
        after = run.epoch >= (mem if np.isfinite(mem) else 0)
        peak = float(run.epoch[after][np.argmax(run.excluded_loss[after])])
        f = _falls(run)
        rows.append(dict(seed=int(run.cfg.seed), excluded_peak=peak, restricted_fall=f["restricted"],
                         test_fall=f["test"]))
    return pd.DataFrame(rows, columns=["seed", "excluded_peak", "restricted_fall", "test_fall"])


def plot(res, data):
    seeds = sorted(data.seed.unique())
    fig, axes = subplots(len(seeds), nrows=2, width=3.0, height=2.8, sharex="col", squeeze=False)
    for col, seed in enumerate(seeds):
        ax, ax_k = axes[0, col], axes[1, col]
        d = data[data.seed == seed]
        for (name, label), c in zip(CURVES.items(), ("C3", "C2", "C1")):
            e = d[d.curve == name]
            ax.semilogy(e.epoch, e.loss, color=c, label=label)
        ax.axhline(FALL_LEVEL, color="0.3", lw=0.8, ls=":", label=f"{FALL_LEVEL:g} nat")
        one = d[d.curve == "excluded_loss_one_key"]
        for j, (k, e) in enumerate(one.groupby("k")):
            ax_k.semilogy(e.epoch, e.loss, color=f"C{j}", lw=1, label=f"k = {k}")
        ax.set(title=f"seed {seed}", ylabel="loss (nats)" if col == 0 else None)
        ax_k.set(xlabel="epoch", ylabel="train loss, one key k removed" if col == 0 else None,
                 xlim=(0, d.epoch.max()))
        ax_k.legend(fontsize=6, ncol=2, loc="lower left")
    axes[0, 0].legend(fontsize=6, loc="lower left")
    return fig


def caption(res, rules):
    rule = rules.excluded_loss
    keys = "; ".join(f"seed {r.cfg.seed}: k = {', '.join(map(str, r.key_freqs))}" for r in res.runs)
    return (f"{FIGURE} — {SOURCE}. Key frequencies from each seed's final model ({keys}; each MLP neuron's "
            f"best frequency, neurons holding ≥ {res.cfg.key_frac:.0%} of their activation energy there "
            f"vote). Top: test, restricted and excluded loss; the restricted loss falls below {FALL_LEVEL:g} "
            f"nat before the test loss, the excluded loss rises through circuit formation and stays high "
            f"(the final model needs its key frequencies). Bottom: "
            f"the train loss with one key frequency's cos/sin(w_k(a+b)) logit components removed. Bump: "
            f"{rule.describe()}.")


def claims(res, rules):
    falls = [_falls(r) for r in res.runs]
    first = [np.isfinite(f["restricted"]) and not f["test"] <= f["restricted"] for f in falls]
    rows = [claim("G2_restricted_first", FIGURE,
                  f"in every seed the restricted loss falls (below {FALL_LEVEL:g} nat) before the test loss",
                  f"{sum(first)} of {len(first)} seeds; restricted / test epochs "
                  + ", ".join(f"{f['restricted']:.0f}/{f['test']:.0f}" for f in falls),
                  f"{len(first)} of {len(first)}", all(first))]
    rule = rules.excluded_loss
    _, _, peak, trough = bumps.bump_peaks(np.stack([r.excluded_loss for r in res.runs]), rule)
    rose = (peak >= rule.rise_factor * trough) & (peak >= rule.peak_min)
    rows.append(claim("G2_excluded_rises", FIGURE,
                      f"in every seed the excluded loss (all key frequencies removed) rises after memorisation: "
                      f"to ≥ {rule.rise_factor:g}× its running minimum and ≥ {rule.peak_min:g} nat (the rise of "
                      "the bump rule, data/bump.toml [excluded_loss]; Nanda et al.: it then stays high)",
                      f"{int(rose.sum())} of {len(res.runs)} seeds; low → peak "
                      + ", ".join(f"{t:.2g} → {p:.3g}" for t, p in zip(trough, peak)),
                      f"{len(res.runs)} of {len(res.runs)}", bool(rose.all())))
    each = [g.excluded_bumps(r, rules) for r in res.runs]
    n_key, n_bump = sum(len(e) for e in each), sum(b for e in each for b, *_ in e.values())
    missing = [f"seed {r.cfg.seed} k = {k} (max {g.excluded_after_memorisation(r)[:, j].max():.2g} nat)"
               for r, e in zip(res.runs, each) for j, (k, (b, *_)) in enumerate(e.items()) if not b]
    rows.append(claim("G2_key_excluded_bumps", FIGURE,
                      "thread's question, as the thread puts it: every key frequency of every seed shows a "
                      "bump in its own excluded loss (train loss with that frequency removed)",
                      f"{n_bump} of {n_key} key frequencies over {len(res.runs)} seeds"
                      + (f"; no bump: {', '.join(missing)}" if missing else ""),
                      f"{n_key} of {n_key}", n_key > 0 and n_bump == n_key,
                      says={"PASS": "Every key frequency bumps in its own excluded loss.",
                            "FAIL": f"Only {n_bump} of {n_key} key frequencies bump in their own excluded "
                                    f"loss; removing any of the others alone costs the trained model less than "
                                    f"the rule's {rule.peak_min:g} nat."}))
    status = [g.completeness(r, rules) for r in res.runs]
    rows.append(claim("G2_runs_complete", FIGURE,
                      "every seed ran long enough: grokked, cleaned up, and no key frequency's excluded loss "
                      f"is still rising at the end above {rule.peak_min:g} nat (a bump that could be under way)",
                      "; ".join(f"seed {r.cfg.seed}: {s}" for r, s in zip(res.runs, status)),
                      "all complete", all(s == "complete" for s in status)))
    return rows
