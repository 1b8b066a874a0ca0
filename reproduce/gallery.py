"""The front page: thumbnails of the main figures and the claims table, committed under paper/gallery/ and
written into README.md between the gallery markers.

    python -m reproduce.gallery        (make gallery)

Each thumbnail is redrawn from the current results by its figure module's own `plot`. The manifest
records, per thumbnail, the sha256 of the figure's committed baseline CSV (the regression test holds the
results to that baseline), so tests/test_gallery.py can tell a stale gallery from the data, not the pixels.
"""
from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path

import pandas as pd

from . import paths
from .results import atomic, write_text

GALLERY = paths.ROOT / "paper" / "gallery"
README = paths.ROOT / "README.md"
MANIFEST = GALLERY / "manifest.json"
CLAIMS_COPY = GALLERY / "claims.csv"   # the claims table's columns shown on the front page
START, END = "<!-- gallery:start (written by `make gallery`; do not edit) -->", "<!-- gallery:end -->"
THUMB_DPI = 80  # a 4.2-inch panel is ~340 px wide: legible on the front page, tens of kB per file
# The figures on the front page, in reading order, with the line shown under each.
SHOWN = {
    "fig03_rank1_loss": "rank 1: a plateau, then a sudden drop (the S-curve)",
    "fig06_rankk_inner": "rank 2 and 4: learned-vs-target inner products, with bumps",
    "figT1_rank4_two_vectors": "the thread's plot: two learned vectors against one target",
    "figT2_bump_statistics": "the thread's bump claims over 64 seeds per setting",
    "figG1_grokking": "extension: grokking on modular addition",
}
CLAIM_COLUMNS = ["claim_id", "figure_id", "statement", "passed"]


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


def thumbnail(stem: str, results_dir: Path = paths.RESULTS) -> bytes:
    """The figure redrawn without its caption at THUMB_DPI, as PNG bytes (no timestamp)."""
    from .figures import common, load_for, module
    mod = module(stem)
    res = load_for(stem, results_dir)
    fig = mod.plot(res, mod.figure_data(res))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=THUMB_DPI, metadata={"Software": None})
    common.plt.close(fig)
    return buf.getvalue()


def claims_table(claims: pd.DataFrame) -> str:
    """The claims as a Markdown table: claim, figure, statement, PASS/FAIL."""
    lines = ["| claim | figure | statement | result |", "|---|---|---|---|"]
    for row in claims.itertuples():
        passed = str(row.passed).strip().lower() == "true"
        statement = str(row.statement).replace("|", "\\|").replace("\n", " ")
        result = "PASS" if passed else "**FAIL**"
        lines.append(f"| {row.claim_id} | `{row.figure_id}` | {statement} | {result} |")
    return "\n".join(lines)


def section(claims: pd.DataFrame) -> str:
    """The README text between the markers, from the committed manifest and claims copy."""
    cells = [f"[![{stem}](paper/gallery/{stem}.png)](paper/gallery/{stem}.png)<br>`{stem}`: {line}"
             for stem, line in SHOWN.items()]
    rows = ["| | |", "|---|---|"] + [f"| {' | '.join(cells[i:i + 2])}{' | ' if i + 1 == len(cells) else ''} |"
                                      for i in range(0, len(cells), 2)]
    n_pass = int(sum(str(p).strip().lower() == "true" for p in claims.passed))
    return "\n".join([START, "", *rows, "",
                      f"**Claims** ({n_pass} of {len(claims)} pass; `data/results/claims.csv` has the "
                      "measured and expected values):", "", claims_table(claims), "", END])


def read_claims(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)[CLAIM_COLUMNS]


def with_section(readme: str, text: str) -> str:
    """README text with the gallery section replaced (or appended once, if the markers are missing)."""
    if START in readme and END in readme:
        head, rest = readme.split(START, 1)
        return head + text + rest.split(END, 1)[1]
    return readme.rstrip("\n") + "\n\n## Gallery\n\n" + text + "\n"


def build(results_dir: Path = paths.RESULTS, gallery: Path = GALLERY, readme: Path = README) -> dict:
    """Write every thumbnail, the claims copy and the manifest, then the README section."""
    results_dir, gallery = Path(results_dir), Path(gallery)
    claims_csv = results_dir / paths.CLAIMS.name
    if not claims_csv.exists():
        sys.exit(f"error: {claims_csv}: no claims table; run `make claims` first")
    hashes = baseline_hashes()
    manifest = {"thumb_dpi": THUMB_DPI, "figures": {}}
    for stem in SHOWN:
        png = thumbnail(stem, results_dir)
        path = gallery / f"{stem}.png"
        with atomic(path) as tmp:
            tmp.write_bytes(png)
        manifest["figures"][stem] = {"baseline_sha256": hashes[stem],
                                     "thumbnail_sha256": hashlib.sha256(png).hexdigest()}
        print(f"wrote {path}")
    claims = read_claims(claims_csv)
    write_text(gallery / CLAIMS_COPY.name, claims.to_csv(index=False))
    manifest["claims_sha256"] = sha256(gallery / CLAIMS_COPY.name)
    write_text(gallery / MANIFEST.name, json.dumps(manifest, indent=2) + "\n")
    write_text(readme, with_section(Path(readme).read_text(), section(claims)))
    print(f"wrote {gallery / MANIFEST.name}, {gallery / CLAIMS_COPY.name} and the gallery of {readme}")
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
    readme = (root / README.name).read_text()
    if section(read_claims(claims_copy)) not in readme:
        out.append("README.md: the gallery section is not what `make gallery` writes")
    return out


if __name__ == "__main__":
    build()
