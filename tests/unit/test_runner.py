"""runner.py: the build's child process runs an article's program as the build and then
as the browser will: what each cell printed and showed, the inline values, the outputs'
first results, and a failure at the author's own line. (Run in a child process here too:
the runner changes the interpreter it runs in.)"""

import json
import subprocess
import sys
from pathlib import Path

from site_builder.runtime.program import CellCode, InlineValue, Program, RunResult
from tests.conftest import ROOT

RUN = """
import io, json, sys
from site_builder.runner import run
from site_builder.runtime.program import Program
program = Program.from_json(json.loads(sys.stdin.read()))
result, page = run(program, io.StringIO())
print(json.dumps(result.to_json(), default=str))
"""


def run(program: Program, cwd: Path) -> RunResult:
    proc = subprocess.run(
        [sys.executable, "-c", RUN],
        input=json.dumps(program.to_json()),
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TMPDIR": str(cwd)},
        check=True,
        timeout=120,
    )
    return RunResult.from_json(json.loads(proc.stdout))


def program(article: str, cells: list[CellCode], **more) -> Program:
    fields = {"inlines": [], "inputs": [], "outputs": [], "rows": []} | more
    return Program(article=article, bundle=None, cells=cells, **fields)


def test_cells_print_show_and_feed_inline_values_and_outputs(tmp_path: Path):
    article = str(tmp_path / "a.md")
    cells = [
        CellCode(0, "print('hello')\nk = 21\nk * 2", 6, False, ["k"]),
        CellCode(1, "def f(a):\n    return a * k", 12, True),
    ]
    result = run(
        program(
            article,
            cells,
            inlines=[InlineValue("k / 2", 20, ".2f")],
            inputs=[{"name": "a", "type": "range", "value": 1}],
            outputs=[{"id": "w0o0", "type": "value", "expr": "f(a)", "deps": ["a"], "line": 30}],
        ),
        tmp_path,
    )
    assert result.error is None
    assert [(c.stdout, c.display) for c in result.cells] == [
        ("hello\n", '<pre class="xw-value">42</pre>'),
        ("", ""),
    ]
    assert result.inlines == ["10.50"]
    assert result.initial["w0o0"]["value"] == "21.0" and result.exports == {"k": 21}


def test_a_failure_is_at_the_authors_line(tmp_path: Path):
    article = str(tmp_path / "a.md")
    cells = [CellCode(0, "x = 1\ny = x / 0", 9, False)]
    result = run(program(article, cells), tmp_path)
    assert result.error is not None
    assert (result.error.path, result.error.line) == (article, 10)
    assert result.error.message.startswith("ZeroDivisionError")


def test_browser_code_may_import_only_what_the_browser_has(tmp_path: Path):
    article = str(tmp_path / "a.md")
    cells = [CellCode(0, "import yaml", 5, True)]
    result = run(program(article, cells), tmp_path)
    assert result.error is not None and result.error.line == 5
    assert "yaml" in result.error.message
