"""Thread figure T2 — the thread's evidence for the "competition" story (P1–P4, paper/spec/thread.md)
tested on 64 seeds per rank and init scale, with the one bump rule of data/bump.toml; each predicate
against its control or base rate (reproduce/scurve/causes.py), tested per setting by
reproduce/scurve/verdicts.py (the same tests figT4 and figT5 map over settings).

    python -m reproduce plot figT2_bump_statistics
"""
import numpy as np
import pandas as pd

from ..core import stats
from ..scurve import causes, measure, verdicts
from .common import claim, settings, subplots

SOURCE = ("extension of the comment thread [R claims]: P1–P4 over many seeds "
          "(settings are this package's choice)")
TESTED = verdicts.PREDICATES[1:]  # per setting with rank > 1; P1 is this figure's own (rates over ranks)


def bump_table(res, rule) -> pd.DataFrame:
    """One row per bump, with its run's rank and σ and its seed's end of norm decay."""
    rows = []
    for run in res.runs:
        decay_end = measure.norm_decay_end(run)
        for x in measure.find_bumps(run, rule):
            rows.append(dict(rank=run.cfg.rank, sigma=run.cfg.init_std,
                             decay_end=int(decay_end[x["seed_index"]]),
                             turns=x["other_rise"] >= rule.shift_min, **x))
    cols = ["rank", "sigma", "decay_end", "turns", "seed", "seed_index", "factor", "learned", "target",
            "peak", "peak_step", "final", "other_rise"]
    return pd.DataFrame(rows, columns=cols)


def setting_tests(res, rule) -> dict:
    """(rank, σ) -> verdicts.verdicts of that setting (rank > 1; its rank-1 run of the same σ as control)."""
    control = {r.cfg.init_std: r for r in res.runs if r.cfg.rank == 1}
    return {(r.cfg.rank, r.cfg.init_std): verdicts.verdicts(control[r.cfg.init_std], r, rule)
            for r in res.runs if r.cfg.rank > 1}


def figure_data(res, rules) -> pd.DataFrame:
    """kind "rates": per rank and σ, the rates behind every panel and each predicate's effect with its
    interval; "p2_hist": bump peak − time-matched control; "p3_hist": peak step − end of a real norm-decay
    phase, for bumps and non-bump rising curves (bin edges and heights)."""
    rule = rules.inner_product
    rates = _rates(res, rule)
    hist = []
    for s in sorted({r.cfg.init_std for r in res.runs}):
        runs = [r for r in res.runs if r.cfg.rank > 1 and r.cfg.init_std == s]
        diffs = np.array([x for r in runs for seed in causes.matched_heights(r, rule)[0] for x in seed])
        counts, e = np.histogram(np.clip(diffs, -0.6, 0.6), bins=np.linspace(-0.6, 0.6, 41))
        hist.append(pd.DataFrame({"kind": "p2_hist", "group": f"σ = {s:g}", "sigma": s, "left": e[:-1],
                                  "right": e[1:], "height": counts.astype(float)}))
        offsets = [causes.decay_offsets(r, rule) for r in runs]
        for g, i in (("bumps", 0), ("non-bump rising curves", 1)):
            o = np.array([x for off in offsets for seed in off[i] for x, _ in seed], dtype=float)
            if o.size == 0:
                continue
            # shares of the group's curves; those peaking more than 200 steps past (curves that keep
            # rising to the end) are counted in the label, not drawn
            counts, e = np.histogram(o, bins=np.arange(-40, 201, 5))
            later = f" ({np.mean(o > 200):.0%} peak later)" if (o > 200).any() else ""
            hist.append(pd.DataFrame({"kind": "p3_hist", "group": f"{g}, σ = {s:g}{later}", "sigma": s,
                                      "left": e[:-1], "right": e[1:], "height": counts / o.size}))
    out = pd.concat([rates] + hist, ignore_index=True)
    return out.assign(group=out.group.fillna(""))  # one type per column for the regression check


def regression_data(res, rules) -> pd.DataFrame:
    """figure_data without the peak-step histogram of the non-bump rising curves: a curve that rises and
    stays has its highest point somewhere on a flat top, which round-off moves by a bin (measured under
    the portable kernels); the bumps' sharp peaks, every rate and every effect stay checked."""
    data = figure_data(res, rules)
    return data[~((data.kind == "p3_hist") & data.group.str.startswith("non-bump"))].reset_index(drop=True)


def _rates(res, rule) -> pd.DataFrame:
    bumps, rows = bump_table(res, rule), []
    tests = setting_tests(res, rule)
    for run in res.runs:
        b = bumps[(bumps["rank"] == run.cfg.rank) & (bumps.sigma == run.cfg.init_std)]
        turns, control = causes.matched_window_turns(run, rule)
        row = dict(rank=run.cfg.rank, sigma=run.cfg.init_std, seeds=len(run.seed), bumps=len(b),
                   seeds_with_bump=b.seed.nunique(), seed_rate=b.seed.nunique() / len(run.seed),
                   curve_rate=len(b) / measure.peak_values(run).size,
                   median_decay_end=float(np.median(measure.norm_decay_end(run))),
                   real_decay_seeds=int(causes.real_decay(run).sum()),
                   turn_rate_matched=causes.pooled_rate(turns)[0],
                   control_turn_rate=causes.pooled_rate(control)[0])
        for pred in TESTED:
            t = tests.get((run.cfg.rank, run.cfg.init_std), {}).get(pred, {})
            row.update({f"{pred}_{k}": t.get(k, np.nan) for k in ("value", "lo", "hi")})
        rows.append(row)
    return pd.DataFrame(rows).assign(kind="rates")


def plot(res, data):
    fig, axes = subplots(2, 2, width=4.3, height=3.1)
    (a1, a2), (a3, a4) = axes
    hists, data = data, data[data.kind == "rates"]
    sigmas = sorted(data.sigma.unique())
    for i, s in enumerate(sigmas):
        d = data[data.sigma == s]
        a1.plot(d["rank"], d.seed_rate, "o-", color=f"C{i}", label=f"σ = {s:g}: seeds with a bump")
        a1.plot(d["rank"], d.curve_rate, "s--", color=f"C{i}", alpha=0.6,
                label=f"σ = {s:g}: curves that bump")
        a4.plot(d["rank"], d.turn_rate_matched, "o-", color=f"C{i}", label=f"σ = {s:g}: bumping vector")
        a4.plot(d["rank"], d.control_turn_rate, "x:", color=f"C{i}",
                label=f"σ = {s:g}: control, non-bumping vectors, same window")
    for a in (a1, a4):
        a.set_xscale("log")
        a.minorticks_off()
        a.set_xticks(sorted(data["rank"].unique()), [f"{k:.0f}" for k in sorted(data["rank"].unique())])
    a1.set(xlabel="rank k", ylabel="fraction", ylim=(-0.03, 1.03), title="P1: bump rate vs rank")
    a1.legend(fontsize=6)
    for i, (group, h) in enumerate(hists[hists.kind == "p2_hist"].groupby("group", sort=False)):
        a2.stairs(h.height, np.r_[h.left, h.right.iloc[-1]], fill=True, alpha=0.5, color=f"C{i}", label=group)
    a2.axvline(0, color="k", lw=1)
    a2.set(xlabel="bump peak − median of rising non-bump curves at that step", ylabel="bumps (ranks 2–8)",
           title="P2: bumps vs time-matched rising curves")
    a2.legend(fontsize=6)
    styles = {"bumps": dict(color="C3", alpha=0.6), "non-bump rising curves": dict(color="0.5", alpha=0.45)}
    for group, h in hists[hists.kind == "p3_hist"].groupby("group", sort=False):
        a3.stairs(h.height, np.r_[h.left, h.right.iloc[-1]], fill=True, label=group,
                  **styles[group.split(",")[0]])
    a3.axvspan(-40, 0, color="0.9", zorder=0, label="at or before the end of the phase")
    a3.set(xlabel="peak step − end of a real norm-decay phase", ylabel="share of the group's curves",
           xlim=(-40, 200), title="P3: peaks against the norm-decay phase")
    a3.legend(fontsize=6)
    a4.set(xlabel="rank k", ylabel="fraction of bumps", ylim=(-0.03, 1.03),
           title="P4: gains on another target after the peak")
    a4.legend(fontsize=6)
    return fig


def caption(res, rules):
    rule = rules.inner_product
    return (f"{res.stem} — {SOURCE}. {res.cfg.seeds} seeds per rank and σ; a bump is {rule.describe()}; "
            f"its onset is its peak step. P2 compares each bump's peak with the median height, at the same "
            f"step, of the curves of its seed and factor that stand ≥ {rule.peak_min:g} there, do not bump "
            f"and are not their vector's final winning overlap (time-matched control). P3: seeds whose "
            f"norm-decay phase is real (Σ‖ã‖² falls to ≤ {causes.REAL_DECAY_FRAC:g} of its start; it ends "
            f"where Σ‖ã‖² stops falling), bumps against curves that rise as far (≥ {rule.peak_min:g}, "
            f"≥ {rule.rise_factor:g}× their running minimum) but do not fall back. P4 counts a vector "
            f"as turning when its overlap with another target rises by ≥ {rule.shift_min} between the bump's "
            f"peak and the end; the control applies the same test, over the same window, to the other "
            f"vectors of that seed whose curve on the same target does not bump. "
            f"Settings: {settings(res.cfg, 'N', 'target', 'lr', 'steps', 'seeds')}, ranks "
            f"{res.cfg.sweep['rank']}, σ ∈ {res.cfg.sweep['init_std']}.")


# What each predicate's claim states (its test: reproduce/scurve/verdicts.py), and what the report may say.
STATEMENTS = {
    "P2_height": "bumps peak at high alignment: a bump's peak lies above the median height, at the same step, "
                 "of the rising curves of its seed that do not bump, each vector's final winning overlap "
                 "left out (95 % interval over seeds of the mean difference above 0, every setting)",
    "P2_state": "bumps happen while vectors grow: the bumping vector's norm is growing at the peak more often "
                "than over the same vector's learning window (loss above 1e-3·L0; 95 % interval of the "
                "difference above 0, every setting)",
    "P3": "bumps avoid the initial norm-decay phase: in seeds with a real decay phase (Σ‖ã‖² at least "
          "halves), curves that rise as far but do not bump peak inside it more often than bumps do (95 % "
          "interval of the difference above 0, every setting with such seeds)",
    "P4": "in a bump the falling vector turns to another target more often than a vector that does not bump, "
          "over the same window (difference of rates, 95 % interval above 0, every setting)",
    "P_premise": "the thread's premise: a vector that shares its nearest target with another vector at step 0 "
                 "bumps more often than one that does not (every setting)",
    "P_premise_rise": "the thread's premise, where each vector's rise starts (its largest overlap first reaches "
                      "the bump rule's peak height and rise): a vector that then shares its nearest target "
                      "with another bumps more often than one that does not (every setting)",
}
EXPECTED = {p: "PASS in every setting; FAIL if any setting's interval lies wholly at or below 0"
            for p in ("P2_height", "P2_state", "P3", "P4")}
EXPECTED.update({p: f"PASS: 95 % interval above 0 in every setting; FAIL if in some setting the 90 % interval "
                    f"lies inside ±{causes.SHARE_MARGIN:g} (equivalence, two one-sided tests at α = 0.05) or "
                    f"the 95 % interval below 0" for p in ("P_premise", "P_premise_rise")})


def _p3_counts(res, rule) -> tuple[int, int, int, int]:
    """Over every rank > 1 run: (bumps inside a real decay phase, bumps in its seeds, the same for the
    non-bump rising curves)."""
    out = np.zeros(4, int)
    for run in (r for r in res.runs if r.cfg.rank > 1):
        for i, lists in enumerate(causes.decay_peaks(run, rule)):
            out[2 * i:2 * i + 2] += (sum(map(sum, lists)), sum(map(len, lists)))
    return tuple(int(v) for v in out)


def _says(pred, verdict, counts, where_fail, where_undet, p3=None) -> str:
    n = sum(counts.values())
    if pred == "P3" and verdict != "PASS" and p3 is not None and p3[0] == p3[2] == 0 and p3[3]:
        return (f"No bump peaks inside a real norm-decay phase ({p3[0]} of {p3[1]}), but no other rising "
                f"curve does either ({p3[2]} of {p3[3]}): the phase holds no peak of any kind, so P3 is true "
                f"of every curve, not a property of bumps.")
    if verdict == "PASS":
        return {"P2_height": "Bumps peak higher than the rising curves of their seed at the same step.",
                "P2_state": "Bumps peak while the bumping vector's norm grows, more often than over its "
                            "learning window.",
                "P3": "Bumps avoid the norm-decay phase more than other rising curves do.",
                "P4": "A falling bump's vector gains on another target more than a vector that does not bump.",
                "P_premise": "Vectors that share their nearest target at init bump more often.",
                "P_premise_rise": "Vectors that share their nearest target where their rise starts bump more "
                                  "often."}[pred]
    if pred in ("P_premise", "P_premise_rise"):
        when = "at init" if pred == "P_premise" else "where their rise starts"
        return (f"Vectors that share their nearest target {when} do not bump more often: the difference is "
                f"within ±{causes.SHARE_MARGIN:g} in {counts.get('FAIL', 0)} of {n} settings ({where_fail})"
                + (f"; {counts.get('UNDETERMINED', 0)} cannot tell ({where_undet})." if where_undet else ".")
                if verdict == "FAIL" else
                f"Whether vectors that share their nearest target {when} bump more often cannot be told: "
                f"undetermined in {counts.get('UNDETERMINED', 0)} of {n} settings ({where_undet}).")
    what = {"P2_height": "bumps peak above time-matched rising curves",
            "P2_state": "the bumping vector's norm grows at the peak more often than over its learning window",
            "P3": "bumps avoid the norm-decay phase more than non-bump rising curves",
            "P4": "a bump's vector gains on another target more than its control"}[pred]
    if verdict == "FAIL":
        return (f"Not in every setting: “{what}” fails in {counts.get('FAIL', 0)} of {n} settings, whose "
                f"interval lies at or below 0 ({where_fail}).")
    return (f"Whether {what} cannot be told: undetermined in {counts.get('UNDETERMINED', 0)} of {n} settings "
            f"({where_undet}).")


def claims(res, rules):
    rule = rules.inner_product
    d, tests = _rates(res, rule), setting_tests(res, rule)
    fmt = lambda k, s: f"k={k},σ={s:g}"  # noqa: E731
    r1 = d[d["rank"] == 1]
    # P1: none at rank 1; and the seed rate rises from each rank to the next (seeds resampled jointly)
    steps = []
    for s in sorted(d.sigma.unique()):
        runs = sorted((r for r in res.runs if r.cfg.init_std == s), key=lambda r: r.cfg.rank)
        flags = [causes.seed_has_bump(r, rule).astype(float) for r in runs]
        for (ra, fa), (rb, fb) in zip(zip(runs, flags), zip(runs[1:], flags[1:])):
            diff = stats.bootstrap(stats.ratio(fb - fa, np.ones_like(fa)), len(fa))
            steps.append((fmt(f"{ra.cfg.rank}→{rb.cfg.rank}", s), diff))
    none_at_1 = int(r1.bumps.sum()) == 0
    p1 = "FAIL" if not none_at_1 else stats.all_of(stats.interval_verdict(x[1], x[2], above=0.0)
                                                    for _, x in steps)
    rows = [claim("P1", res.stem, "no bumps at rank 1, and the fraction of seeds with a bump rises from each "
                  "rank to the next (95 % interval of each rise above 0). Every account of the bumps predicts "
                  "none at rank 1 (one target, one learned pair), so this does not tell them apart",
                  f"rank-1 bumps {int(r1.bumps.sum())}; rises of the seed rate " + "; ".join(
                      f"{w}: {x[0]:+.2f} [{x[1]:+.2f}, {x[2]:+.2f}]" for w, x in steps),
                  "0 at rank 1; every rise's interval above 0", p1,
                  says={"PASS": "No bump at rank 1, as every account predicts, and more seeds bump the higher "
                                "the rank.",
                        "FAIL": "Bumps at rank 1, or a rank at which fewer seeds bump than at the one before.",
                        "UNDETERMINED": "No bump at rank 1, as every account predicts (so this does not tell "
                                        "them apart); whether more seeds bump at every higher rank cannot be "
                                        "told where the rate is already near 1."})]
    for pred in TESTED:
        per = {k: t[pred] for k, t in tests.items()}
        verdict = stats.all_of(t["verdict"] for t in per.values())
        counts = pd.Series([t["verdict"] for t in per.values()]).value_counts().to_dict()
        where = lambda v: ", ".join(fmt(*k) for k, t in per.items() if t["verdict"] == v)  # noqa: E731
        rows.append(claim(pred, res.stem, STATEMENTS[pred],
                          "; ".join(f"{fmt(*k)}: {t['verdict']}, {t['measured']}" for k, t in per.items()),
                          EXPECTED[pred], verdict,
                          says={verdict: _says(pred, verdict, counts, where("FAIL"), where("UNDETERMINED"),
                                               _p3_counts(res, rule) if pred == "P3" else None)}))
    return rows
