"""The answer to the thread's question (reproduce/answer.py) stays true to the claims: it opens the report's
thread section and the README's first screen, each sentence is its claim's own with the measurement,
and every number in a sentence is one the claims measured."""
import re

import pandas as pd
import pytest

from reproduce import answer
from reproduce.core import paths

NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(%?)")


@pytest.fixture(scope="module")
def table():
    return pd.read_csv(paths.CLAIMS, keep_default_na=False)


def unbacked_numbers(sentence: str, texts: list[str]) -> list[str]:
    """Numbers in `sentence` (a percentage as its fraction, to its printed digits) that no text in
    `texts` states, to the same rounding."""
    known = [float(x) for t in texts for x, _ in NUMBER.findall(t)]
    missing = []
    for digits, pct in NUMBER.findall(sentence):
        value = float(digits) / (100 if pct else 1)
        places = (len(digits.partition(".")[2]) + (2 if pct else 0))
        if not any(round(k, places) == round(value, places) for k in known):
            missing.append(digits + pct)
    return missing


def test_the_answer_opens_the_thread_section_and_the_front_page(table):
    five = answer.answer(table)
    assert len(five) == len(answer.ANSWER) == 5
    assert answer.thread(table)["verdict"][:5] == five
    assert answer.front_page(table)[:5] == five


def test_every_answer_sentence_is_its_claims_own_with_the_measurement(table):
    for claim_id, sentence in zip(answer.ANSWER, answer.answer(table)):
        row = table[table.claim_id == claim_id]
        assert len(row) == 1, f"{claim_id}: an answer sentence needs its claim in claims.csv"
        row = row.iloc[0]
        assert row.says and sentence == f"{row.says} [{claim_id}: {row.measured}]"


def test_every_number_in_the_answer_was_measured(table):
    """The sentences' numbers (cell counts, AUC, shares, settings) appear in the claims of their figure:
    a number typed into a sentence by hand, or left over from another build, fails here."""
    for claim_id in answer.ANSWER:
        row = table[table.claim_id == claim_id].iloc[0]
        same_figure = table[table.figure_id == row.figure_id]
        texts = [*same_figure.statement, *same_figure.measured, *same_figure.expected]
        assert not unbacked_numbers(row.says, texts), (claim_id, unbacked_numbers(row.says, texts))


def test_the_number_check_catches_a_number_no_claim_measured():
    texts = ["agreement 0.989 [0.986, 0.991]", "share 0.08 [0.02, 0.14]; k̃ = 2"]
    assert unbacked_numbers("agree for 98.9% of bumps, 8% need them at k̃ = 2", texts) == []
    assert unbacked_numbers("agree for 97.5% of bumps", texts) == ["97.5%"]
    assert unbacked_numbers("AUC 0.998", texts) == ["0.998"]


def test_a_claim_missing_from_the_build_is_said_so():
    empty = pd.DataFrame(columns=["claim_id", "figure_id", "statement", "measured", "expected", "verdict", "says"])
    assert answer.answer(empty) == [f"({c} is not in this build.)" for c in answer.ANSWER]
