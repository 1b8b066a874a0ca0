"""The report builds from scratch with no failing cell, and its claims table says what claims.csv says.

    python -m pytest tests/test_report.py      (~10-30 s: runs paper/s_curves.py in a fresh kernel)

The build goes to a temporary folder, so the test never touches paper/report.html. It reads
data/results like the report does; `make test` trains, draws and writes claims.csv first.
"""
from html.parser import HTMLParser

import pandas as pd
import pytest

from reproduce import figures, report
from reproduce.core import paths

STDERR_MIME = "application/vnd.jupyter.stderr"  # nbconvert's mark on tracebacks and stderr text


class ReportParser(HTMLParser):
    """Collects the parts of the report the tests check: tables by id, figure headings, images, scripts."""

    def __init__(self):
        super().__init__()
        self.tables, self.h3, self.images, self.scripts, self.stderr = {}, [], [], [], 0
        self._table, self._row, self._cell, self._in_h3 = None, None, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-mime-type") == STDERR_MIME:
            self.stderr += 1
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id") or f"anonymous-{len(self.tables)}", [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "h3":
            self._in_h3, self._h3_text = True, []
        elif tag == "img":
            self.images.append(attrs.get("src", ""))
        elif tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "h3" and self._in_h3:
            self.h3.append("".join(self._h3_text).replace("¶", "").strip())  # drop nbconvert's anchor
            self._in_h3 = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_h3:
            self._h3_text.append(data)


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    if not paths.CLAIMS.exists():
        pytest.fail(f"no {paths.CLAIMS}: run `make claims` (or `make test`, which builds it) first")
    out = paths.PAPER / "report.html"  # what `make paper` built, unless something it reads is newer
    inputs = [report.NOTEBOOK, paths.CLAIMS, *paths.FIGURES.glob("*.png"),
              *(paths.ROOT / "reproduce").rglob("*.py")]
    if not out.exists() or any(p.stat().st_mtime > out.stat().st_mtime for p in inputs):
        out = report.render(out=tmp_path_factory.mktemp("report") / "report.html")  # raises on a failing cell
    parser = ReportParser()
    parser.feed(out.read_text(encoding="utf-8"))
    return parser


def test_no_cell_wrote_an_error_or_warning(parsed):
    assert parsed.stderr == 0, f"{parsed.stderr} output(s) on stderr in the report (errors or warnings)"


def test_claims_table_matches_claims_csv(parsed):
    assert "claims-table" in parsed.tables, "the report has no <table id='claims-table'>"
    header, *rows = parsed.tables["claims-table"]
    col = {name: header.index(name) for name in ("claim", "figure", "result")}
    shown = [(r[col["claim"]], r[col["figure"]], r[col["result"]]) for r in rows]
    csv = pd.read_csv(paths.CLAIMS, keep_default_na=False)
    expected = [(str(r.claim_id), str(r.figure_id), r.verdict) for r in csv.itertuples()]
    assert shown == expected


def test_every_figure_shown_once_in_post_order(parsed):
    # The post's order: its own figures, then the comment thread, grokking, and this package's extensions.
    group = {"T": 1, "G": 2, "X": 3}
    post_order = sorted(figures.present(), key=lambda s: (group.get(s[3], 0 if s[3].isdigit() else 4), s))
    assert [h for h in parsed.h3 if h in figures.FIGURE_IDS] == post_order   # optional ones when present


def test_report_is_self_contained(parsed):
    assert parsed.scripts == [], f"external scripts: {parsed.scripts}"
    assert len(parsed.images) >= len(figures.present())
    assert all(src.startswith("data:image/png;base64,") for src in parsed.images), \
        [src[:60] for src in parsed.images if not src.startswith("data:")]
