"""runtime/program.py: an article's program and its run, as JSON both ways; the browser's
part of it (its spec) holds only what the browser runs."""

import json
import math

from site_builder.runtime.program import (
    CellCode,
    CellOutput,
    Failure,
    InlineValue,
    Program,
    RowsSource,
    RunResult,
)

PROGRAM = Program(
    article="/p/content/a/index.md",
    bundle="/p/content/a",
    cells=[CellCode(0, "import data", 6, False), CellCode(1, "k = 2", 10, True, ["table"])],
    inlines=[InlineValue("k", 12, ".1f", column=4)],
    inputs=[{"name": "a", "type": "range", "value": 1}],
    outputs=[{"id": "w0o0", "type": "value", "expr": "a * k", "deps": ["a"], "line": 20}],
    rows=[RowsSource("pid", "table", 30, "id", ["name"], 3)],
)


def test_a_program_survives_json_and_knows_when_it_is_empty():
    again = Program.from_json(json.loads(json.dumps(PROGRAM.to_json())))
    assert again == PROGRAM and not again.empty
    assert Program("a.md", None, [], [], [], [], []).empty


def test_the_browser_gets_its_cells_exports_as_python_wrote_them_and_no_paths():
    exports = {"x": 2.0, "nan": math.nan, "b": [1, 2]}
    spec = PROGRAM.for_browser("a/index.md", exports, {"helpers.py": "def h(): pass\n"}, 3.0)
    assert spec["cells"] == [{"code": "k = 2", "line": 10}]  # build-only cells stay here
    assert spec["exports"] == '{"x": 2.0, "nan": NaN, "b": [1, 2]}'  # 2.0 stays a float
    assert spec["article"] == "a/index.md" and "/p/" not in json.dumps(spec)
    assert spec["time_limit"] == 3.0 and spec["modules"] == {"helpers.py": "def h(): pass\n"}


def test_a_run_result_survives_json_without_its_timing():
    result = RunResult(
        cells=[CellOutput("hi\n", "", "<pre>1</pre>")],
        inlines=["2.0"],
        error=Failure("content/a/index.md", 10, "NameError: x", col=4, hint="define x"),
        deps={"numpy": "2.1.0"},
        seconds=1.5,
    )
    data = json.loads(json.dumps(result.to_json()))
    assert "seconds" not in data
    again = RunResult.from_json(data)
    assert again.seconds == 0.0 and again.error == result.error
    assert again == RunResult(**{**result.__dict__, "seconds": 0.0})
