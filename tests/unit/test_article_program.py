"""article_program.py: what an article's cells, widgets and inline values make of its
Python: each output with the inputs it depends on (named, through the functions it calls,
or listed in uses:), and the inline values that read an input live in the browser."""

from pathlib import Path

from site_builder.article_program import (
    expr_names,
    function_reads,
    live_inline_ids,
    output_spec,
    program_of,
)
from site_builder.articles import parse_article
from site_builder.model import Output, Source

CELLS = """
def scaled(v):
    return v * gain

def twice(v):
    return scaled(v) * 2

def local_only(gain):
    return gain
"""


def test_names_and_what_functions_read():
    assert expr_names("f(x) + y.attr * 2") == {"f", "x", "y"}
    assert expr_names("not python (") == set()
    reads = function_reads([CELLS, "syntax error ("])
    assert reads["scaled"] == {"gain"} and reads["twice"] == {"scaled"}
    assert reads["local_only"] == set()  # an argument shadows the global


def test_an_output_depends_on_inputs_through_the_functions_it_calls():
    reads = function_reads([CELLS])
    inputs = {"gain", "x", "unused"}
    spec = output_spec(Output("w0o0", "value", 9, {"expr": "twice(x)"}), inputs, reads)
    assert spec["deps"] == ["gain", "x"] and spec["expr"] == "twice(x)"
    listed = Output("w0o1", "value", 9, {"expr": "1", "uses": ["unused"], "label": "L"})
    spec = output_spec(listed, inputs, reads)
    assert spec["deps"] == ["unused"] and "label" not in spec and "uses" not in spec


def test_the_program_of_an_article(tmp_path: Path):
    text = (
        "---\ntitle: P\n---\n\n```python exec\nk = 2\ndef f(v):\n    return v * k\n```\n\n"
        "Live {py}`f(a)`, fixed {py}`k`.\n\n"
        "```widget\ninputs:\n  a: {type: range, min: 0, max: 4, step: 1, value: 1}\n"
        "outputs:\n  - value: f(a)\n```\n"
    )
    path = tmp_path / "p.md"
    path.write_text(text)
    article, problems = parse_article(Source(str(path), "content/p.md", "p", None), False)
    assert article is not None and problems == []
    program = program_of(article)
    assert [(c.line, c.browser) for c in program.cells] == [(6, True)]
    assert program.inputs == [
        {"name": "a", "type": "range", "value": 1, "integer": True, "min": 0, "max": 4, "step": 1}
    ]
    assert [(o["id"], o["deps"]) for o in program.outputs] == [("w0o0", ["a"]), ("p0", ["a"])]
    assert live_inline_ids(article) == {"p0"}  # {py}`k` reads no input: it stays text
