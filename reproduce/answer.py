"""The package's answer to the thread, in sentences built from the claims table: the report's thread and
grokking sections and the README's first screen read them here, and tests/test_answer.py keeps them true
to the claims. Every sentence is a claim's own `says` (written in its figure module, the claim's one
home) with the claim id and its measurement after it; nothing here measures.
"""
from __future__ import annotations

import pandas as pd

# The answer to the thread's question in five sentences: what causes the bumps (a model that
# predicts them from the init and the target, figT6), how often and in which regimes the other learned
# vectors are needed (an intervention, figT7), and where the bumps live. The report's thread section and
# the README's first screen open with them.
ANSWER = ["M_pooled", "M_cross_term", "I_equal_removed", "I_agree", "L_target_only"]
# The thread's question, answered claim by claim, in reading order.
THREAD_VERDICT = ["T3_single_pair", "T3_toy_case", "T3_collision", "P_premise", "P4_T1",
                  "T3_single_pair_weights", "T3_decay_rate", "T3_equal_weights", "T3_interaction",
                  "T3_share_by_ktilde"]
THREAD_RANGES = ["V_P1", "V_P2_state", "V_P3", "V_P4", "V_P2_height", "V_P_premise", "V_P_premise_rise"]
ADAM = ["A_P1", "A_P2_height", "A_P2_state", "A_P3", "A_P4", "A_P_premise", "A_P_premise_rise"]
# The README's first screen: what causes the bumps, then the grokking doubt.
FRONT_PAGE = ANSWER + ["G2_key_excluded_bumps", "G3_competition"]


def said(claims: pd.DataFrame, claim_id: str, with_measure: bool = True) -> str:
    """A claim's sentence for its verdict, with its id and measurement; a note when it is not in the table."""
    rows = claims[claims.claim_id == claim_id]
    if rows.empty:
        return f"({claim_id} is not in this build.)"
    row = rows.iloc[0]
    return row.says + (f" [{claim_id}: {row.measured}]" if with_measure else "")


def verdicts(claims: pd.DataFrame, ids) -> dict[str, str]:
    table = claims.set_index("claim_id").verdict
    return {c: table.get(c, "missing") for c in ids}


def front_page(claims: pd.DataFrame) -> list[str]:
    """The README's answer to the thread: each FRONT_PAGE claim's sentence with its measurement."""
    return [said(claims, c) for c in FRONT_PAGE]


def answer(claims: pd.DataFrame) -> list[str]:
    """The five sentences that answer the thread's question, each its claim's own with its measurement."""
    return [said(claims, c) for c in ANSWER]


def thread(claims: pd.DataFrame) -> dict[str, list[str]]:
    """The thread section's paragraphs: the answer and the verdict claim by claim, where the thread's
    observations hold (figT4 under GD, then figT5 under Adam), limits."""
    ranges = [said(claims, c) for c in THREAD_RANGES + ADAM]
    key = verdicts(claims, ["M_pooled", "I_equal_removed", "I_agree"])
    limits = ("The mechanism is the balanced-mode model's, tested here for order-2 targets of rank 4 at one "
              "init scale and learning rate; competition among learned vectors is one of its two terms, "
              "needed for every bump on equal-weight orthonormal targets and for a share of bumps elsewhere "
              "that the I_ claims give cell by cell."
              if set(key.values()) == {"PASS"} else
              "Whether competition between learned vectors is needed for a bump is not settled by this build "
              f"(the model and intervention claims: {', '.join(f'{c} {v}' for c, v in key.items())}).")
    return {"answer": answer(claims), "verdict": answer(claims) + [said(claims, c) for c in THREAD_VERDICT],
            "ranges": ranges, "limits": [limits]}


# The grokking section's answer to the thread's doubt ("bumps on every key frequency: what would be
# competing?"): do the key frequencies bump, do the ones the model relies on lose their place, and do
# frequencies compete at all; then the lr change, when `make grokking-lr` has run.
GROKKING = ["G2_key_excluded_bumps", "G3_essential_key_no_bump", "G3_competition"]
GROKKING_LR = "G4_phase_times"


def grokking(claims: pd.DataFrame) -> list[str]:
    """Three sentences answering the thread's doubt, each a claim's own `says` with its id."""
    v = verdicts(claims, GROKKING + ["G3_competitor_bumps"])
    out = [said(claims, c, with_measure=False) + f" ({c})" for c in GROKKING[:2]]
    if v["G2_key_excluded_bumps"] == "missing":
        return ["No grokking claims are in this build, so the report draws no conclusion."]
    if v["G3_essential_key_no_bump"] == "PASS" and v["G3_competition"] != "PASS":
        out.append("So the bumps on key frequencies measure how much the model relies on each frequency while "
                   "the circuit forms, not a frequency that loses a competition as in figT1; "
                   + said(claims, "G3_competition", with_measure=False) + " (G3_competition)")
    elif v["G3_competition"] == v["G3_competitor_bumps"] == "PASS":
        out.append("Frequencies do compete as learned vectors do in the S-curve toys, and the losers' shares "
                   "bump: " + said(claims, "G3_competition", with_measure=False) + " (G3_competition)")
    else:
        out.append("Whether frequencies compete as learned vectors do in the S-curve toys is not settled: "
                   + said(claims, "G3_competition", with_measure=False) + " (G3_competition)")
    return out


def grokking_lr(claims: pd.DataFrame) -> str | None:
    """The sentence on the study's learning-rate change, when `make grokking-lr` has put its claim here."""
    if GROKKING_LR not in set(claims.claim_id):
        return None
    return said(claims, GROKKING_LR, with_measure=False) + f" ({GROKKING_LR})"
