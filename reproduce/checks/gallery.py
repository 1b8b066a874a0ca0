"""The front page: the answer to the thread, thumbnails of the main figures and the claims, committed under
paper/gallery/ and written into README.md between the answer and gallery markers.

    python -m reproduce.checks.gallery        (make gallery)

Each thumbnail is redrawn from the current results by its figure module's own `plot`. The manifest
records, per thumbnail, the sha256 of the figure's committed baseline CSV (the regression test holds the
results to that baseline), so tests/test_gallery.py can tell a stale gallery from the data, not the pixels.
The claims are copied whole (paper/gallery/claims.csv, the committed verdicts tests/test_claims.py holds
the code to) and shown as a table (paper/gallery/claims.md); the README's answer is reproduce/answer.py's
front-page sentences on that copy. Everything here is written from committed files, and checked against
committed files only.
"""
from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path

import pandas as pd

from ..core import bumps, paths
from ..core.results import atomic, write_text

GALLERY = paths.ROOT / "paper" / "gallery"
README = paths.ROOT / "README.md"
MANIFEST = GALLERY / "manifest.json"
CLAIMS_COPY = GALLERY / "claims.csv"   # the committed claims: every column of data/results/claims.csv
CLAIMS_PAGE = GALLERY / "claims.md"    # the same as a table a reader opens from the README
START, END = "<!-- gallery:start (written by `make gallery`; do not edit) -->", "<!-- gallery:end -->"
ANSWER_START = "<!-- answer:start (written by `make gallery` from the claims; do not edit) -->"
ANSWER_END = "<!-- answer:end -->"
THUMB_DPI = 80  # a 4.2-inch panel is ~340 px wide: legible on the front page, tens of kB per file
# The figures on the front page, in reading order, with the line shown under each.
SHOWN = {
    "fig03_rank1_loss": "rank 1: a plateau, then a sudden drop (the S-curve)",
    "fig06_rankk_inner": "rank 2 and 4: learned-vs-target inner products, with bumps",
    "figT1_rank4_two_vectors": "the thread's plot: two learned vectors against one target",
    "figT2_bump_statistics": "the thread's bump claims over 64 seeds per setting",
    "figG1_grokking": "extension: grokking on modular addition",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def baseline_hashes(root: Path = paths.ROOT) -> dict[str, str]:
    """The sha256 of each shown figure's committed baseline: the data its thumbnail stands for."""
    out = {}
    for stem in SHOWN:
        csv = Path(root) / "tests" / "baselines" / f"{stem}.csv"
        if not csv.exists():
            sys.exit(f"error: {csv}: no baseline for gallery figure {stem}; run `make regen` first")
        out[stem] = sha256(csv)
    return out


def thumbnail(stem: str, rules: bumps.BumpRules, results_dir: Path = paths.RESULTS) -> bytes:
    """The figure redrawn without its caption at THUMB_DPI, as PNG bytes (no timestamp)."""
    from ..figures import common, load_for, module
    mod = module(stem)
    res = load_for(stem, results_dir)
    fig = mod.plot(res, mod.figure_data(res, rules))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=THUMB_DPI, metadata={"Software": None})
    common.plt.close(fig)
    return buf.getvalue()


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def claims_page(claims: pd.DataFrame) -> str:
    """paper/gallery/claims.md: every claim with its measurement, expectation and verdict."""
    lines = ["# Every claim, with its verdict", "", "Written by `make gallery` from `paper/gallery/claims.csv` "
             "(a copy of `data/results/claims.csv`); each claim's home is its figure module's `claims`.", "",
             "| claim | figure | statement | measured | expected | result |", "|---|---|---|---|---|---|"]
    for row in claims.itertuples():
        result = row.verdict if row.verdict == "PASS" else f"**{row.verdict}**"
        lines.append(f"| {row.claim_id} | `{row.figure_id}` | {_cell(row.statement)} | {_cell(row.measured)} "
                     f"| {_cell(row.expected)} | {result} |")
    return "\n".join(lines) + "\n"


def section(claims: pd.DataFrame) -> str:
    """The README text between the markers, from the committed manifest and claims copy."""
    cells = [f"[![{stem}](paper/gallery/{stem}.png)](paper/gallery/{stem}.png)<br>`{stem}`: {line}"
             for stem, line in SHOWN.items()]
    rows = ["| | |", "|---|---|"] + [f"| {' | '.join(cells[i:i + 2])}{' | ' if i + 1 == len(cells) else ''} |"
                                      for i in range(0, len(cells), 2)]
    counts = claims.verdict.value_counts()
    tally = ", ".join(f"{counts.get(v, 0)} {v.lower()}" for v in ("PASS", "FAIL", "UNDETERMINED"))
    return "\n".join([START, "", *rows, "",
                      f"**Claims**: {len(claims)} ({tally}); [every claim with its measurement and verdict]"
                      f"(paper/gallery/claims.md).", "", END])


def answer_section(claims: pd.DataFrame) -> str:
    """The README's answer to the thread, in reproduce/answer.py's sentences on the committed claims."""
    from .. import answer
    return "\n".join([ANSWER_START, "", " ".join(answer.front_page(claims)), "", ANSWER_END])


def read_claims(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def with_section(readme: str, text: str, start: str = START, end: str = END) -> str:
    """README text with a generated section replaced (or appended once, if its markers are missing)."""
    if start in readme and end in readme:
        head, rest = readme.split(start, 1)
        return head + text + rest.split(end, 1)[1]
    return readme.rstrip("\n") + "\n\n" + text + "\n"


def front_page(readme: str, claims: pd.DataFrame) -> str:
    """README text with both generated sections (answer, gallery) written from `claims`."""
    readme = with_section(readme, answer_section(claims), ANSWER_START, ANSWER_END)
    return with_section(readme, section(claims))


def build(results_dir: Path = paths.RESULTS, gallery: Path = GALLERY, readme: Path = README) -> dict:
    """Write every thumbnail, the claims copy and the manifest, then the README section."""
    results_dir, gallery = Path(results_dir), Path(gallery)
    claims_csv = results_dir / paths.CLAIMS.name
    if not claims_csv.exists():
        sys.exit(f"error: {claims_csv}: no claims table; run `make claims` first")
    paths.check_writable(gallery, files=(f"{stem}.png" for stem in SHOWN))  # before anything is drawn
    paths.check_writable(Path(readme).parent, files=(Path(readme).name,))
    hashes, rules = baseline_hashes(), bumps.load_rules()
    manifest = {"thumb_dpi": THUMB_DPI, "figures": {}}
    for stem in SHOWN:
        png = thumbnail(stem, rules, results_dir)
        path = gallery / f"{stem}.png"
        with atomic(path) as tmp:
            tmp.write_bytes(png)
        manifest["figures"][stem] = {"baseline_sha256": hashes[stem],
                                     "thumbnail_sha256": hashlib.sha256(png).hexdigest()}
        print(f"wrote {path}")
    claims = read_claims(claims_csv)
    write_text(gallery / CLAIMS_COPY.name, claims.to_csv(index=False))
    write_text(gallery / CLAIMS_PAGE.name, claims_page(claims))
    manifest["claims_sha256"] = sha256(gallery / CLAIMS_COPY.name)
    write_text(gallery / MANIFEST.name, json.dumps(manifest, indent=2) + "\n")
    write_text(readme, front_page(Path(readme).read_text(), claims))
    print(f"wrote {gallery / MANIFEST.name}, {gallery / CLAIMS_COPY.name}, {gallery / CLAIMS_PAGE.name} and the "
          f"answer and gallery of {readme}")
    return manifest


def problems(root: Path = paths.ROOT) -> list[str]:
    """Why the committed gallery is out of date with the baselines and claims (empty: up to date)."""
    root = Path(root)
    gallery = root / GALLERY.relative_to(paths.ROOT)
    manifest = json.loads((gallery / MANIFEST.name).read_text())
    out = []
    for stem in SHOWN:
        entry = manifest["figures"].get(stem)
        baseline = root / "tests" / "baselines" / f"{stem}.csv"
        png = gallery / f"{stem}.png"
        if entry is None:
            out.append(f"{stem}: not in the manifest")
        elif not baseline.exists() or sha256(baseline) != entry["baseline_sha256"]:
            out.append(f"{stem}: its baseline changed since the thumbnail was drawn")
        elif not png.exists() or sha256(png) != entry["thumbnail_sha256"]:
            out.append(f"{stem}: the thumbnail is not the one the manifest records")
    claims_copy = gallery / CLAIMS_COPY.name
    if sha256(claims_copy) != manifest.get("claims_sha256"):
        out.append(f"{claims_copy.name}: not the claims table the manifest records")
    claims = read_claims(claims_copy)
    page = gallery / CLAIMS_PAGE.name
    if not page.exists() or page.read_text() != claims_page(claims):
        out.append(f"{CLAIMS_PAGE.name}: not the table `make gallery` writes from {claims_copy.name}")
    readme = (root / README.name).read_text()
    if section(claims) not in readme:
        out.append("README.md: the gallery section is not what `make gallery` writes")
    if answer_section(claims) not in readme:
        out.append("README.md: the answer is not what `make gallery` writes from the claims")
    return out


if __name__ == "__main__":
    from ..core.errors import BadInput
    try:
        build()
    except BadInput as err:  # an unwritable gallery or README: one line, like the command line's errors
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
