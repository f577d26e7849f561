import json

import pytest

from site_builder.article_program import function_reads, input_spec, output_spec
from site_builder.build import BuildError, build
from site_builder.config import load_config
from site_builder.errors import Collector
from site_builder.markup import RowsView, render_input
from site_builder.widgets import parse_widget, split_slots


def parse(text, line=10):
    problems = Collector()
    widget = parse_widget(text, 0, line, "a.md", problems)
    return widget, [d.format().split("\n")[0] for d in problems.errors]


def test_inputs_outputs_and_dependencies():
    widget, errors = parse(
        "inputs:\n  x: {type: range, min: 0, max: 2, step: 0.5, value: 1}\n"
        "outputs:\n  - value: f(x) + k\n    format: .2f\n  - plot: f\n    marker: x\n"
        "    domain: [0, 2]\n"
    )
    assert errors == []
    assert input_spec(widget.inputs[0]) == {
        "name": "x", "type": "range", "value": 1, "integer": False,  # step 0.5: floats
        "min": 0, "max": 2, "step": 0.5,  # its grid, for the tables of answers.py
    }  # fmt: skip
    whole = parse("inputs:\n  n: {type: range, min: 0, max: 9, step: 1, value: 3}\n")[0]
    assert input_spec(whole.inputs[0])["integer"] is True  # integer steps give ints
    spec = output_spec(widget.outputs[0], {"x"})
    assert spec["deps"] == ["x"] and spec["expr"] == "f(x) + k" and spec["line"] == 14
    assert output_spec(widget.outputs[1], {"x"})["deps"] == ["x"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "inputs:\n  x: {type: slider}\n",
            "a.md:12: error: input 'x': unknown input type 'slider'",
        ),
        (
            "inputs:\n  x:\n    type: range\n    min: 5\n    max: 1\n",
            "a.md:14: error: input 'x': min (5) is greater than max (1)",
        ),
        (
            "inputs:\n  x:\n    type: range\n    min: 0\n    max: 1\n    step: 0\n",
            "a.md:16: error: input 'x': step must be greater than 0, got 0",
        ),
        (
            "inputs:\n  x:\n    type: range\n    min: 0\n    max: 1\n    value: 0.25\n"
            "    step: 0.1\n",
            "a.md:16: error: input 'x': value 0.25 is not on the step grid (min 0, step 0.1)",
        ),
        (
            "inputs:\n  x: {type: select, options: [a, b], value: c}\n",
            "a.md:12: error: input 'x': value 'c' is not one of the options",
        ),
        (
            "outputs:\n  - value: f(x\n",
            "a.md:12: error: invalid Python expression 'f(x': '(' was never closed",
        ),
        (
            "outputs:\n  - plot: f\n    domain: [1, 0]\n",
            "a.md:13: error: 'domain' must be [low, high] with low < high, got [1, 0]",
        ),
        (
            "outputs:\n  - value: x\n    colour: red\n",
            "a.md:13: error: unknown option 'colour' for a value output",
        ),
        (
            "outputs:\n  - graph: x\n",
            "a.md:12: error: each output needs exactly one of: value, html, plot, formula, table, "
            "chart",
        ),
        ("outputs:\n  - value: x\n    format: .2q\n", "a.md:13: error: invalid format spec '.2q'"),
        (
            "inputs: [x\n",
            "a.md:12:1: error: invalid YAML in widget: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "colour: red\ninputs:\n  x: {type: checkbox}\n",
            "a.md:11: error: unknown widget key 'colour'",
        ),
    ],
)
def test_bad_options_name_their_line(text, expected):
    widget, errors = parse(text)
    assert widget is None
    assert errors[0] == expected


def test_numbers_in_e_notation_are_numbers():
    """1e-3 and 2.5e3 are numbers in a widget, as YAML 1.2 and every author reads them
    (PyYAML's YAML 1.1 wants 1.0e-3 and would give the text '1e-3')."""
    widget, errors = parse(
        "inputs:\n  x: {type: range, min: -2.5e3, max: 2.5E+3, step: 1e-3, value: 1e2}\n"
        "  s: {type: select, options: [1e3, 2e3], value: 2e3}\n"
    )
    assert errors == []
    x, s = (input_spec(i) for i in widget.inputs)
    assert (x["value"], x["integer"]) == (100.0, False)
    assert s["value"] == 2000.0 and s["options"] == [1000.0, 2000.0]


def test_numbers_and_flow_lists_are_expressions_as_written():
    """Where an option holds a Python expression, YAML's numbers and [flow, lists] are
    taken as the author wrote them (`rule: 0` is the expression 0, not an error); a
    mapping or a list over several lines is still an error at its line."""
    widget, errors = parse(
        "inputs:\n  x: {type: range, min: 0, max: 2, step: 0.5, value: 1}\n"
        "outputs:\n  - value: 1.5e3\n  - chart:\n      - rule: 0\n        axis: y\n"
        "      - point: [x, 1]\n      - text: 7\n        at: [x, 0.50]\n"
        "      - drag: x\n        y: -1\n"
    )
    assert errors == []
    assert output_spec(widget.outputs[0], {"x"})["expr"] == "1.5e3"
    marks = output_spec(widget.outputs[1], {"x"})["marks"]
    assert [(m["mark"], m["expr"]) for m in marks] == [
        ("rule", "0"), ("point", "[x, 1]"), ("text", "7"), ("drag", "(x, -1)")
    ]  # fmt: skip
    assert marks[2]["at"] == "[x, 0.50]"
    for text, line in (
        ("outputs:\n  - value: {a: 1}\n", 12),
        ("outputs:\n  - chart:\n      - point:\n          - 1\n          - 2\n", 13),
    ):
        widget, errors = parse(text)
        assert widget is None
        assert errors[0].startswith(f"a.md:{line}: error: expected a Python expression")


def test_formula_slots():
    tex, slots = split_slots(r"\sigma(\val{x}{.2f}) = \val{f(x, {1: 2}[1])}")
    assert slots == [("x", ".2f"), ("f(x, {1: 2}[1])", "")]
    assert r"\val" not in tex and "{918273600}" in tex


def test_rows_are_a_plain_table_and_a_data_file_written_by_the_build():
    widget, errors = parse(
        "inputs:\n  who: {type: rows, rows: people, key: id, value: 2, label: People}\n"
    )
    assert errors == []
    rows = [{"id": 1, "name": "A & B"}, {"id": 2, "name": "C"}, {"id": 3, "name": None}]
    html = render_input(widget.inputs[0], rows, lambda name: "/a/" + name)
    assert '<tr data-key="1"><td class="xw-num">1</td><td>A &amp; B</td></tr>' in html
    assert '<tr data-key="2" class="xw-chosen">' in html  # marked, not a widget without JS
    assert html.count("tabindex") == 1 and "aria-selected" not in html  # the scroll box
    assert "<caption>People (3 rows)</caption>" in html and "xw-rows-pages" not in html
    view = RowsView.of(widget.inputs[0], rows)
    assert [json.loads(line) for line in view.data().splitlines()] == [
        {
            "headings": ["id", "name"],
            "total": 3,
            "numeric": [True, False],
            "placeholder": "id, name, …",
        },
        {"keys": [1, 2, 3], "columns": [["1", "2", "3"], ["A & B", "C", "—"]]},
    ]
    assert f'data-xw-rows="/a/{view.data_name("who")}"' in html
    assert view.data_name("who").startswith("who.rows.") and 'data-xw-chosen="2"' in html
    missing = render_input(
        parse("inputs:\n  who: {type: rows, rows: people, key: id, value: 9}\n")[0].inputs[0], rows
    )
    assert '<tr data-key="1" class="xw-chosen">' in missing


def test_rows_columns_have_formats_numbers_align_and_the_search_its_hint():
    widget, errors = parse(
        "inputs:\n  who:\n    type: rows\n    rows: people\n    key: id\n    value: 1\n"
        "    columns: {id: '#', age: Age, fare: Fare, code: Code}\n"
        "    format: {fare: .2f}\n    placeholder: a name…\n    width: {code: 12}\n"
    )
    assert errors == []
    rows = [
        {"id": 1, "age": 6.0, "fare": 7.25, "code": "0042"},
        {"id": 2, "age": 0.42, "fare": 71.2833, "code": "A-1"},
        {"id": 3, "age": float("nan"), "fare": 8, "code": "7"},
    ]
    view = RowsView.of(widget.inputs[0], rows)
    assert view.cells == [["1", "6.0", "7.25", "0042"], ["2", "0.42", "71.28", "A-1"],
                          ["3", "—", "8.00", "7"]]  # fmt: skip
    assert view.numeric == [True, True, True, False] and view.placeholder == "a name…"
    html = render_input(widget.inputs[0], rows)
    assert '<th scope="col" class="xw-num">Fare</th><th scope="col">Code</th>' in html
    head = json.loads(view.data().splitlines()[0])
    assert head["placeholder"] == "a name…" and head["widths"] == [0, 0, 0, 12]
    _, bad = parse(
        "inputs:\n  who: {type: rows, rows: people, key: id, value: 1, format: {a: 2}}\n"
    )
    assert "'format' maps columns to format specs" in bad[0]
    _, bad = parse(
        "inputs:\n  who: {type: rows, rows: people, key: id, value: 1, width: {a: wide}}\n"
    )
    assert "'width' maps columns to widths in characters" in bad[0]


def test_a_format_a_row_cannot_take_is_an_error_at_the_inputs_line(make_site):
    text = (
        "---\ntitle: r\n---\n\n```python build\npeople = [{'id': 1, 'n': 'x'}]\n```\n\n"
        "```widget\ninputs:\n  who: {type: rows, rows: people, key: id, value: 1, "
        "format: {n: .2f}}\n```\n"
    )
    root = make_site({"content/r.md": text})
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value).startswith("content/r.md:11: error:")
    assert "row 0: n 'x' cannot be shown with format '.2f'" in str(caught.value)


def test_many_rows_are_paged_for_readers_without_javascript():
    widget, _ = parse("inputs:\n  who: {type: rows, rows: people, key: id, value: 2500}\n")
    rows = [{"id": i} for i in range(1, 2501)]
    html = render_input(widget.inputs[0], rows, lambda name: "/a/" + name)
    # The chosen row's page is on the article page; every page has a link.
    assert "(rows 2,001–2,500 of 2,500)" in html and html.count("<tr data-key") == 500
    assert '<a href="/a/who-rows/1/">1–1,000</a>' in html
    assert '<a href="/a/who-rows/2/">1,001–2,000</a>' in html
    assert '<a aria-current="page">2,001–2,500</a>' in html
    lines = RowsView.of(widget.inputs[0], rows).data().splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["keys"][-1] == 2500  # 2,000 a line


def test_dependencies_are_found_through_the_functions_an_output_calls():
    widget, errors = parse(
        "inputs:\n  x: {type: range, min: 0, max: 2, value: 1}\n"
        "  y: {type: range, min: 0, max: 2, value: 1}\n"
        "  z: {type: range, min: 0, max: 2, value: 1}\n"
        "outputs:\n  - value: total()\n  - value: scaled(2)\n  - value: plain()\n    uses: [z]\n"
    )
    assert errors == []
    reads = function_reads(
        [
            "def total():\n    return helper() + x\n\ndef helper():\n    return y\n",
            "def scaled(k):\n    x = 3  # a local, not the input\n    return k * x\n",
            "def plain():\n    return 1\n",
        ]
    )
    names = {"x", "y", "z"}
    deps = [output_spec(o, names, reads)["deps"] for o in widget.outputs]
    assert deps == [["x", "y"], [], ["z"]]
    assert "uses" not in output_spec(widget.outputs[2], names, reads)
    _, bad = parse("outputs:\n  - value: f()\n    uses: z\n")
    assert bad == ["a.md:13: error: uses: must be a list of input names, got 'z'"]


def test_the_widget_reference_shows_every_kind_with_its_markdown(example_site):
    """The reference article (content/widget-reference/) is the authoring guide's live
    companion: every input and output kind, each widget with its own Markdown above it."""
    import re

    from site_builder.widgets import INPUT_TYPES, OUTPUT_TYPES

    page = (example_site / "widget-reference" / "index.html").read_text()
    inputs = set(re.findall(r'data-xw-type="(\w+)"', page))
    outputs = set(re.findall(r'class="xw-output xw-(\w+)"', page))
    assert inputs == set(INPUT_TYPES)
    assert outputs == set(OUTPUT_TYPES)
    marks = set(
        re.findall(
            r'<(?:polyline class="curve|path class="(?:dot|marker)|circle class="(?:marker|handle)'
            r'|rect class="bar|polygon class="area|line class="rule)',
            page,
        )
    )
    assert len(marks) == 8  # curve, dot, point mark, plot's marker, handle, bar, area, rule
    sources = re.findall(r'<div class="xw-source"><p class="xw-source-label">Markdown</p>', page)
    widgets = re.findall(r'<figure class="xw-widget', page)
    assert len(sources) == len(widgets) >= 7
    assert 'class="xw-play"' in page and 'class="xw-preset"' in page and "xw-side" in page
