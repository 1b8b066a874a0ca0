"""The front page (paper/gallery/, README.md) agrees with the committed baselines and the committed claims.

Staleness is judged from committed files only, never from what this machine computed: the manifest holds the
sha256 of each figure's baseline CSV and of the claims copy; the claims page and the README's answer and
gallery sections must be exactly what `make gallery` writes from that copy. (Whether the code still gives
the committed verdicts, an optional figure's only where its results exist, is tests/test_claims.py's question.)
"""
import shutil
import struct

import pytest

from reproduce import answer
from reproduce.checks import gallery
from reproduce.core import paths


def test_committed_gallery_is_up_to_date():
    assert gallery.problems() == [], "run `make gallery` and commit paper/gallery/ and README.md"


def _copy(root):
    """The files the gallery check reads, copied under `root`."""
    for stem in gallery.SHOWN:
        dst = root / "tests" / "baselines" / f"{stem}.csv"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(paths.BASELINES / f"{stem}.csv", dst)
    shutil.copytree(gallery.GALLERY, root / "paper" / "gallery")
    shutil.copy(gallery.README, root / "README.md")


@pytest.mark.parametrize("spoil, expect", [
    (lambda r: _append(r / "tests/baselines/figT1_rank4_two_vectors.csv", "0,pair,0,0,0,0,0.5\n"),
     "figT1_rank4_two_vectors: its baseline changed"),
    (lambda r: _append(r / "paper/gallery/fig03_rank1_loss.png", "x"), "fig03_rank1_loss: the thumbnail"),
    (lambda r: _replace(r / "paper/gallery/claims.csv", ",PASS,", ",FAIL,", 1), "claims.csv: not the claims"),
    (lambda r: _replace(r / "paper/gallery/claims.md", "| PASS |", "| **FAIL** |", 1), "claims.md: not the table"),
    (lambda r: _replace(r / "README.md", "**Claims**: ", "**Claims:** ", 1), "README.md: the gallery section"),
    (lambda r: _replace(r / "README.md", f"[{answer.FRONT_PAGE[0]}: ", f"[{answer.FRONT_PAGE[0]}: about ", 1),
     "README.md: the answer"),
])
def test_a_stale_gallery_is_caught(tmp_path, spoil, expect):
    _copy(tmp_path)
    assert gallery.problems(tmp_path) == []
    spoil(tmp_path)
    assert any(p.startswith(expect) for p in gallery.problems(tmp_path)), gallery.problems(tmp_path)


def _append(path, text):
    with open(path, "a") as fh:
        fh.write(text)


def _replace(path, old, new, count):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, count))


@pytest.mark.parametrize("stem", gallery.SHOWN)
def test_thumbnails_are_modest(stem):
    png = (gallery.GALLERY / f"{stem}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width <= 1000 and height <= 800 and len(png) <= 150_000, (width, height, len(png))


def test_readme_sections_are_replaced_not_duplicated():
    text = gallery.README.read_text()
    again = gallery.front_page(text, gallery.read_claims(gallery.CLAIMS_COPY))
    assert again == text and text.count(gallery.START) == 1 and text.count(gallery.ANSWER_START) == 1
