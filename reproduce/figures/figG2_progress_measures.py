"""Figure G2 — progress measures over seeds: restricted and excluded loss against the test loss (Nanda et
al. 2023), and the excluded loss of every frequency alone, the key ones in colour.

    python -m reproduce plot figG2_progress_measures

Restricted loss: only the cos/sin(w_k(a+b)) parts of the logits at the key frequencies k (plus each
output's mean), all p² inputs. Excluded loss: those parts removed, training inputs. The excluded loss of
one frequency (its parts removed) is the thread's "bump on every key frequency" as Nanda et al. measure
it; the key set is read when the seed groks (grokking/measure.py, "Key frequencies"), and the scale-free
bump rule (data/bump.toml [excluded_loss]) sorts each curve into bump, rising and flat. The frequencies
G2_key_excluded_bumps fails on are drawn dashed and marked ✗. figG3_frequency_competition reads the
embedding instead.
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
STATE_LABEL = {"bump": "", "rising": " ✗ at its peak", "flat": " ✗ flat"}


def figure_data(res, rules) -> pd.DataFrame:
    """kind "curve": one row per (seed, curve, k, epoch), k = 0 for the whole-key-set curves and the train
    loss, `role` key or other for one frequency's excluded loss; kind "state": each key frequency's
    excluded-loss state (bump, rising, flat) and peak."""
    rows = []
    for run in res.runs:
        s = int(run.cfg.seed)
        rows += [pd.DataFrame({"kind": "curve", "seed": s, "curve": name, "k": 0, "epoch": run.epoch,
                               "loss": run.data[name]}) for name in (*CURVES, "train_loss")]
        key = set(run.key_freqs.tolist())
        rows += [pd.DataFrame({"kind": "curve", "seed": s, "curve": "excluded_loss_one",
                               "role": "key" if k in key else "other", "k": int(k), "epoch": run.epoch,
                               "loss": run.excluded_loss_freq[:, j]}) for j, k in enumerate(run.freq)]
        rows.append(pd.DataFrame([{"kind": "state", "seed": s, "k": k, "state": st["state"],
                                   "epoch": st["peak_epoch"], "loss": st["peak"]}
                                  for k, st in g.excluded_states(run, rules).items()],
                                 columns=["kind", "seed", "k", "state", "epoch", "loss"]))
    return pd.concat(rows, ignore_index=True)


def _falls(run) -> dict:
    mem = g.phases(run)["memorised"]
    return {name: g.first_epoch(run.epoch, run.data[f"{name}_loss"], FALL_LEVEL, below=True, after=mem)
            for name in ("restricted", "test")}


def regression_data(res, rules) -> pd.DataFrame:
    """Per seed: the epoch at which the excluded loss of the whole key set peaks after memorisation, the
    epochs at which the restricted and test losses fall below FALL_LEVEL, and the key eval. One row per
    seed: which frequencies are key or relied on is itself not portable across CPU kernels (a marginal
    one's votes or excluded loss sit near a threshold), so no row is keyed by a frequency."""
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
    fig, axes = subplots(len(seeds), nrows=2, width=3.0, height=2.9, sharex="col", squeeze=False)
    curves, states = data[data.kind == "curve"], data[data.kind == "state"]
    for col, seed in enumerate(seeds):
        ax, ax_k = axes[0, col], axes[1, col]
        d, st = curves[curves.seed == seed], states[states.seed == seed].set_index("k")
        for (name, label), c in zip(CURVES.items(), ("C3", "C2", "C1")):
            e = d[d.curve == name]
            ax.semilogy(e.epoch, e.loss, color=c, label=label)
        ax.axhline(FALL_LEVEL, color="0.3", lw=0.8, ls=":", label=f"{FALL_LEVEL:g} nat")
        one = d[d.curve == "excluded_loss_one"]
        for k, e in one[one.role == "other"].groupby("k"):
            ax_k.semilogy(e.epoch, e.loss, color="0.82", lw=0.4, zorder=1)
        train = d[d.curve == "train_loss"]
        ax_k.semilogy(train.epoch, train.loss, color="k", lw=0.8, ls=":", zorder=2, label="train loss")
        for j, (k, e) in enumerate(one[one.role == "key"].groupby("k")):
            state = st.loc[k, "state"]
            c = f"C{j % 10}"
            ax_k.semilogy(e.epoch, e.loss, color=c, lw=1.1, ls="-" if state == "bump" else "--", zorder=3,
                          label=f"k = {k}{STATE_LABEL[state]}")
            if state == "bump":
                ax_k.plot(st.loc[k, "epoch"], st.loc[k, "loss"], "o", color=c, ms=3, zorder=4)
            else:
                ax_k.plot(e.epoch.iloc[-1], e.loss.iloc[-1], "x", color=c, ms=6, mew=1.5, zorder=4)
        ax.set(title=f"seed {seed}", ylabel="loss (nats)" if col == 0 else None)
        ax_k.set(xlabel="epoch", ylabel="train loss, one frequency removed" if col == 0 else None,
                 xlim=(0, d.epoch.max()))
        ax_k.legend(fontsize=5.5, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    axes[0, 0].legend(fontsize=6, loc="lower left")
    return fig


def caption(res, rules):
    rule = rules.excluded_loss
    keys = "; ".join(f"seed {r.cfg.seed}: k = {', '.join(map(str, r.key_freqs))} at epoch {g.key_epoch(r):.0f}"
                     f" (at the end: {', '.join(map(str, r.final_key_freqs))})" for r in res.runs)
    return (f"{FIGURE} — {SOURCE}. Key frequencies read when each seed groks ({keys}); a frequency is key "
            f"with ≥ {res.cfg.min_votes} votes, a neuron voting for its best frequency when that holds "
            f"≥ {res.cfg.key_frac:.0%} of its activation energy. Top: test, restricted and excluded loss of "
            f"the key set; the restricted loss falls below {FALL_LEVEL:g} nat before the test loss, the "
            f"excluded loss rises through circuit formation. Bottom: the train loss with one frequency's "
            f"cos/sin(w_k(a+b)) logit components removed, key frequencies in colour, all others grey; "
            f"dotted: the train loss. Bump ●: {rule.describe()}. Dashed and ✗: a key frequency whose curve "
            f"never rises that far (flat) or ends at or near its peak (rising: a bump under way or a "
            f"plateau, the run is incomplete there).")


def claims(res, rules):
    rule, n = rules.excluded_loss, len(res.runs)
    falls = [_falls(r) for r in res.runs]
    # the eval grid: a fall is somewhere after the eval before it, so the lead is known to ± one spacing
    step = [float(np.median(np.diff(r.epoch[r.epoch >= r.cfg.eval_every]))) for r in res.runs]
    lead = np.array([f["test"] - f["restricted"] for f in falls])
    lead_lo = np.nan_to_num(lead - np.array(step), nan=-np.inf)
    v = "PASS" if (lead_lo > 0).all() else "FAIL" if (np.nan_to_num(lead + step, nan=-1) <= 0).any() \
        else "UNDETERMINED"
    rows = [claim("G2_restricted_first", FIGURE,
                  f"in every seed the restricted loss falls (below {FALL_LEVEL:g} nat) before the test loss",
                  "restricted / test epochs " + ", ".join(f"{f['restricted']:.0f}/{f['test']:.0f}"
                                                           for f in falls)
                  + f"; lead {np.nanmin(lead):.0f}–{np.nanmax(lead):.0f} epochs, eval spacing "
                    f"{max(step):.0f}", "every lead > one eval spacing", v,
                  says={"PASS": f"In every seed the restricted loss falls below {FALL_LEVEL:g} nat "
                                f"{np.nanmin(lead):.0f}–{np.nanmax(lead):.0f} epochs before the test loss.",
                        "FAIL": "In some seed the restricted loss does not fall before the test loss.",
                        "UNDETERMINED": "The restricted and test losses fall within one eval of each other "
                                        "in some seed."})]
    _, _, peak, floor = bumps.bump_peaks(np.stack([r.excluded_loss for r in res.runs]), rule,
                                         reference=np.stack([r.data[rule.reference] for r in res.runs]))
    rise = peak / floor
    rows.append(claim("G2_excluded_rises", FIGURE,
                      f"in every seed the excluded loss (all key frequencies removed) rises to "
                      f"≥ {rule.rise_factor:g}× its floor (the rise of the bump rule, data/bump.toml "
                      f"[excluded_loss]; Nanda et al.: it then stays high)",
                      "floor → peak " + ", ".join(f"{t:.2g} → {p:.3g}" for t, p in zip(floor, peak))
                      + f"; the least rise is {rise.min():.3g}×", f"every seed ≥ {rule.rise_factor:g}×",
                      "PASS" if (rise >= rule.rise_factor).all() else "FAIL",
                      says=f"Removing the key set costs every seed a rise of its excluded loss to "
                           f"{peak.min():.2g}–{peak.max():.2g} nat, at least {rise.min():.2g}× its floor."))
    t = g.seed_summary(res, rules)
    every = g.over_seeds(t.n_bump, t.n_key, "all")
    control = g.over_seeds(t.n_nonkey_risen, t.n_nonkey, "none")
    missing = "; ".join(f"seed {r.cfg.seed} k = {k} ({s['state']})" for r in res.runs
                        for k, s in g.excluded_states(r, rules).items() if s["state"] != "bump")
    rows.append(claim("G2_key_excluded_bumps", FIGURE,
                      "thread's question, as the thread puts it: every key frequency of every seed shows a "
                      "bump in its own excluded loss (train loss with that frequency removed; key set read "
                      "when the seed groks)",
                      f"{every['text']} key frequencies bump" + (f"; not: {missing}" if missing else "")
                      + f"; control, frequencies outside the key set whose excluded loss rises at all: "
                        f"{control['text']}", "all, interval over seeds at 100 %", every["verdict"],
                      says={"PASS": f"Every key frequency bumps in its own excluded loss ({every['n']} of "
                                    f"{every['of']}), while no other frequency's excluded loss rises "
                                    f"({control['n']} of {control['of']}).",
                            "FAIL": f"Not every key frequency bumps: {every['n']} of {every['of']} do in "
                                    f"their own excluded loss within the trained epochs (95 % interval over "
                                    f"seeds {every['lo']:.0%}–{every['hi']:.0%}), the others are still "
                                    f"rising at the end or never rise; {control['n']} of {control['of']} "
                                    f"other frequencies rise at all.",
                            "UNDETERMINED": f"{every['n']} of {every['of']} key frequencies bump in their own "
                                            f"excluded loss; the ones that do not come from one seed, so "
                                            f"whether every key frequency bumps is not settled."}))
    status = [g.completeness(r, rules) for r in res.runs]
    done = g.over_seeds([s == "complete" for s in status], np.ones(n), "all")
    rows.append(claim("G2_runs_complete", FIGURE,
                      "every seed ran long enough: grokked, cleaned up, and no key frequency's excluded loss "
                      "ends at or near its peak, whatever its level (a bump that could be under way)",
                      f"{done['text']} seeds complete; "
                      + "; ".join(f"seed {r.cfg.seed}: {s}" for r, s in zip(res.runs, status)),
                      "all complete", done["verdict"],
                      says={"PASS": f"Every seed ran long enough for its key frequencies' excluded losses to "
                                    f"peak and fall ({res.cfg.epochs} epochs).",
                            "FAIL": f"{n - done['n']} of {n} seeds end with a key frequency's excluded loss "
                                    f"at or near its peak after {res.cfg.epochs} epochs (a bump still under "
                                    f"way, or a plateau), so their per-frequency verdicts could still change.",
                            "UNDETERMINED": f"{n - done['n']} of {n} seeds end with a key frequency's "
                                            f"excluded loss at or near its peak."}))
    return rows
