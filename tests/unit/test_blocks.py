"""blocks.py: our syntax cut out of the Markdown before Python-Markdown reads it: cells,
code fences, math, inline values; every block keeps its file line, and math is found only
where it really is."""

from __future__ import annotations

from site_builder.blocks import split_blocks
from site_builder.errors import Collector
from site_builder.markdown import make_markdown, render_body
from site_builder.urls import Urls


def split(body, line=5):
    problems = Collector()
    blocks = split_blocks(body, line, "a.md", problems)
    return blocks, [d.format() for d in problems.errors]


def test_cells_keep_their_file_lines():
    body = "Intro\n\n```python build\nx = 1\n```\n\n```python exec hide export=a,b\ny = 2\n```\n"
    blocks, errors = split(body)
    assert errors == []
    assert [(c.line, c.browser, c.hide, c.export) for c in blocks.cells] == [
        (8, False, False, ()),
        (12, True, True, ("a", "b")),
    ]
    assert "XWPLACEHOLDERCELL0X" in blocks.body


def test_plain_fences_are_code_blocks_not_cells():
    body = '```python\nprint(1)\n```\n\n~~~\nplain\n~~~\n\n```{.js hl_lines="2"}\na\nb\n```\n'
    blocks, _ = split(body)
    assert blocks.cells == []
    assert blocks.code == [("python", "print(1)", ()), (None, "plain", ()), ("js", "a\nb", (2,))]
    assert "XWPLACEHOLDERCODE2X" in blocks.body


def test_unclosed_fence_is_an_error():
    _, errors = split("text\n\n```python build\nx = 1\n")
    assert errors == [
        "a.md:7: error: fenced block opened with ``` is never closed\n"
        "  hint: add a line with ``` after the block"
    ]


def test_unknown_cell_option():
    _, errors = split("```python build hidden\nx=1\n```\n")
    assert errors[0].startswith("a.md:5: error: unknown cell option 'hidden'")


def test_math_and_inline_values_skip_code():
    blocks, _ = split("Cost $5 and $x^2$ here, `$not math$`, {py}`n + 1` and\n$$a_1$$\n")
    assert [(m[0], m[1], m[2]) for m in blocks.math] == [("x^2", False, 5), ("a_1", True, 6)]
    assert [(i.expr, i.line) for i in blocks.inlines] == [("n + 1", 5)]
    assert "`$not math$`" in blocks.body and "$5" in blocks.body


def test_prose_tokens_start_only_where_the_fast_scan_looks():
    import re

    from site_builder.blocks import PROSE_STARTS, PROSE_TOKENS
    from site_builder.inline_pass import start_chars

    chars = start_chars(re.compile(PROSE_TOKENS, re.S | re.I | re.M))
    assert chars is not None
    guard = re.compile(PROSE_STARTS, re.M)
    # Every character a token can start with passes the scan, mid-line; " " only begins a
    # reference definition ("   [id]: url"), which the scan lets through at a line's start.
    for c in chars - {" ", "["}:
        assert guard.match("x" + c, 1), c
    assert guard.match("   [id]: /u") and guard.match("[id]: /u")
    assert chars == set("{<`]$ [")


def _split(body: str) -> tuple[list[tuple[str, bool, int]], str, list[str]]:
    problems = Collector()
    blocks = split_blocks(body, 1, "a.md", problems)
    found = [(m.tex, m.display, m.line) for m in blocks.math]
    return found, blocks.body, [d.format() for d in problems.errors + problems.warnings]


def test_math_is_found_only_where_it_really_is():
    found, body, problems = _split(
        "Prices: $$$ for three, $5 and $10.\n"  # 1
        "\n"
        "    indented code: $a$ and $$b$$\n"  # 3
        "\n"
        '<script>$("#a").text("$c$");</script>\n'  # 5
        "\n"
        "Text <style>.x::after { content: '$d$'; }</style> and $e$\n"  # 7
        "\n"
        '[link](https://example.org/$f$/ "t") <a href="/?q=$g$" title="a>b $h$">$i$</a>\n'  # 9
        "\n"
        "<!-- $j$ --> `$k$` <code>$l$</code> <https://example.org/$m$>\n"  # 11
        "\n"
        "[ref]: https://example.org/$n$\n"  # 13
    )
    assert found == [("e", False, 7), ("i", False, 9)]
    for kept in ("$$$", "$5", "$a$", '"$c$"', "'$d$'", "$f$", "$g$", "$h$", "$j$", "$n$"):
        assert kept in body
    assert not [p for p in problems if "error" in p]


def test_inline_math_crosses_a_soft_line_break_not_a_paragraph():
    found, body, _ = _split(
        "where $w_{a} \\cdot a +\n"  # 1
        "b = 0$ holds, and $x$\n"  # 2
        "\n"
        "it costs $5\n"  # 4
        "\n"
        "and $6 more.\n"  # 6
    )
    assert found == [("w_{a} \\cdot a +\nb = 0", False, 1), ("x", False, 2)]
    assert "$5" in body and "$6" in body  # a blank line between: no math
    assert body.count("\n") == 6  # as many lines as written: later lines keep their numbers


def test_fences_in_list_items_stay_in_their_items():
    body = (
        "- first, a cell:\n\n    ```python build\n    x = 1\n    ```\n\n"
        "- second, code:\n\n  ```js\n  let a = '$1 and $2';\n  ```\n\n"
        "1. numbered:\n\n   ~~~\n   plain\n   ~~~\n\n"
        "Not a list: an indented block showing a fence.\n\n"
        "    ```python build\n    y = 2\n    ```\n"
    )
    blocks, errors = split(body)
    assert errors == []
    assert [(c.code, c.line) for c in blocks.cells] == [("x = 1", 8)]  # its file line
    assert blocks.code == [("js", "let a = '$1 and $2';", ()), (None, "plain", ())]
    assert blocks.math == []  # dollars in code are not math
    assert "    ```python build\n    y = 2" in blocks.body  # left to Markdown as code text
    md = make_markdown(Urls("https://me.github.io/"), {})
    html, _ = render_body(
        md, blocks.body, {"CELL": ["<div>CELL</div>"], "CODE": ["<pre>A</pre>", "<pre>B</pre>"]}
    )
    items = html.split("<li>")[1:]
    assert "CELL" in items[0] and "<pre>A</pre>" in items[1] and "<pre>B</pre>" in items[2]
    assert "<code>```python build" in html  # the indented block outside any list


def test_raw_html_blocks_keep_their_text_unless_they_ask_for_markdown():
    found, body, problems = _split(
        '<div class="note">\n$x$ stays text\n\n<p>$y$ too</p>\n</div>\n\n'  # 1-5
        '<div markdown="1">\n$z$ is math\n</div>\n\n'  # 7-9
        "After: $w$.\n"  # 11
    )
    assert found == [("z", False, 8), ("w", False, 11)]
    assert "$x$ stays text" in body and "$y$ too" in body
    assert problems == [
        "a.md:2: warning: math and {py} values inside a raw HTML block are left as written\n"
        '  hint: add markdown="1" to the block\'s opening tag to have them rendered'
    ]
