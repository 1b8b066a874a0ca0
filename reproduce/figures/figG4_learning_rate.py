"""Figure G4 — the study's learning-rate change tested: seeds 0 and 1 at lr 1e-3 (Nanda et al.'s) and
3e-3 (the study's), for the same lr·epoch time, compared on the lr·epoch axis.

    make grokking-lr        (data/configs/figG_lr.toml; not part of `make all`, ~13 min on 2 cores)
    python -m reproduce plot figG4_learning_rate

The study's config argues that AdamW at three times the lr runs the same dynamics in lr·epoch time. The
claims say how far apart the two learning rates are in that time: the phase epochs, the number of key
frequencies, and each shared key frequency's excluded-loss peak (time and height). Equivalence margins
are fixed here, before the runs: phase and peak times within ±TIME_MARGIN, peak heights within a factor
HEIGHT_MARGIN (the bump rule's own fall factor), key-frequency counts within ±COUNT_MARGIN.
"""
import numpy as np
import pandas as pd

from ..core import stats
from ..grokking import measure as g
from .common import claim, subplots

RESULTS_STEM = "figG_lr"
MAKE_TARGET = "grokking-lr"   # an optional figure: drawn, claimed and reported when its results exist
FIGURE = __name__.rsplit(".", 1)[-1]
SOURCE = "extension [D]: a setting of this package tested (Nanda et al. 2023 train at lr 1e-3)"
TIME_MARGIN = 0.25     # |log(t at 1e-3 / t at 3e-3)| < log(1.25): "the same time" on the lr·epoch axis
HEIGHT_MARGIN = 2.0    # peak heights within 2×
COUNT_MARGIN = 1       # key-frequency counts within ±1
TIMED = ("memorised", "grokked", "cleaned")


def _pairs(res) -> dict:
    """{seed: {lr: run}} — the config's runs by seed, both learning rates."""
    out = {}
    for run in res.runs:
        out.setdefault(int(run.cfg.seed), {})[float(run.cfg.lr)] = run
    return out


def _lrs(res) -> tuple[float, float]:
    """(the paper's lr, the study's lr): the smaller and the larger of the sweep."""
    lrs = sorted({float(r.cfg.lr) for r in res.runs})
    return lrs[0], lrs[-1]


def figure_data(res, rules) -> pd.DataFrame:
    rows = []
    for run in res.runs:
        s, lr, t = int(run.cfg.seed), float(run.cfg.lr), g.lr_time(run, run.epoch)
        rows.append(pd.DataFrame({"kind": "curve", "seed": s, "lr": lr, "t": t, "test_loss": run.test_loss,
                                  "train_loss": run.train_loss}))
        ph = g.phases(run)
        rows.append(pd.DataFrame({"kind": "phase", "seed": s, "lr": lr, "phase": list(ph),
                                  "t": g.lr_time(run, list(ph.values()))}))
        states = g.excluded_states(run, rules)
        rows += [pd.DataFrame({"kind": "excluded", "seed": s, "lr": lr, "k": k, "t": t,
                               "loss": run.excluded_loss_freq[:, k - 1]}) for k in states]
        rows.append(pd.DataFrame([{"kind": "peak", "seed": s, "lr": lr, "k": k, "state": st["state"],
                                   "t": st["peak_epoch"] * lr, "loss": st["peak"]} for k, st in states.items()],
                                 columns=["kind", "seed", "lr", "k", "state", "t", "loss"]))
    return pd.concat(rows, ignore_index=True)


def regression_data(res, rules) -> pd.DataFrame:
    """Per run: the phase times in lr·epochs and the number of key frequencies, one row per (seed, lr). Not
    the end of cleanup, as in figG1: counted from the run's last test loss, it moves with a late change of
    the key set (seed 1 at lr 3e-3 under ATEN avx2: 4.95 → 7.65 lr·epochs)."""
    rows = []
    for run in res.runs:
        ph = g.phases(run)
        rows.append(dict(seed=int(run.cfg.seed), lr=float(run.cfg.lr),
                         **{f"{p}_t": float(ph[p] * run.cfg.lr) for p in TIMED if p != "cleaned"},
                         n_key=float(len(run.key_freqs))))
    return pd.DataFrame(rows)


def plot(res, data):
    seeds = sorted(data.seed.unique())
    slow, fast = _lrs(res)
    fig, axes = subplots(len(seeds) + 1, nrows=2, width=3.0, height=2.8, squeeze=False)
    ls = {slow: "--", fast: "-"}
    for col, seed in enumerate(seeds):
        ax, ax_k = axes[0, col], axes[1, col]
        d = data[data.seed == seed]
        for lr, e in d[d.kind == "curve"].groupby("lr"):
            ax.semilogy(e.t, e.test_loss, color="C3", ls=ls[lr], lw=1.1, label=f"test, lr {lr:g}")
            ax.semilogy(e.t, e.train_loss, color="0.3", ls=ls[lr], lw=0.8, label=f"train, lr {lr:g}")
        keys = sorted(d[d.kind == "excluded"].k.unique())
        color = {k: f"C{i % 10}" for i, k in enumerate(keys)}
        for (lr, k), e in d[d.kind == "excluded"].groupby(["lr", "k"]):
            ax_k.semilogy(e.t, e.loss, color=color[k], ls=ls[lr], lw=1.0)
        for k in keys:   # one legend entry per frequency, drawn solid
            ax_k.plot([], [], color=color[k], lw=1.0, label=f"k = {int(k)}")
        for p in d[(d.kind == "peak") & (d.state == "bump")].itertuples():
            ax_k.plot(p.t, p.loss, "o" if p.lr == fast else "s", color=color[p.k], ms=3,
                      mfc=color[p.k] if p.lr == fast else "none")
        ax.set(title=f"seed {seed}: solid lr {fast:g}, dashed {slow:g}", ylabel="loss (nats)" if col == 0 else None)
        ax_k.set(xlabel="lr·epoch", ylabel="train loss, one key k removed" if col == 0 else None)
        ax.legend(fontsize=6, loc="lower left")
        ax_k.legend(fontsize=6, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    ax_p, ax_e = axes[0, -1], axes[1, -1]
    ph = data[data.kind == "phase"]
    for i, name in enumerate(TIMED):
        for seed in seeds:
            t = ph[(ph.seed == seed) & (ph.phase == name)].set_index("lr").t
            ax_p.plot(t.get(fast, np.nan), t.get(slow, np.nan), "os^"[i], color=f"C{seed}", ms=5,
                      label=f"{name}" if seed == seeds[0] else None)
    pk = data[(data.kind == "peak") & (data.state == "bump")]
    for seed in seeds:
        both = pk[pk.seed == seed].pivot_table(index="k", columns="lr", values="t").dropna()
        if len(both):
            ax_e.plot(both[fast], both[slow], "o", color=f"C{seed}", ms=4, label=f"seed {seed}")
    for ax, title in ((ax_p, "phase times (colour: seed)"), (ax_e, "excluded-loss peaks, k bumping at both")):
        lim = np.array([0, 1.08 * max(ax.get_xlim()[1], ax.get_ylim()[1])])
        ax.plot(lim, lim, color="0.3", lw=0.8)
        ax.fill_between(lim, lim / (1 + TIME_MARGIN), lim * (1 + TIME_MARGIN), color="0.85", zorder=0,
                        label=f"±{TIME_MARGIN:.0%}")
        ax.set(xlabel=f"lr·epoch at lr {fast:g}", ylabel=f"lr·epoch at lr {slow:g}", title=title,
               xlim=lim, ylim=lim)
        ax.legend(fontsize=6, loc="upper left")
    return fig


def _ratios(res, rules) -> dict:
    """Per seed: (lr 1e-3 / lr 3e-3) of each phase time with the interval of the eval grids, the key counts,
    and per shared relied-on key frequency the ratios of peak time and peak height."""
    slow, fast = _lrs(res)
    out = {}
    for seed, by_lr in sorted(_pairs(res).items()):
        a, b = by_lr[slow], by_lr[fast]
        pa, pb = g.phases(a), g.phases(b)
        step = lambda r: float(np.median(np.diff(r.epoch[r.epoch >= r.cfg.eval_every]))) * r.cfg.lr  # noqa: E731
        times = {p: (pa[p] * slow, pb[p] * fast, step(a), step(b)) for p in TIMED}
        sa, sb = g.excluded_states(a, rules), g.excluded_states(b, rules)
        # a peak is only a peak where the curve has fallen from it: frequencies that bump at both lrs
        shared = sorted(k for k in set(sa) & set(sb) if sa[k]["state"] == sb[k]["state"] == "bump")
        out[seed] = dict(times=times, n_key=(len(a.key_freqs), len(b.key_freqs)),
                         keys=([int(k) for k in a.key_freqs], [int(k) for k in b.key_freqs]),
                         peaks={k: (sa[k]["peak_epoch"] * slow / (sb[k]["peak_epoch"] * fast),
                                    sa[k]["peak"] / sb[k]["peak"]) for k in shared})
    return out


def caption(res, rules):
    slow, fast = _lrs(res)
    r = _ratios(res, rules)
    each = "; ".join(f"seed {s}: k = {', '.join(map(str, x['keys'][0]))} at lr {slow:g}, "
                     f"{', '.join(map(str, x['keys'][1]))} at {fast:g}" for s, x in r.items())
    return (f"{FIGURE} — {SOURCE}. Seed{'s' if len(r) > 1 else ''} {', '.join(map(str, r))} trained at lr {slow:g} and {fast:g} for the "
            f"same {res.cfg.epochs * res.cfg.lr:g} lr·epochs (config figG_lr, make grokking-lr), everything "
            f"else as the study (figG1–figG3). Left: test and train loss, and each key frequency's excluded "
            f"loss (key sets read when each run groks: {each}; ● / □ the bumps' peaks at {fast:g} / {slow:g}), "
            f"against lr·epochs. Right: phase times and the excluded-loss peak times of the key frequencies that "
            f"bump at both learning rates, lr {slow:g} against {fast:g}; the diagonal is \"the same dynamics in lr·epoch time\", the "
            f"grey band its ±{TIME_MARGIN:.0%} margin.")


def claims(res, rules):
    slow, fast = _lrs(res)
    r = _ratios(res, rules)
    # phase times: each seed's ratio is known to the eval grids' resolution; the interval spans every
    # seed's grid interval (two seeds: no bootstrap, the range is the honest interval)
    lo, hi, txt = [], [], []
    for s, x in r.items():
        ta, tb, da, db = x["times"]["grokked"]
        lo.append((ta - da) / tb)
        hi.append(ta / max(tb - db, 1e-12))
        txt.append(f"seed {s} {ta:.2f} vs {tb:.2f} lr·epochs (ratio {ta / tb:.2f}, {lo[-1]:.2f}–{hi[-1]:.2f})")
    others = "; ".join(f"{p}: " + ", ".join(f"{x['times'][p][0] / x['times'][p][1]:.2f}" for x in r.values())
                       for p in TIMED if p != "grokked")
    ratio_lo, ratio_hi = float(np.nanmin(lo)), float(np.nanmax(hi))
    margin = np.log(1 + TIME_MARGIN)
    known = np.isfinite([ratio_lo, ratio_hi]).all()
    v = stats.equivalence_verdict(np.log(ratio_lo), np.log(ratio_hi), margin) if known else "UNDETERMINED"
    mean = float(np.mean([x["times"]["grokked"][0] / x["times"]["grokked"][1] for x in r.values()]))
    rows = [claim("G4_phase_times", FIGURE,
                  f"the study's lr {fast:g} runs the same dynamics in lr·epoch time as lr {slow:g}: each seed "
                  f"groks at the same lr·epoch time within ±{TIME_MARGIN:.0%} (equivalence, margin fixed "
                  f"in advance)",
                  "grokked at lr " + f"{slow:g} vs {fast:g}: " + "; ".join(txt)
                  + f"; other phases, ratio per seed: {others}",
                  f"ratio interval inside {1 / (1 + TIME_MARGIN):.2f}–{1 + TIME_MARGIN:.2f}", v,
                  says={"PASS": f"At lr {slow:g} the seeds grok at the same lr·epoch time as at {fast:g} "
                                f"(ratio {ratio_lo:.2f}–{ratio_hi:.2f}, within ±{TIME_MARGIN:.0%}).",
                        "FAIL": f"The lr change is not neutral: at lr {slow:g} the seeds grok {mean:.2f}× "
                                f"the lr·epoch time they need at {fast:g} (ratio {ratio_lo:.2f}–{ratio_hi:.2f}, "
                                f"outside ±{TIME_MARGIN:.0%}), so the study's epochs are not the paper's "
                                f"divided by three.",
                        "UNDETERMINED": f"At lr {slow:g} the seeds grok at {ratio_lo:.2f}–{ratio_hi:.2f}× the "
                                        f"lr·epoch time they need at {fast:g}: not resolved against the "
                                        f"±{TIME_MARGIN:.0%} margin."})]
    diff = [x["n_key"][0] - x["n_key"][1] for x in r.values()]
    ok = all(abs(d) <= COUNT_MARGIN for d in diff)
    rows.append(claim("G4_key_counts", FIGURE,
                      f"both learning rates build circuits of as many key frequencies, within ±{COUNT_MARGIN} "
                      f"per seed (margin fixed in advance)",
                      "; ".join(f"seed {s}: {x['n_key'][0]} at lr {slow:g} ({', '.join(map(str, x['keys'][0]))}), "
                                f"{x['n_key'][1]} at {fast:g} ({', '.join(map(str, x['keys'][1]))})"
                                for s, x in r.items()),
                      f"|difference| ≤ {COUNT_MARGIN} in every seed", "PASS" if ok else "FAIL",
                      says={"PASS": f"Both learning rates build circuits of key frequencies within one of each "
                                    f"other in size (lr {slow:g} minus {fast:g}: "
                                    f"{', '.join(f'{d:+d}' for d in diff)}).",
                            "FAIL": f"The learning rates build circuits of different sizes (key-frequency "
                                    f"counts differ by {', '.join(f'{d:+d}' for d in diff)})."}))
    # each frequency against the margins; counted over seeds (a frequency is in one seed only)
    within = {s: [abs(np.log(t)) < margin and abs(np.log(h)) < np.log(HEIGHT_MARGIN) for t, h in x["peaks"].values()]
              for s, x in r.items()}
    same = g.over_seeds([sum(w) for w in within.values()], [len(w) for w in within.values()], "all")
    times = [t for x in r.values() for t, _ in x["peaks"].values()]
    heights = [h for x in r.values() for _, h in x["peaks"].values()]
    span = (f"times {min(times):.2f}–{max(times):.2f}×, heights {min(heights):.2g}–{max(heights):.2g}×"
            if times else "none")
    each = "; ".join(f"seed {s} k = {k}: time {t:.2f}, height {h:.2g}" for s, x in r.items()
                     for k, (t, h) in x["peaks"].items())
    rows.append(claim("G4_excluded_peaks", FIGURE,
                      f"each key frequency that bumps in its own excluded loss at both learning rates peaks at the "
                      f"same lr·epoch time (±{TIME_MARGIN:.0%}) and to the same height (within {HEIGHT_MARGIN:g}×) "
                      f"at lr {slow:g} as at {fast:g} (margins fixed in advance)",
                      f"{same['text']} key frequencies within both margins; ratios lr {slow:g} / {fast:g}: "
                      f"{each or 'none'}", "all, interval over seeds at 100 %", same["verdict"],
                      says={"PASS": f"Every key frequency that bumps at both learning rates peaks at the same "
                                    f"lr·epoch time and height ({span}).",
                            "FAIL": f"Per frequency the learning rates differ: of the key frequencies that bump "
                                    f"at both, {same['n']} of {same['of']} peak within ±{TIME_MARGIN:.0%} in "
                                    f"lr·epoch time and {HEIGHT_MARGIN:g}× in height at lr {slow:g} ({span}).",
                            "UNDETERMINED": f"{same['n']} of {same['of']} key frequencies that bump at both "
                                            f"learning rates peak within the margins ({span}); too few seeds "
                                            f"to say more."}))
    return rows
