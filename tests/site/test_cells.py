"""Build-time execution: results, errors at file:line, time limit, sandbox, cache."""

import json

import pytest

from site_builder.articles import parse_article
from site_builder.cells import run_article
from site_builder.config import load_config
from site_builder.content import find_sources
from site_builder.errors import Collector

HEAD = "---\ntitle: T\n---\n"


def run(make_site, body, timeout=20.0, files=None, cache=False):
    root = make_site({"content/a/index.md": HEAD + body, **(files or {})})
    config = load_config(root)
    problems = Collector()
    [source] = find_sources(root, config.path("content_dir"), problems)
    article, found = parse_article(source, drafts=False)
    assert problems.errors == [] and found == []
    result, diags = run_article(article, timeout, root / ".site-cache" if cache else None)
    return (result.to_json() if result else None), [d.format() for d in diags]


def test_outputs_values_and_bundle_modules(make_site):
    result, diags = run(
        make_site,
        "```python build\nimport helper\nprint('hi')\nhelper.twice(21)\n```\n",
        files={"content/a/helper.py": "def twice(x):\n    return 2 * x\n"},
    )
    assert diags == []
    assert result["cells"] == [
        {"stdout": "hi\n", "stderr": "", "display": '<pre class="xw-value">42</pre>'}
    ]


def test_exception_points_at_the_markdown_line(make_site):
    body = "Text\n\n```python build\nx = 1\ny = x / 0\n```\n"
    _, diags = run(make_site, body)
    assert diags[0].split("\n")[0] == (
        "content/a/index.md:8: error: ZeroDivisionError: division by zero"
    )
    assert 'File "content/a/index.md", line 8' in diags[0]
    assert "runner.py" not in diags[0]


@pytest.mark.parametrize(
    "line",
    [
        "Some {py}`total / count` prose",
        "> a quote {{ site.baseurl }}/x and {py:.2f}` total / count ` here",
        "- a list\n    - nested, with {py}`total / count`",
    ],
)
def test_an_inline_values_traceback_marks_the_expression_in_its_line(make_site, line):
    """The carets under the failing part of an inline value stand under the expression in
    the line as written, whatever precedes it there (Jekyll tags, a list's indent)."""
    body = "```python build\ntotal, count = 1, 0\n```\n\n" + line + "\n"
    _, diags = run(make_site, body)
    shown = diags[0].split("\n")
    source = next(k for k, text in enumerate(shown) if "total / count" in text)
    carets = shown[source + 1]
    assert carets.strip() and set(carets.strip()) <= {"~", "^"}, shown
    marked = (carets.index(carets.strip()[0]), len(carets.rstrip()))
    assert shown[source][marked[0] : marked[1]] == "total / count"


def test_error_inside_a_bundle_module(make_site):
    _, diags = run(
        make_site,
        "```python build\nimport helper\nhelper.boom()\n```\n",
        files={"content/a/helper.py": "def boom():\n    return [][1]\n"},
    )
    assert diags[0].split("\n")[0] == (
        "content/a/helper.py:2: error: IndexError: list index out of range"
    )


def test_syntax_error_has_line_and_column(make_site):
    _, diags = run(make_site, "```python build\nx = (1 +\n```\n")
    assert diags[0].startswith("content/a/index.md:5:5: error: SyntaxError: '(' was never closed")


def test_infinite_loop_is_stopped_at_the_time_limit(make_site):
    _, diags = run(
        make_site,
        "```python build\nx = 1\n```\n\n```python build\nwhile True:\n    pass\n```\n",
        timeout=2,
    )
    assert diags[0].split("\n")[0] == (
        "content/a/index.md:9: error: Python did not finish within 2 s (the article's time "
        "limit); stopped"
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "import os\nos._exit(3)",
            "content/a/index.md:5: error: Python exited the build process (exit code 3)",
        ),
        ("import sys\nsys.exit(2)", "content/a/index.md:6: error: the cell called exit(2)"),
        (
            "open('/tmp/../etc/site-builder-test', 'w')",
            "content/a/index.md:5: error: "
            "PermissionError: build-time Python may only write inside its working folder, not "
            "to /tmp/../etc/site-builder-test",
        ),
    ],
)
def test_cells_cannot_escape(make_site, code, expected):
    _, diags = run(make_site, f"```python build\n{code}\n```\n")
    assert diags[0].split("\n")[0] == expected


def test_megabytes_of_output_are_truncated(make_site):
    result, diags = run(make_site, "```python build\nprint('x' * 5_000_000)\n```\n")
    assert diags == []
    out = result["cells"][0]["stdout"]
    assert len(out) < 210_000
    assert out.endswith("output truncated: 5,000,001 characters printed, first 200,000 shown")


def test_browser_cells_only_get_the_standard_library(make_site):
    _, diags = run(make_site, "```python exec\nimport numpy\n```\n")
    assert diags[0].split("\n")[0] == (
        "content/a/index.md:5: error: in the browser runtime: ModuleNotFoundError: No module "
        "named 'numpy' in the browser runtime (Pyodide has the standard library and this "
        "article's own modules)"
    )


def test_exports_reach_browser_cells_and_widgets(make_site):
    body = (
        "```python build hide export=table\nimport numpy as np\ntable = np.arange(3)\n```\n\n"
        "```python exec\ntotal = sum(table)\n```\n\n```widget\noutputs:\n"
        "  - value: total * 2\n```\n"
    )
    result, diags = run(make_site, body)
    assert diags == []
    assert result["exports"] == {"table": [0, 1, 2]}
    assert result["initial"] == {"w0o0": {"ok": True, "value": "6", "cost": 0}}


def test_cache_reuses_a_run_and_ignores_a_corrupt_entry(make_site, tmp_path):
    body = "```python build\nimport random\nrandom.random()\n```\n"
    first, _ = run(make_site, body, cache=True)
    again, _ = run(make_site, body, cache=True)
    assert first == again  # the random number was not drawn twice
    for entry in (tmp_path / "site" / ".site-cache").rglob("*.json"):
        entry.write_text("{not json")
    fresh, diags = run(make_site, body, cache=True)
    assert diags == [] and fresh != first


SLOW_ARTICLE = """---
title: Slow
---

Some prose before the code.

```python build
import time
time.sleep(1.5)
total = sum(range(10))
```

The total is {py}`total`.

![a figure](figure.png)
"""


def test_a_prose_edit_runs_no_python(make_site, monkeypatch):
    """The cell cache is keyed by what the Python sees: prose, headings, front matter and
    lines added above the code change the page, not the key; the code does."""
    from site_builder import cells
    from site_builder.build import build
    from site_builder.config import load_config

    root = make_site({"content/slow/index.md": SLOW_ARTICLE, "content/slow/figure.png": b"png"})
    build(load_config(root))
    runs = []
    real = cells._run_in_box
    monkeypatch.setattr(cells, "_run_in_box", lambda *a, **k: runs.append(1) or real(*a, **k))
    page = root / "content" / "slow" / "index.md"
    edited = SLOW_ARTICLE.replace(
        "Some prose before the code.", "# A heading\n\nNew words,\nmore lines."
    )
    page.write_text(edited.replace("title: Slow", "title: Slow, renamed\nsummary: s"))
    (root / "content" / "slow" / "figure.png").write_bytes(b"another png")  # not read
    build(load_config(root))
    html = (root / "_site" / "slow" / "index.html").read_text()
    assert runs == [] and "New words" in html and "The total is 45" in html
    page.write_text(edited.replace("range(10)", "range(11)"))
    result = build(load_config(root))
    assert runs == [1] and "The total is 55" in (root / "_site" / "slow" / "index.html").read_text()
    # What ran and why, for the author: the cell's fence is at line 10 of the edited page.
    assert "content/slow/index.md: ran its Python in " in result.notes[0]
    assert result.notes[0].endswith("(its cell): the cell at line 10 changed")


DATA_ARTICLE = """---
title: Data
---

```python exec
import helpers
```

```python build
import csv, glob
import helpers
with open("people.csv") as f:
    ages = [int(row["age"]) for row in csv.DictReader(f)]
frames = sorted(glob.glob("frames/*.png"))
with open("logo.png", "rb") as f:
    logo = len(f.read())
```

{py}`sum(ages)` years in {py}`len(frames)` frames, a {py}`logo`-byte logo.

![A photo](photo.jpg)
"""


def test_a_run_is_reused_while_the_files_it_read_are_unchanged(make_site, monkeypatch):
    """A data file is part of the key; a picture counts when the run read it: an edit to
    the photo the page shows runs nothing, an edit to the logo the cell reads, or a
    picture added to a folder it lists, runs it again; each run says why."""
    from site_builder import cells
    from site_builder.build import build
    from site_builder.config import load_config

    root = make_site(
        {
            "content/data/index.md": DATA_ARTICLE,
            "content/data/helpers.py": "SCALE = 1\n",
            "content/data/people.csv": "name,age\na,30\nb,12\n",
            "content/data/photo.jpg": b"jpeg",
            "content/data/logo.png": b"png!",
            "content/data/frames/one.png": b"1",
        }
    )
    build(load_config(root))
    runs = []
    real = cells._run_in_box
    monkeypatch.setattr(cells, "_run_in_box", lambda *a, **k: runs.append(1) or real(*a, **k))
    page = root / "_site" / "data" / "index.html"
    # The browser gets the files its Python reads, never a folder (the import system
    # lists the bundle's folder to find helpers).
    (spec,) = (root / "_site" / "data").glob("page.*.json")
    assert not [f for f in json.loads(spec.read_text())["files"] if f.endswith("/")]
    (root / "content" / "data" / "photo.jpg").write_bytes(b"another jpeg")
    (root / "content" / "data" / "new-photo.jpg").write_bytes(b"a new picture")
    build(load_config(root))
    assert runs == [] and "42 years in 1 frames, a 4-byte logo" in page.read_text()
    (root / "content" / "data" / "people.csv").write_text("name,age\na,30\nb,13\n")
    result = build(load_config(root))
    assert runs == [1] and "43 years in 1 frames" in page.read_text()
    assert result.notes[0].endswith("(all 2 cells): people.csv changed")
    (root / "content" / "data" / "logo.png").write_bytes(b"png!!")
    result = build(load_config(root))
    assert runs == [1, 1] and "a 5-byte logo" in page.read_text()
    assert result.notes[0].endswith("(all 2 cells): logo.png changed")
    (root / "content" / "data" / "frames" / "two.png").write_bytes(b"2")
    result = build(load_config(root))
    assert runs == [1, 1, 1] and "43 years in 2 frames" in page.read_text()
    assert result.notes[0].endswith("(all 2 cells): the folder frames changed")
