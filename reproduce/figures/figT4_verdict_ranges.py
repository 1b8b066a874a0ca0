"""Thread extension T4 — where do the thread's verdicts hold? P1–P4 and the premise (the tests of figT2,
reproduce/scurve/verdicts.py) on every setting of N × lr × σ (18 runs at rank 4, each with its rank-1
control), each scored with the bump thresholds halved, as written (data/bump.toml) and doubled.

    python -m reproduce plot figT4_verdict_ranges

The range claims V_<predicate> test the thread's account, whose expectation is fixed before any data:
the account says each predicate holds wherever bumps occur, so each is expected to pass in every setting
(reproduce/scurve/verdicts.py `range_verdict`: a fail under the written rule fails the claim; a verdict
that holds as written but not under a halved or doubled rule is undetermined).
"""
import pandas as pd

from ..scurve import causes, verdicts
from .common import claim, settings, subplots, verdict_heatmap, verdict_legend

SOURCE = ("extension of the comment thread: its verdicts over settings it does not state "
          "(this package's choice)")
SCALES = verdicts.SCALES


def figure_data(res, rules) -> pd.DataFrame:
    return verdicts.verdict_table(res, rules.inner_product, SCALES)


def plot(res, data):
    fig, axes = subplots(len(SCALES), width=3.6, height=5.4)
    for ax, (scale, d) in zip(axes, data.groupby("threshold_scale")):
        wide = lambda col: d.pivot(index=["N", "lr", "sigma"], columns="predicate",  # noqa: E731
                                   values=col)[list(verdicts.PREDICATES)]
        table = wide("verdict")
        labels = [f"N={n}, η={lr:g}, σ={s:g}" for n, lr, s in table.index] if scale == SCALES[0] else []
        verdict_heatmap(ax, table, labels, f"bump thresholds ×{scale:g}",
                        effects=_effects(wide("value"), wide("control")))
    verdict_legend(fig, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return fig


def _effects(values: pd.DataFrame, control: pd.DataFrame) -> pd.DataFrame:
    """The cell texts: P1's bump rate unsigned (and its rank-1 control's bumps where there are any), every
    other predicate's difference signed (common.verdict_heatmap)."""
    p1 = [f"{v:.2f}" + (f"\nrank 1: {c:.0f}" if c else "") for v, c in zip(values.P1, control.P1)]
    return values.astype(object).assign(P1=p1)


def caption(res, rules):
    rule = rules.inner_product
    return (f"{res.stem} — {SOURCE}. Each row a setting (N, learning rate η, init σ), each column one of the "
            f"thread's predicates tested as in figT2 (reproduce/scurve/verdicts.py); the number in a cell is "
            f"the effect behind its verdict: P1 the rank-4 share of seeds with a bump (its control: the "
            f"same setting at rank 1, which must have none; every account predicts this); P2_height a "
            f"bump's peak minus the median of time-matched rising non-bump curves; P2_state the share of "
            f"peaks with a growing norm minus the same vectors' share over the learning window; P3 the "
            f"share of non-bump rising curves peaking inside a real norm-decay phase minus that of bumps; "
            f"P4 the bumping vector's turn rate minus its control's; P_premise and P_premise_rise the bump "
            f"rate of vectors that share their nearest target minus that of the others, at init and where "
            f"the rise starts. Blue: pass (95 % interval over seeds on the claimed side); orange: fail "
            f"(interval on the other side, or for the premise an equivalence within "
            f"±{causes.SHARE_MARGIN:g}); grey: "
            f"undetermined. The written rule: {rule.describe()}; halved and doubled as in "
            f"reproduce/scurve/verdicts.py. Settings: {settings(res.cfg, 'target', 'steps', 'seeds')}, "
            f"rank {max(res.cfg.sweep['rank'])} (rank 1 as P1's control).")


def claims(res, rules):
    d = figure_data(res, rules)
    rows = []
    for pred in verdicts.PREDICATES:
        s = verdicts.range_summary(d, pred, "η")
        rows.append(claim(
            f"V_{pred}", res.stem, f"the thread's {pred} holds in every one of the {s['n']} settings of N × η × σ, "
            f"under the bump rule as written, halved and doubled",
            f"of {s['n']} settings: {s['tally']}", "PASS in every setting at every rule scale (the thread's account "
            "predicts it wherever bumps occur; fixed by the thread, not by this data)", s["verdict"],
            says={"PASS": f"Over N × η × σ, {s['holds']} in all {s['n']} settings, under each of the three rule scales.",
                  "FAIL": f"Over N × η × σ, “{s['holds']}” fails in {s['n_fail']} of {s['n']} settings under the "
                          f"written rule ({s['why']}: {s['fails']}).",
                  "UNDETERMINED": f"Over N × η × σ, whether {s['holds']} in every setting cannot be told "
                                  f"({s['tally']})."}))
    return rows

