"""highlight.py: Pygments at build time, remembered by content: the same code is read back
from the cache, an unknown language is plain text, and highlighted lines are marked."""

from site_builder.cache import read_entry, write_entry
from site_builder.highlight import highlight


def test_highlighted_code_is_remembered(tmp_path):
    code = "def f(x):\n    return x < 2 and 'a' or \"b\"\n"
    first = highlight(code, "python", tmp_path)
    assert first.startswith('<div class="highlight"><pre><span></span><code>')
    assert '<span class="k">def</span>' in first and "&lt;" in first
    (saved,) = tmp_path.rglob("*.html")
    key = saved.stem
    write_entry(saved, key, b"remembered")  # an intact entry is read, not recomputed
    assert highlight(code, "python", tmp_path) == "remembered"
    for damage in (b"", saved.read_bytes()[:-3], saved.read_bytes().replace(b"rem", b"REM")):
        saved.write_bytes(damage)  # truncated, cut short, edited: recomputed, never shown
        assert highlight(code, "python", tmp_path) == first
        assert read_entry(saved, key) == first.encode()  # and stored again
    assert highlight(code, "python", None) == first  # without a cache: the same result
    plain = highlight("<b>", "no-such-language", None)
    assert "&lt;b&gt;" in plain and '<span class="k">' not in plain


def test_unknown_languages_are_plain_and_escaped():
    out = highlight("<b>not markup</b>\n", "no-such-language", None)
    assert "&lt;b&gt;not markup&lt;/b&gt;" in out and "<span class" not in out


def test_options_change_the_markup():
    out = highlight("a = 1\nb = 2\n", "python", None, css_class="c", wrapcode=False, hl_lines=(2,))
    assert out.startswith('<div class="c">') and "<code>" not in out
    assert '<span class="hll"><span class="n">b</span>' in out
