"""Faults: interrupted and killed builds, dev server recovery, hostile content, CSP."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import (
    ROOT,
    dev_server,
    read_event,
    serve_folder,
    tree,
    write_files,
    write_site,
)

SLOW = "---\ntitle: Slow\n---\n```python build\nimport time\ntime.sleep(30)\n```\n"


def start_build(root):
    # Its own process group, as in a terminal, where Ctrl-C reaches the build and its cells.
    return subprocess.Popen(
        [sys.executable, "-m", "site_builder.cli", "--root", str(root), "build"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_cell(since):
    """Wait until a cell process started after *since* reports progress."""
    deadline = time.monotonic() + 20
    while not any(
        p.stat().st_mtime >= since
        for p in Path(tempfile.gettempdir()).glob("site-builder-*/*.progress")
    ):
        assert time.monotonic() < deadline, "the cell never started"
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "crash"])
def test_interrupted_build_leaves_site_and_cache_usable(make_site, sig):
    root = make_site({"content/a.md": "---\ntitle: A\n---\n```python build\nx = 1\n```\n"})
    build(load_config(root))
    before = tree(root / "_site")
    (root / "content" / "b.md").write_text(SLOW)
    since = time.time() - 0.01
    proc = start_build(root)
    wait_for_cell(since)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode != 0
    if sig == signal.SIGINT:
        assert "interrupted; the previous output was left as it was" in err
    assert tree(root / "_site") == before
    (root / "content" / "b.md").write_text("---\ntitle: B\n---\nFine now.\n")
    build(load_config(root))
    assert (root / "_site" / "b" / "index.html").exists()
    assert [p.name for p in root.iterdir() if p.name.startswith("._site")] == []


def test_dev_server_survives_every_kind_of_bad_save(make_site):
    root = make_site({"content/a.md": "---\ntitle: Good\n---\nHello\n"})
    bad = [
        ("content/a.md", "---\ntitle: [x\n---\n", "invalid YAML"),
        ("content/a.md", "---\ntitle: T\n---\n```python build\n1/0\n```\n", "ZeroDivisionError"),
        (
            "content/a.md",
            "---\ntitle: T\n---\n```widget\ninputs:\n  x: {type: knob}\n```\n",
            "unknown input type",
        ),
        ("templates/404.html", "{% block %}", "template syntax"),
        ("site.toml", '[runtime]\nsource = "cloud"\n', "'runtime.source': expected one of"),
    ]
    with dev_server(root, "a/index.html") as (base, events):
        for name, text, expected in bad:
            original = (root / name).read_text()
            (root / name).write_text(text)
            kind, data = read_event(events)
            assert kind == "failed" and expected in data, (name, data)
            assert "Hello" in urllib.request.urlopen(base + "a/").read().decode()
            (root / name).write_text(original)
            assert read_event(events)[0] == "reload"


PAYLOADS = [
    '<script>alert("s")</script>',
    '" onmouseover="alert(1)',
    "</textarea><img src=x onerror=alert(2)>",
    "javascript:alert(3)",
    "<svg onload=alert(4)>",
]
HOSTILE_CSV = "id,name\n" + "".join(
    f'{i},"{p.replace(chr(34), chr(34) * 2)}"\n' for i, p in enumerate(PAYLOADS, 1)
)
HOSTILE = """---
title: '<script>alert("title")</script>'
summary: '" onmouseover="alert(5)'
tags: ['<b>tag</b>']
---

```python build hide export=names
import csv
with open("data.csv", newline="") as f:
    rows = list(csv.DictReader(f))
for r in rows:
    print(r["name"])
names = [r["name"] for r in rows]
```

```python exec
from site_builder.runtime import table_html
```

Inline: {py}`names[0]`

```widget
inputs:
  who: {type: rows, rows: rows, key: id, value: "1", label: People}
  pick: {type: select, options: [a, b], value: a, label: Pick}
outputs:
  - value: names[int(who) - 1]
  - table: "[{'name': n} for n in names]"
```
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = write_site(
        tmp_path_factory.mktemp("hostile"),
        {"content/h/index.md": HOSTILE, "content/h/data.csv": HOSTILE_CSV},
    )
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    yield root / "_site", url
    server.shutdown()


def test_hostile_text_is_escaped_in_the_html(hostile):
    site, _ = hostile
    for path in ("h/index.html", "index.html", "feed.xml"):
        html = (site / path).read_text()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "<svg onload" not in html and 'href="javascript:' not in html
    html = (site / "h" / "index.html").read_text()
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html


def test_example_site_links_resolve_under_a_project_prefix(tmp_path):
    config = load_config(
        ROOT,
        {
            "output_dir": str(tmp_path / "_site"),
            "cache_dir": str(ROOT / ".site-cache"),
            "base_url": "https://someone.github.io/explorables/",
        },
    )
    result = build(config, write=False)  # the build's link check raises on any broken link
    html = result.files_written.read("neural-network-math/index.html").decode()
    assert 'data-xw-runtime="/explorables/_pyodide/' in html
    assert 'href="/explorables/static/css/site.' in html
    assert os.path.basename(config.output_dir) == "_site"


class _CorsHandler(__import__("tests.conftest", fromlist=["Handler"]).Handler):
    """A stand-in CDN: another origin that allows cross-origin reads."""

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


CDN_ARTICLE = """---
title: CDN
---

```python exec
def double(v):
    return 2 * v
```

```widget
inputs:
  n: {type: range, min: 0, max: 10, step: 1, value: 2, label: n}
outputs:
  - value: double(n)
```
"""


def test_dev_server_survives_the_whole_bad_input_table(make_site):
    """Each bad input of tests/site/test_build.py, saved while `serve` runs: the overlay gets the
    diagnostic, the last good site stays served, and restoring the file brings a reload."""
    import json

    from tests.site.test_build import BAD, GOOD

    root = make_site(GOOD)
    checked = 0
    with dev_server(root, "first/index.html") as (base, events):
        for name, files, expected in BAD:
            if "base_url" in str(files.get("site.toml", "")):
                continue  # serve replaces base_url with its own address: these cannot fail
            originals = {
                rel: (root / rel).read_bytes() if (root / rel).exists() else None for rel in files
            }
            write_files(root, files)
            kind, data = read_event(events)
            assert kind == "failed", name
            assert expected[0] in "\n".join(json.loads(data)), name
            assert b"First" in urllib.request.urlopen(base + "first/").read()
            for rel, original in originals.items():
                if original is None:
                    (root / rel).unlink()
                else:
                    (root / rel).write_bytes(original)
            assert read_event(events)[0] == "reload", name
            checked += 1
    assert checked >= 35


# -- killed at every step ------------------------------------------------------------------

# Runs `site-builder ARGS` with an audit hook that kills the process (as SIGKILL would: no
# clean-up) at its Nth step that changes the project: a file opened for writing, a rename,
# a removal, a copy, a folder made, a call into C (the atomic swap). Caches and staging
# folders are not counted: nobody reads them as the author's files.
KILLER = r"""
import os, sys
ROOT, AT, count = os.path.realpath(sys.argv[1]), int(sys.argv[2]), 0
WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
CHANGES = {"os.rename", "os.replace", "os.remove", "os.unlink", "os.rmdir", "os.mkdir",
           "shutil.copyfile", "shutil.rmtree", "os.truncate", "os.link", "os.symlink"}
def inside(path):
    if not isinstance(path, (str, bytes, os.PathLike)):
        return False
    rel = os.path.relpath(os.path.realpath(os.path.join(os.getcwd(), os.fsdecode(path))), ROOT)
    return not rel.startswith(("..", ".cache", ".site-cache")) and ".staging-" not in rel
def hook(event, args):
    global count
    if event == "open":
        if not ((args[1] and set(args[1]) & set("wax+")) or (args[2] or 0) & WRITING):
            return
    elif event not in CHANGES and event != "ctypes.call_function":
        return
    if event != "ctypes.call_function" and not any(inside(a) for a in args[:2]):
        return
    count += 1
    if count == AT:
        os._exit(137)
sys.addaudithook(hook)
from site_builder.cli import main
sys.exit(main(["--root", ROOT, *sys.argv[3:]]))
"""


def kept(root: Path) -> dict[str, bytes]:
    """The project as its author sees it: no caches, nothing hidden."""
    return {
        k: v
        for k, v in tree(root).items()
        if not any(part.startswith(".") for part in Path(k).parts)
    }


def run_killed(root: Path, at: int, *args: str) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(root), str(at), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode


def kill_at_every_step(make, args, check) -> int:
    """Make a project with *make(folder)*, run the command to the end once to learn its
    result, then in fresh copies kill it at its 1st, 2nd, … step until a run ends by
    itself; after each kill call *check(before, after, now, root)* with the author's
    files. Return the number of steps."""
    base = Path(tempfile.mkdtemp(prefix="killed-"))
    clean = make(base / "clean")
    before = kept(clean)
    assert run_killed(clean, 10**9, *args) == 0
    after = kept(clean)
    assert after != before, "the command changed nothing: nothing to test"
    step = 1
    while True:
        root = make(base / f"at-{step}")
        code = run_killed(root, step, *args)
        if code != 137:
            assert code == 0 and kept(root) == after
            return step - 1
        check(before, after, kept(root), root)
        step += 1


def each_file_whole(before, after, now, root) -> None:
    """Every file is as it was or as the command leaves it: never half written, never
    missing when it was there before and after."""
    for path in set(before) | set(after) | set(now):
        assert now.get(path) in (before.get(path), after.get(path)), path


def site_whole(before, after, now, root) -> None:
    """The published folder is the previous site or the new one, entire; the next build
    completes it."""
    each_file_whole(before, after, now, root)
    site = {k: v for k, v in now.items() if k.startswith("_site/")}
    assert site in (
        {k: v for k, v in before.items() if k.startswith("_site/")},
        {k: v for k, v in after.items() if k.startswith("_site/")},
    )
    assert run_killed(root, 10**9, "build") == 0
    assert kept(root) == after


TINY = {
    "site.toml": 'title = "Tiny"\n[runtime]\nsource = "none"\n',
    "content/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\n\nFirst words.\n",
}


def test_a_build_killed_at_any_step_leaves_the_previous_site_or_the_new_one(tmp_path):
    def make(folder):
        root = write_site(folder, TINY)
        assert run_killed(root, 10**9, "build") == 0
        (root / "content/a.md").write_text(TINY["content/a.md"].replace("First", "Second"))
        return root

    assert kill_at_every_step(make, ["build", "--full"], site_whole) >= 3


def test_lock_killed_at_any_step_leaves_the_lock_as_it_was_or_new(tmp_path):
    old_lock = '{"version": 1, "pyodide": "0", "sets": [], "files": {}}\n'

    def make(folder):
        root = write_site(folder, {**TINY, "packages-lock.json": old_lock})
        return root

    def check(before, after, now, root):
        each_file_whole(before, after, now, root)
        assert now["packages-lock.json"] in (old_lock.encode(), after["packages-lock.json"])

    assert kill_at_every_step(make, ["lock"], check) >= 2


def test_new_and_import_killed_at_any_step_leave_whole_files(tmp_path):
    jekyll = write_site(
        tmp_path / "jekyll",
        {
            "_config.yml": "title: Old blog\n",
            "_posts/2020-01-02-hello.md": "---\ntitle: Hello\n---\n\nHello, world.\n",
            "_posts/2020-02-03-again.md": "---\ntitle: Again\n---\n\nOnce more.\n",
            "assets/a.txt": "a\n",
            "assets/deep/b.txt": "b\n",
            "notes.txt": "n\n",
        },
    )
    assert kill_at_every_step(lambda f: write_site(f, TINY), ["new", "A title"], each_file_whole)
    steps = kill_at_every_step(
        lambda f: write_site(f, TINY), ["import-jekyll", str(jekyll)], each_file_whole
    )
    assert steps >= 5
