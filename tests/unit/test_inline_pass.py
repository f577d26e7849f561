"""inline_pass.py: Python-Markdown's inline pass trying a pattern only where it could
match: the characters each pattern starts with, and conversions equal to Python-Markdown's."""

from site_builder.markdown import make_markdown
from site_builder.urls import Urls


def _both_ways(text: str) -> tuple[str, str]:
    """*text* converted by our converter and by the same one with Python-Markdown's own
    inline pass put back."""
    from markdown.treeprocessors import InlineProcessor

    quick = make_markdown(Urls("/"))
    plain = make_markdown(Urls("/"))
    plain.treeprocessors.register(InlineProcessor(plain), "inline", 20)
    return quick.convert(text), plain.convert(text)


def test_the_quick_inline_pass_reads_where_each_pattern_can_start():
    import re

    from site_builder.inline_pass import start_chars

    assert start_chars(re.compile(r"(?<!\\)`")) == {"`"}
    assert start_chars(re.compile(r"\*|_")) == {"*", "_"}
    assert start_chars(re.compile(r"(&(?:\#[0-9]+|[a-z]+);)")) == {"&"}
    assert start_chars(re.compile(r"(?:ab)?c")) == {"a", "c"}
    assert start_chars(re.compile(r"[x-z]+!")) == {"x", "y", "z"}
    assert start_chars(re.compile(r"http", re.I)) == {"h", "H"}
    # Could start anywhere, or match nothing: always tried.
    for anywhere in (r"^(.*?)\*", r"\w+", r"[^<]", r"a*", r"(?:b|)", r"(?i:q)", r"(a?)\1b"):
        assert start_chars(re.compile(anywhere)) is None, anywhere


def test_the_quick_inline_pass_converts_exactly_as_python_markdown():
    pages = [
        "Plain words, nothing to do.\n\nAnd *one* emphasis, `code`, a [link](/a) and ![i](b.png).",
        "Escapes \\* \\_ \\[ and &amp; &#38; &copy; <b>tag</b> <https://x.org> <me@x.org>\n"
        "line with two spaces  \nnext [^1] **strong _nested_ text** __u__ ***both***\n\n"
        "[^1]: A note with *emphasis*.\n\n[ref]: /r\n\nSee [ref] and [text][ref] and ![alt][ref].",
        "| a | *b* |\n|---|---|\n| `c` | [d](/d) |\n\nTerm\n:   Definition with _em_.\n\n"
        '*[HTML]: Hyper Text\n\nHTML in a sentence. {: .cls }\n\n!!! note "Title *x*"\n    Body.',
        "* item *a*\n* item `b`\n    * nested [c](/c)\n\n1. one\n2. two <span>s</span>\n\n"
        "> quote with *em* and `code` and \\` literal\n\n# Heading *with* `code`\n",
    ]
    for text in pages:
        quick, plain = _both_ways(text)
        assert quick == plain


def test_the_quick_inline_pass_matches_on_generated_prose():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from(
        ["word", " ", "  \n", "\n", "\n\n", "*", "**", "_", "`", "``", "\\", "[", "]", "(", ")",
         "!", "<", ">", "&", ";", "#", "amp", "b", "/", "https://x.org", "@", "^", ":", "=",
         "{", "}", ".", "-", "|", "1.", "&amp;", "&#38;", "<b>", "</b>", "[x](/y)", "![a](b)",
         "<https://x.org>", "[^n]", "[r]"]
    )  # fmt: skip

    @settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(pieces, min_size=1, max_size=12).map("".join))
    def check(text: str) -> None:
        quick, plain = _both_ways(text)
        assert quick == plain

    check()


def test_the_quick_inline_pass_is_the_one_in_use():
    from site_builder.inline_pass import USABLE, QuickInline

    assert USABLE  # with the Python-Markdown this project installs
    assert isinstance(make_markdown(Urls("/")).treeprocessors["inline"], QuickInline)
