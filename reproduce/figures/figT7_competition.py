"""Thread extension T7 — competition as an intervention: every bump restarted from the step where its curve
first reaches half its peak, with the other learned pairs frozen (kept, no longer updated) and with them
removed (reproduce/scurve/restart.py). A bump **needs the others** when the rule finds no bump on its
curve with the continuation in place. The balanced-mode model makes the same intervention on its own
curves (reproduce/scurve/balanced.py), which is the prediction each cell's share is tested against.

    python -m reproduce plot figT7_competition
"""
import numpy as np
import pandas as pd

from ..core import stats
from ..core.bumps import bump_peaks
from ..scurve import balanced
from .common import claim, settings, subplots

SOURCE = ("extension of the comment thread: its 'competition' story as an intervention on the trained "
          "runs (settings are this package's)")
MARGIN = 0.10      # equivalence margin of measured vs predicted share (fixed before the held-out seeds)
MIN_BUMPS = 5      # fewer bumps in a cell: too few to test, UNDETERMINED
AGREE_MIN = 0.90   # per bump, model and trainer agree on "needs the others" (95 % lower end above)
EQUAL_MIN = 0.90   # orthonormal targets of equal weight: the removed share's lower end above this
INTERVENTIONS = ("frozen", "removed")
EXAMPLES = [dict(model_rank=4, target="orthonormal", weight_ratio=1.0, init="gaussian"),
            dict(model_rank=2, target="orthonormal", weight_ratio=0.9, init="gaussian")]


def cell_id(cfg) -> str:
    return f"k{cfg.k_model}_{cfg.target}_r{cfg.weight_ratio:g}_{cfg.init}"


def describe(row) -> str:
    return (f"k̃ = {row.model_rank:.0f}, {row.geometry} targets, s ratio {row.weight_ratio:g}, "
            f"{row.init} init")


def _pct_range(lo, hi) -> str:
    return f"{lo:.0%}" if round(lo, 2) == round(hi, 2) else f"{lo:.0%}–{hi:.0%}"


def _needs(curves, rule):
    return ~bump_peaks(curves, rule)[0] if len(curves) else np.zeros(0, bool)


def _per_seed(rows, flags, n_seeds):
    """(needing, bumps) per seed of one run's restarts."""
    seeds = rows[:, 0] if len(rows) else np.zeros(0, int)
    return np.bincount(seeds, flags, n_seeds), np.bincount(seeds, minlength=n_seeds).astype(float)


def share_rows(res, rules, model) -> list[dict]:
    rule, rows = rules.inner_product, []
    for run, mod in zip(res.runs, model):
        n = len(run.seed)
        row = dict(kind="share", cell=cell_id(run.cfg), model_rank=run.cfg.k_model, geometry=run.cfg.target,
                   weight_ratio=run.cfg.weight_ratio, init=run.cfg.init, bumps=len(run.bump),
                   model_bumps=len(mod["bump"]))
        for name in INTERVENTIONS:
            need, total = _per_seed(run.bump, _needs(getattr(run, name), rule), n)
            m_need, m_total = _per_seed(mod["bump"], _needs(mod[name], rule), n)
            est = stats.bootstrap(stats.ratio(need, total), n)
            diff = stats.bootstrap(lambda w: (w @ need) / (w @ total) - (w @ m_need) / (w @ m_total), n,
                                   level=0.90)
            row.update({name: est[0], f"{name}_lo": est[1], f"{name}_hi": est[2],
                        f"model_{name}": m_need.sum() / m_total.sum() if m_total.sum() else np.nan,
                        f"{name}_diff": diff[0], f"{name}_diff_lo": diff[1], f"{name}_diff_hi": diff[2]})
        rows.append(row)
    return rows


def agreement_row(res, rules, model) -> dict:
    """Per bump found by both, in both interventions: do model and trainer agree it needs the others?"""
    same, total = np.zeros(res.cfg.seeds), np.zeros(res.cfg.seeds)
    for run, mod in zip(res.runs, model):
        index = {tuple(r[:4]): i for i, r in enumerate(mod["bump"])}
        for name in INTERVENTIONS:
            trained = _needs(getattr(run, name), rules.inner_product)
            predicted = _needs(mod[name], rules.inner_product)
            for i, r in enumerate(run.bump):
                j = index.get(tuple(r[:4]))
                if j is not None:
                    same[r[0]] += trained[i] == predicted[j]
                    total[r[0]] += 1
    est = stats.bootstrap(stats.ratio(same, total), res.cfg.seeds)
    return dict(kind="agree", cell="all", pairs=total.sum(), agree=est[0], agree_lo=est[1], agree_hi=est[2])


def example_frames(res, rules) -> list[pd.DataFrame]:
    """One bump per EXAMPLES cell: the first that needs the others when removed (else the first bump)."""
    frames = []
    for keys in EXAMPLES:
        run = next(r for r in res.runs if all(getattr(r.cfg, k) == v for k, v in keys.items()))
        if not len(run.bump):
            continue
        need = _needs(run.removed, rules.inner_product)
        i = int(np.argmax(need)) if keys["weight_ratio"] == 1.0 and need.any() else 0
        b, f, m, l, h = (int(x) for x in run.bump[i])
        frames.append(pd.DataFrame({"kind": "example", "cell": cell_id(run.cfg), "seed": int(run.seed[b]),
                                    "learned": m, "target": l, "restart": int(run.step[h]), "step": run.step,
                                    "trained": np.abs(run.overlap[b, :, f, m, l]), "frozen": run.frozen[i],
                                    "removed": run.removed[i]}))
    return frames


def figure_data(res, rules) -> pd.DataFrame:
    model = balanced.interventions(res.runs, balanced.predict_runs(res.runs), rules.inner_product)
    rows = share_rows(res, rules, model) + [agreement_row(res, rules, model)]
    out = pd.concat([pd.DataFrame(rows)] + example_frames(res, rules), ignore_index=True)
    return out.assign(**{c: out[c].fillna("") for c in ("geometry", "init")})


def plot(res, data):
    fig, axes = subplots(3, width=4.4, height=4.6)
    for ax, (cell, d) in zip(axes[:2], data[data.kind == "example"].groupby("cell", sort=False)):
        t0 = d.restart.iloc[0]
        ax.plot(d.step, d.trained, color="k", lw=1.6, label="trained")
        after = d.step >= t0
        ax.plot(d.step[after], d.frozen[after], color="#0072B2", ls="--", lw=1.4, label="others frozen")
        ax.plot(d.step[after], d.removed[after], color="#D55E00", ls=":", lw=1.8, label="others removed")
        ax.axvline(t0, color="0.5", lw=0.8, ls="-.", label="restart (half peak)")
        k, geom, r = cell.split("_")[:3]
        m, l = int(d.learned.iloc[0]) + 1, int(d.target.iloc[0]) + 1
        ax.set(xscale="symlog", xlabel="step", ylabel=f"|⟨ã{m}, a{l}⟩|",
               xlim=(0, d.step.max()), ylim=(0, None),
               title=f"{geom}, k̃ = {k[1:]}, s ratio {r[1:]}: seed {int(d.seed.iloc[0])}")
        ax.legend(fontsize=6)
    ax = axes[2]
    sh = data[data.kind == "share"].reset_index(drop=True)
    y = np.arange(len(sh))[::-1]
    for name, color, marker, dy in (("frozen", "#0072B2", "o", 0.18), ("removed", "#D55E00", "s", -0.18)):
        v = sh[name]
        ok = v.notna()
        ax.errorbar(v[ok], y[ok] + dy, xerr=[v[ok] - sh[f"{name}_lo"][ok], sh[f"{name}_hi"][ok] - v[ok]],
                    fmt=marker, color=color, ms=3, lw=0.8, capsize=1.5, label=f"others {name}")
        ax.plot(sh[f"model_{name}"], y + dy, "x", color="k", ms=3.5, mew=0.8)
    ax.plot([], [], "kx", ms=3.5, label="model's prediction")
    ax.set_yticks(y, [f"k̃{r.model_rank:.0f} {r.geometry[:4]} r{r.weight_ratio:g} {r.init[:4]} ({r.bumps:.0f})"
                      for r in sh.itertuples()], fontsize=5)
    ax.set(xlabel="share of bumps that need the other pairs (95 % interval)", xlim=(-0.03, 1.03),
           title="Every cell (bumps in brackets)")
    ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)
    return fig


def caption(res, rules):
    return (f"{res.stem} — {SOURCE}. Every bump ({rules.inner_product.describe()}) is restarted from the "
            f"first record step where its curve reaches half its peak, with every other learned pair frozen "
            f"(kept in the model, no longer updated) or removed; it needs the others when the curve, "
            f"continued, no longer bumps by the same rule. Left and middle: one bump of two cells, trained "
            f"(black) and both continuations. Right: per cell, the share of bumps that need the others, over "
            f"{res.cfg.seeds} seeds ({res.cfg.seed}–{res.cfg.seed + res.cfg.seeds - 1}), 95 % bootstrap "
            f"intervals over seeds; crosses: the balanced-mode model's prediction (its own bumps, restarted "
            f"the same way). k̃ = 1 is left out: it has no other pair. Settings: "
            f"{settings(res.cfg, 'rank', 'N', 'init_std', 'lr', 'steps')}.")


def _share(row, name) -> str:
    return f"{row[name]:.2f} [{row[f'{name}_lo']:.2f}, {row[f'{name}_hi']:.2f}]"


def _share_claim(res, row, name):
    where = describe(row)
    verdict = "UNDETERMINED" if row.bumps < MIN_BUMPS else \
        stats.equivalence_verdict(row[f"{name}_diff_lo"], row[f"{name}_diff_hi"], MARGIN)
    measured = (f"{row.bumps:.0f} bumps; share that needs the others ({name}) {_share(row, name)}; model "
                f"{row[f'model_{name}']:.2f} on its {row.model_bumps:.0f} bumps; measured − model "
                f"{row[f'{name}_diff']:+.3f}, 90 % interval [{row[f'{name}_diff_lo']:+.3f}, "
                f"{row[f'{name}_diff_hi']:+.3f}]")
    return claim(f"I_{row.cell}_{name}", res.stem,
                 f"restarted at half peak with the other learned pairs {name}, the share of bumps that no "
                 f"longer bump is the one the balanced-mode model predicts ({where})", measured,
                 f"|measured − model| < {MARGIN:g} (two one-sided tests at 5 %; ≥ {MIN_BUMPS} bumps)", verdict,
                 says={"PASS": f"With the other pairs {name}, {row[name]:.0%} of the bumps of {where} no longer "
                               f"bump, as the model predicts ({row[f'model_{name}']:.0%}).",
                       "FAIL": f"With the other pairs {name}, the share of bumps of {where} that no longer bump "
                               f"({row[name]:.0%}) is not the model's ({row[f'model_{name}']:.0%}).",
                       "UNDETERMINED": f"How many bumps of {where} need the other pairs ({name}) is not "
                                       f"pinned down against the model ({row.bumps:.0f} bumps)."})


def claims(res, rules):
    d = figure_data(res, rules)
    sh = d[d.kind == "share"]
    out = [_share_claim(res, r, name) for _, r in sh.iterrows() for name in INTERVENTIONS]
    eq = sh[(sh.geometry == "orthonormal") & (sh.weight_ratio == 1.0)]
    parts = [stats.interval_verdict(r.removed_lo, r.removed_hi, above=EQUAL_MIN) for _, r in eq.iterrows()]
    out.append(claim("I_equal_removed", res.stem, "on orthonormal targets of equal weight every bump needs the "
                     "other learned pairs: removed at half peak, the curve no longer falls (a lone pair with "
                     "S = sI only rescales)",
                     "; ".join(f"k̃ = {r.model_rank:.0f}, {r.init}: {_share(r, 'removed')} of {r.bumps:.0f}"
                               for _, r in eq.iterrows()),
                     f"every cell's removed share > {EQUAL_MIN:g} (95 % interval)",
                     "FAIL" if "FAIL" in parts else "PASS" if set(parts) == {"PASS"} else "UNDETERMINED",
                     says={"PASS": f"Where the targets are orthonormal and equally strong, every bump needs the "
                                   f"other learned pairs: removing them at half peak stops "
                                   f"{_pct_range(eq.removed.min(), eq.removed.max())} of the bumps, in every k̃ "
                                   f"and init.",
                           "FAIL": "On orthonormal equal-weight targets some bumps fall without the other pairs.",
                           "UNDETERMINED": "Whether every equal-weight bump needs the other pairs is not "
                                           "settled."}))
    ag = d[d.kind == "agree"].iloc[0]
    tested = sh[sh.bumps >= MIN_BUMPS]
    least, full = tested.loc[tested.removed.idxmin()], (tested.removed >= 0.995).sum()
    spread = (f"removed share per cell with ≥ {MIN_BUMPS} bumps: median {tested.removed.median():.2f}, "
              f"{least.removed:.2f} to {tested.removed.max():.2f}, 1.00 in {full} of {len(tested)}; frozen "
              f"{tested.frozen.min():.2f} to {tested.frozen.max():.2f}")
    out.append(claim("I_agree", res.stem, "bump by bump, the balanced-mode model predicts whether a bump needs "
                     "the other learned pairs (frozen and removed)",
                     f"agreement {ag.agree:.3f} [{ag.agree_lo:.3f}, {ag.agree_hi:.3f}] over {ag.pairs:.0f} "
                     f"(bump, intervention) pairs found by both; {spread}", f"> {AGREE_MIN:g} (95 % interval)",
                     stats.interval_verdict(ag.agree_lo, ag.agree_hi, above=AGREE_MIN),
                     says={"PASS": f"How often the other learned vectors are needed depends on the regime: with "
                                   f"them removed at half peak, a median {tested.removed.median():.0%} of a "
                                   f"cell's bumps no longer fall, from {least.removed:.0%} ({describe(least)}) "
                                   f"to 100% in {full} of {len(tested)} cells "
                                   f"({_pct_range(tested.frozen.min(), tested.frozen.max())} with them frozen), "
                                   f"and the model predicts which ones for {ag.agree:.1%} of bumps.",
                           "FAIL": "The model does not predict which bumps need the other learned pairs.",
                           "UNDETERMINED": "Whether the model predicts which bumps need the other pairs is not "
                                           "settled."}))
    return out
