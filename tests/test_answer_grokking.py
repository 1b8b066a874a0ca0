"""The report's grokking answer (reproduce/answer.py `grokking`): two or three sentences, each a claim's own,
so every number in it is a number of the claims table, and it changes when the verdicts do."""
import re

import pandas as pd
import pytest

from reproduce import answer
from reproduce.core import paths

NUMBER = re.compile(r"\d+(?:\.\d+)?")


def table(**verdicts):
    """A claims table of the grokking claims the answer reads, with the given verdicts (default PASS)."""
    rows = []
    for i, cid in enumerate(answer.GROKKING + ["G3_competitor_bumps"]):
        v = verdicts.get(cid, "PASS")
        rows.append(dict(claim_id=cid, figure_id="figG", statement="s", measured=f"{i + 3} of 20", expected="e",
                         verdict=v, says=f"{cid} says {v.lower()}: {i + 3} of 20 over 4 seeds."))
    return pd.DataFrame(rows)


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", text))


@pytest.mark.parametrize("verdicts", [{}, {"G3_competition": "UNDETERMINED"}, {"G3_essential_key_no_bump": "FAIL"},
                                      {"G3_competition": "FAIL", "G3_competitor_bumps": "FAIL"}])
def test_two_or_three_sentences_every_number_from_the_claims(verdicts):
    claims = table(**verdicts)
    said = answer.grokking(claims)
    text = " ".join(said)
    assert 2 <= len(said) <= 3 and 2 <= sentences(text) <= 4, said   # a ';' joins two clauses of one sentence
    allowed = set(NUMBER.findall(" ".join(claims.says) + " " + " ".join(claims.claim_id)))
    assert set(NUMBER.findall(re.sub(r"fig\w+", "", text))) <= allowed, text   # figure names are no finding


def test_the_conclusion_follows_the_verdicts():
    relied = " ".join(answer.grokking(table(G3_competition="UNDETERMINED")))
    compete = " ".join(answer.grokking(table()))
    assert "relies on each frequency" in relied and "relies on each frequency" not in compete
    assert "Frequencies do compete" in compete
    neither = " ".join(answer.grokking(table(G3_essential_key_no_bump="FAIL", G3_competition="FAIL")))
    assert "relies on" not in neither and "do compete" not in neither


def test_the_lr_sentence_exists_when_its_claim_does():
    claims = table()
    assert answer.grokking_lr(claims) is None
    lr = pd.DataFrame([dict(claim_id="G4_phase_times", figure_id="figG4_learning_rate", statement="s",
                            measured="m", expected="e", verdict="FAIL", says="At lr 0.001 it groks 1.4x later.")])
    assert answer.grokking_lr(pd.concat([claims, lr], ignore_index=True)) == \
        "At lr 0.001 it groks 1.4x later. (G4_phase_times)"


def test_no_grokking_claims_no_conclusion():
    assert answer.grokking(table().iloc[0:0]) == [
        "No grokking claims are in this build, so the report draws no conclusion."]


def test_the_built_answer_quotes_the_built_claims():
    if not paths.CLAIMS.exists():
        pytest.skip(f"{paths.CLAIMS} not computed here (make claims)")
    claims = pd.read_csv(paths.CLAIMS, keep_default_na=False)
    for sentence in answer.grokking(claims) + [s for s in [answer.grokking_lr(claims)] if s]:
        cid = sentence.rsplit("(", 1)[-1].rstrip(")")
        assert claims.set_index("claim_id").says[cid] in sentence, sentence
