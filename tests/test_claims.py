"""Every claim of paper/spec/ is a row of data/results/claims.csv computed from the data.

A claim's statement, expectation and sentence live in one place, its figure module's `claims`; the report,
the README and these tests read them from claims.csv. The verdicts are held to the committed front page
(paper/gallery/claims.csv, written on purpose by `make gallery`): a claim that starts to pass, to fail or
to be undetermined is a change worth a review either way.
"""
import re

import pandas as pd
import pytest

from reproduce import claims, figures
from reproduce.checks import gallery
from reproduce.core import paths


@pytest.fixture(scope="module")
def table():
    return pd.read_csv(paths.CLAIMS, keep_default_na=False)


def test_claims_file_matches_the_data(table):
    fresh = claims.collect()
    assert list(table.claim_id) == list(fresh.claim_id)
    assert list(table.verdict) == list(fresh.verdict)


def test_every_figure_checks_at_least_one_claim(table):
    assert set(figures.present()) <= set(table.figure_id)   # an optional figure where its results are
    assert table.claim_id.is_unique
    assert set(table.verdict) <= {"PASS", "FAIL", "UNDETERMINED"}


@pytest.mark.parametrize("claim_id", pd.read_csv(paths.CLAIMS).claim_id if paths.CLAIMS.exists() else [])
def test_verdict_is_the_committed_one(table, claim_id):
    row = table[table.claim_id == claim_id].iloc[0]
    committed = gallery.read_claims(gallery.CLAIMS_COPY).set_index("claim_id")
    assert claim_id in committed.index, f"{claim_id}: new claim; review it, then `make gallery`"
    assert row.verdict == committed.verdict[claim_id], (
        f"{claim_id} ({row.figure_id}) is now {row.verdict}, committed {committed.verdict[claim_id]}: "
        f"{row.statement}; measured {row.measured}, expected {row.expected}. {row.says}")


def test_a_claim_that_does_not_pass_says_why(table):
    """The sentence the report shows for a FAIL or UNDETERMINED verdict is the reason, from the claim's home."""
    silent = table[(table.verdict != "PASS") & (table.says.str.strip() == "")]
    assert silent.empty, f"claims without a sentence for their verdict: {', '.join(silent.claim_id)}"


def test_no_claim_text_is_restated_outside_its_home(table):
    """A statement or sentence typed again elsewhere drifts from its home: none appears verbatim in the
    report's source, the spec, the tests or the README outside its generated sections."""
    readme = paths.ROOT.joinpath("README.md").read_text()
    for start, end in ((gallery.START, gallery.END), (gallery.ANSWER_START, gallery.ANSWER_END)):
        head, _, rest = readme.partition(start)  # the generated sections are written from claims.csv
        readme = head + rest.partition(end)[2]
    sources = {"README.md": readme, **{str(p.relative_to(paths.ROOT)): p.read_text() for p in
                                       [*paths.SPEC.glob("*.md"), paths.PAPER / "s_curves.py",
                                        *paths.ROOT.joinpath("tests").glob("*.py")]}}
    flat = {name: re.sub(r"\s+", " ", text) for name, text in sources.items()}
    for row in table.itertuples():
        for text in (row.statement, row.says):
            if len(text) < 40:  # short phrases ("0", "PASS") are not restatements
                continue
            found = [name for name, body in flat.items() if text in body]
            assert not found, f"{row.claim_id}: {text[:60]!r}… is restated in {', '.join(found)}"
