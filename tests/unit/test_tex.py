"""tex.py: TeX typeset as MathML by the pinned Temml in one Node process, remembered by
content; errors say where; the page's policy allows exactly the math's style attributes."""

import base64
import hashlib
from pathlib import Path

import pytest

from site_builder.tex import TexError, ensure_temml, style_hashes, typesetter
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def temml() -> Path:
    return ensure_temml(ROOT / ".cache")


def test_tex_becomes_mathml_and_is_remembered(
    temml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    typeset = typesetter(temml, tmp_path)
    out = typeset.typeset(r"\frac{a}{b}", False)
    assert isinstance(out, str) and out.startswith("<math") and "<mfrac>" in out
    block = typeset.typeset(r"x^2", True)
    assert isinstance(block, str) and 'display="block"' in block
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 2
    monkeypatch.setattr(typeset, "_ask", lambda *_: pytest.fail("asked Node again"))
    assert typeset.typeset(r"\frac{a}{b}", False) == out


def test_bad_tex_is_an_error_with_its_position(temml: Path):
    out = typesetter(temml, None).typeset(r"a + \frac{b", False)
    assert isinstance(out, TexError) and out.reason


def test_style_hashes_cover_the_style_attributes_inside_math_only():
    page = (
        '<p style="color: red">not math</p>'
        '<math><mtable columnalign="left" style="border-spacing:0 0.5em;">'
        '<mtd style="padding:0 1em">x</mtd></mtable></math>'
    )

    def digest(style: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"

    assert style_hashes(page) == sorted(
        [digest("border-spacing:0 0.5em;"), digest("padding:0 1em")]
    )
    assert style_hashes("<p>no math</p>") == []
