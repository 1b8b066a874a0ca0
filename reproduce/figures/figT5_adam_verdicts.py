"""Thread extension T5 — the thread's verdicts under Adam: P1–P4 and the premise (the tests of figT2 and
figT4, reproduce/scurve/verdicts.py) on N × lr × σ trained with Adam (8 runs at rank 4, each with its
rank-1 control), each scored with the bump thresholds halved, as written and doubled.

    python -m reproduce plot figT5_adam_verdicts

As in figT4, each range claim A_<predicate> tests the thread's account, whose expectation is fixed before
any data: the account names no optimizer, so each predicate is expected to pass in every Adam setting.
"""
import pandas as pd

from ..scurve import causes, verdicts
from .common import claim, settings, subplots, verdict_heatmap, verdict_legend

SOURCE = "extension of the comment thread: its verdicts under Adam (settings are this package's choice)"
SCALES = verdicts.SCALES


def figure_data(res, rules) -> pd.DataFrame:
    return verdicts.verdict_table(res, rules.inner_product, SCALES)


def plot(res, data):
    fig, ax = subplots(1, width=5.4, height=6.0)
    wide = lambda col: data.pivot(index=["threshold_scale", "N", "lr", "sigma"], columns="predicate",  # noqa: E731
                                  values=col)[list(verdicts.PREDICATES)]
    table = wide("verdict")
    verdict_heatmap(ax, table, [f"thresholds ×{c:g}: N={n}, lr={lr:g}, σ={s:g}" for c, n, lr, s in table.index],
                    "Adam: the thread's predicates per setting", effects=_effects(wide("value"), wide("control")))
    verdict_legend(fig, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return fig


def _effects(values: pd.DataFrame, control: pd.DataFrame) -> pd.DataFrame:
    """The cell texts: P1's bump rate unsigned (and its rank-1 control's bumps where there are any), every
    other predicate's difference signed (common.verdict_heatmap)."""
    p1 = [f"{v:.2f}" + (f"\nrank 1: {c:.0f}" if c else "") for v, c in zip(values.P1, control.P1)]
    return values.astype(object).assign(P1=p1)


def caption(res, rules):
    return (f"{res.stem} — {SOURCE}. Each row a setting (bump thresholds, N, Adam learning rate, init σ), "
            f"each column one of the thread's predicates tested as in figT2 and figT4 (P1 against the same "
            f"setting at rank 1); the number in a cell is the effect behind its verdict, as in figT4. Blue: "
            f"pass (95 % interval over seeds on the claimed side); orange: fail (interval on the other side, "
            f"or for the premise an equivalence within ±{causes.SHARE_MARGIN:g}); grey: undetermined. A bump "
            f"is {rules.inner_product.describe()}, its thresholds halved and doubled as in "
            f"reproduce/scurve/verdicts.py. Settings: "
            f"{settings(res.cfg, 'optimizer', 'target', 'steps', 'seeds')}, "
            f"rank {max(res.cfg.sweep['rank'])} (rank 1 as P1's control).")


def claims(res, rules):
    d = figure_data(res, rules)
    rows = []
    for pred in verdicts.PREDICATES:
        s = verdicts.range_summary(d, pred, "lr")
        rows.append(claim(
            f"A_{pred}", res.stem, f"under Adam, the thread's {pred} holds in every one of the {s['n']} settings of "
            f"N × lr × σ, under the bump rule as written, halved and doubled",
            f"of {s['n']} settings: {s['tally']}", "PASS in every setting at every rule scale (the thread's account names "
            "no optimizer; fixed by the thread, not by this data)", s["verdict"],
            says={"PASS": f"Under Adam, {s['holds']} in all {s['n']} settings, under each of the three rule scales.",
                  "FAIL": f"Under Adam, “{s['holds']}” fails in {s['n_fail']} of {s['n']} settings under the "
                          f"written rule ({s['why']}: {s['fails']}).",
                  "UNDETERMINED": f"Under Adam, whether {s['holds']} in every setting cannot be told "
                                  f"({s['tally']})."}))
    return rows
