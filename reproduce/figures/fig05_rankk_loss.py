"""Figure 5 — rank-k targets, k ∈ {1, 2, 4, 8}: loss vs step; how plateau and drop change with rank.
Spec: paper/spec/post.md#fig05_rankk_loss.

    python -m reproduce plot fig05_rankk_loss
"""
import numpy as np
import pandas as pd

from ..core import stats
from ..scurve import measure
from .common import claim, settings, subplots, sweep_colors

SOURCE = "reconstructed: post [U→S], rank-k 'Loss vs Step' (ranks, N, σ are this package's choice)"
LEVELS = {"t90": 0.9, "t50": 0.5, "t10": 0.1}  # loss / L0 levels that mark plateau end, middle, end of drop


def _runs(res):
    return sorted(res.runs, key=lambda r: r.cfg.rank)


def _times(run):
    rel = run.loss / run.loss[:, :1]
    return {name: np.array([measure.first_crossing(run.step, r, lvl) for r in rel])
            for name, lvl in LEVELS.items()}


def summary(res) -> pd.DataFrame:
    """Per rank: median plateau end t90, halving step t50, and relative drop width (t10 − t90)/t50."""
    rows = []
    for run in _runs(res):
        t = _times(run)
        rows.append(dict(rank=run.cfg.rank, t90=np.median(t["t90"]), t50=np.median(t["t50"]),
                         t10=np.median(t["t10"]), width=np.median((t["t10"] - t["t90"]) / t["t50"])))
    return pd.DataFrame(rows)


def figure_data(res, rules) -> pd.DataFrame:
    """kind "seed": every seed's curve; "median": the median over seeds; "summary": the right panel."""
    frames = [pd.DataFrame({"kind": "seed", "rank": run.cfg.rank, "seed": run.seed[b], "step": run.step,
                            "loss": run.loss[b], "relative_loss": run.loss[b] / run.loss[b, 0]})
              for run in _runs(res) for b in range(run.loss.shape[0])]
    for run in _runs(res):
        frames.append(pd.DataFrame({"kind": "median", "rank": run.cfg.rank, "step": run.step,
                                    "relative_loss": np.median(run.loss / run.loss[:, :1], axis=0)}))
    s = summary(res).melt(id_vars="rank", var_name="quantity", value_name="value")
    frames.append(s.assign(kind="summary"))
    data = pd.DataFrame(pd.concat(frames, ignore_index=True))
    return data.assign(quantity=data.quantity.fillna(""))  # a string column throughout


def plot(res, data):
    fig, (ax, ax2) = subplots(2, width=4.4)
    ranks = sorted(data["rank"].unique())
    colors = dict(zip(ranks, sweep_colors(len(ranks))))
    for k, d in data[data.kind == "seed"].groupby("rank"):
        for seed, s in d.groupby("seed"):
            ax.plot(s.step, s.relative_loss, color=colors[k], lw=0.6, alpha=0.35)
    for k, med in data[data.kind == "median"].groupby("rank"):
        ax.plot(med.step, med.relative_loss, color=colors[k], lw=2, label=f"k = {k} (median)")
    ax.set(xlabel="step", ylabel="loss / initial loss", xlim=(0, 150), title="Rank k: loss vs step")
    ax.legend()
    s = data[data.kind == "summary"].pivot(index="rank", columns="quantity", values="value").reset_index()
    ax2.plot(s["rank"], s.t90, "o-", label="plateau end t₉₀ (loss at 90 %)")
    ax2.plot(s["rank"], s.t10 - s.t90, "s-", label="drop duration t₁₀ − t₉₀")
    ax2.set(xscale="log", xlabel="rank k", ylabel="steps (median over seeds)",
            title="Higher rank: shorter plateau, slower drop")
    ax2.minorticks_off()
    ax2.set_xticks(ranks, [str(k) for k in ranks])
    ax2.legend()
    return fig


def caption(res, rules):
    s = summary(res)
    per_k = "; ".join(f"k={int(r['rank'])}: t90={r.t90:.0f}, width={r.width:.2f}" for _, r in s.iterrows())
    return (f"{res.stem} — {SOURCE} (spec: paper/spec/post.md). "
            f"Left: loss over initial loss for every seed (thin) and the median "
            f"(thick). Right: median step at which the loss reaches 90 % of its start, and the steps from "
            f"90 % to 10 %. Per rank: {per_k} (width = (t10 − t90)/t50). Targets a_l, b_l with entries "
            f"N(0, 1/N). Settings: {settings(res.cfg, 'N', 'target', 'init_std', 'lr', 'steps', 'seeds')}.")


def _steps_between_ranks(res, per_seed):
    """For each pair of neighbouring ranks (k, k'): median over seeds of `per_seed(run)` at k' minus that
    at k, with its 95 % interval (seeds resampled jointly; every rank has the same number of seeds)."""
    runs = _runs(res)
    out = []
    for a, b in zip(runs[:-1], runs[1:]):
        lo_k, hi_k = stats.weighted_median(per_seed(a)), stats.weighted_median(per_seed(b))
        out.append((a.cfg.rank, b.cfg.rank,
                    stats.bootstrap(lambda w, lo_k=lo_k, hi_k=hi_k: hi_k(w) - lo_k(w), len(a.seed))))
    return out


def claims(res, rules):
    def text(steps):
        return "; ".join(f"k={a}→{b}: {d[0]:+.2f} [{d[1]:+.2f}, {d[2]:+.2f}]" for a, b, d in steps)
    t90 = _steps_between_ranks(res, lambda run: _times(run)["t90"])
    width = _steps_between_ranks(res, lambda run: (lambda t: (t["t10"] - t["t90"]) / t["t50"])(_times(run)))
    return [claim("Q4_plateau", res.stem, "the plateau shortens as rank grows: the median t90 falls from "
                  "each rank to the next (95 % interval over seeds of each change below 0)",
                  f"change of median t90: {text(t90)}", "every interval below 0",
                  stats.all_of(stats.interval_verdict(d[1], d[2], below=0.0) for _, _, d in t90),
                  says={"PASS": "The plateau shortens from each rank to the next, beyond seed noise.",
                        "FAIL": f"The plateau does not shorten at every step up in rank ({text(t90)}).",
                        "UNDETERMINED": f"That the plateau shortens from each rank to the next cannot be told "
                                        f"from {len(res.runs[0].seed)} seeds at every step ({text(t90)})."}),
            claim("Q4_sharpness", res.stem, "the drop is less sharp as rank grows: the median (t10-t90)/t50 "
                  "rises from each rank to the next (95 % interval over seeds of each change above 0)",
                  f"change of median width: {text(width)}", "every interval above 0",
                  stats.all_of(stats.interval_verdict(d[1], d[2], above=0.0) for _, _, d in width),
                  says={"PASS": "The drop gets less sharp from each rank to the next, beyond seed noise.",
                        "FAIL": f"The drop does not get less sharp at every step up in rank ({text(width)}).",
                        "UNDETERMINED": f"That the drop gets less sharp from each rank to the next cannot be "
                                        f"told from {len(res.runs[0].seed)} seeds at every step ({text(width)})."})]
