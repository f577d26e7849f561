"""The dev server's warm runners (warm.py): an edit runs only the Python it reaches, and
the site it builds is byte for byte the one a clean build makes."""

import os
import shutil
import time

import pytest

from site_builder.build import build
from site_builder.config import load_config
from site_builder.warm import Pool
from tests.conftest import tree

HEAD = "---\ntitle: Warm\n---\n\nSome prose.\n\n"


def article(first="a = 1", second="b = 2", third="c = a + 3", output="a * x", more=""):
    return (
        HEAD
        + f"```python build export=a,c\nimport time\n{first}\n```\n\n"
        + f"```python build\n{second}\n```\n\n"
        + f"```python build export=c\n{third}\n```\n\n"
        + "The sum is {py}`a + b + c`.\n\n"
        + "```widget\ninputs:\n  x: {type: range, min: 0, max: 4, value: 1}\n"
        + f"outputs:\n  - value: {output}\n  - value: c - x\n```\n"
        + more
    )


@pytest.fixture
def warm():
    pool = Pool()
    try:
        yield pool
    finally:
        pool.close()


def clean(root):
    """The site a clean build makes of *root* as it is now (no warm runner, no cache)."""
    shutil.rmtree(root / "_site")
    shutil.rmtree(root / ".site-cache", ignore_errors=True)
    build(load_config(root))
    return tree(root / "_site")


def notes(result):
    return [n for n in result.notes if "ran its Python" in n]


# Each step edits the article (or its bundle) from the state the steps before left, and
# says what the warm runner may run for it.
STEPS = [
    ("the last cell", {"third": "c = a + 30"}, "(1 of 3 cells (from the state after the cells"),
    (
        "a cell no other reads",
        {"second": "b = 20"},
        "(1 of 3 cells (the others do not depend on it), 0 of 2 outputs)",
    ),
    (
        "a cell another reads",
        {"first": "a = 2"},
        "(2 of 3 cells (the others do not depend on them))",
    ),
    ("an output", {"output": "a * x * 10"}, "(no cell, 1 of 2 outputs)"),
    ("an inline value", {"more": "\nAlso {py}`b * 2`.\n"}, "(no cell, 0 of 2 outputs)"),
    ("a list filled in place", {"second": "xs = []\nxs.append(a)\nb = len(xs)"}, "(1 of 3 cells"),
    ("a cell that fails", {"second": "b = 1 / 0"}, None),
    ("then mended", {"second": "b = 7"}, "(1 of 3 cells"),
    ("random numbers", {"second": "import random\nrandom.seed(4)\nb = random.random()"}, "(1 of 3"),
]


def test_each_edit_runs_what_it_reaches_and_builds_what_a_clean_build_does(make_site, warm):
    fields = {}
    root = make_site({"content/w/index.md": article()})
    build(load_config(root), warm=warm)
    assert tree(root / "_site") == clean(root)
    for name, edit, ran in STEPS:
        fields |= edit
        make_site({"content/w/index.md": article(**fields)})
        try:
            result = build(load_config(root), warm=warm)
        except Exception as exc:  # the failing step
            assert ran is None and "ZeroDivisionError" in str(exc), name
            continue
        [note] = notes(result)
        assert ran in note, (name, note)
        assert tree(root / "_site") == clean(root), name


def test_a_prose_edit_runs_nothing_and_a_data_file_starts_again(make_site, warm):
    root = make_site(
        {
            "content/w/index.md": article(first="a = len(open('data.txt').read())"),
            "content/w/data.txt": "four",
        }
    )
    build(load_config(root), warm=warm)
    make_site({"content/w/index.md": article(first="a = len(open('data.txt').read())") + "More."})
    assert notes(build(load_config(root), warm=warm)) == []
    make_site({"content/w/data.txt": "seven"})
    [note] = notes(build(load_config(root), warm=warm))
    assert "(all 3 cells)" in note and "data.txt changed" in note
    assert tree(root / "_site") == clean(root)


def test_a_cell_that_writes_a_file_starts_the_next_run_from_the_start(make_site, warm):
    writes = "open('made.txt', 'a').write('x')\nc = len(open('made.txt').read())"
    root = make_site({"content/w/index.md": article(third=writes)})
    build(load_config(root), warm=warm)
    make_site({"content/w/index.md": article(third=writes, second="b = 3")})
    [note] = notes(build(load_config(root), warm=warm))
    # its stops would hold the file of a later run
    assert "(all 3 cells (from the start: a cell wrote made.txt))" in note
    assert tree(root / "_site") == clean(root)  # c is 1: each run starts from a fresh copy


def test_a_cell_that_hangs_is_stopped_at_its_line_and_the_cells_above_are_kept(make_site, warm):
    root = make_site(
        {"content/w/index.md": "---\ntitle: W\ntimeout: 2\n---\n" + article()[len(HEAD) :]}
    )
    build(load_config(root), warm=warm)
    hang = article(third="while True:\n    pass").replace(HEAD, "---\ntitle: W\ntimeout: 2\n---\n")
    make_site({"content/w/index.md": hang})
    with pytest.raises(Exception, match="did not finish within 2 s") as failed:
        build(load_config(root), warm=warm)
    assert "content/w/index.md:15" in str(failed.value)  # the hanging cell's first line
    fixed = article(third="c = 99").replace(HEAD, "---\ntitle: W\ntimeout: 2\n---\n")
    make_site({"content/w/index.md": fixed})
    [note] = notes(build(load_config(root), warm=warm))
    assert "1 of 3 cells" in note
    assert tree(root / "_site") == clean(root)


def test_a_cell_with_a_thread_running_makes_no_stop_after_it(make_site, warm):
    thread = (
        "import threading\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()"
    )
    root = make_site({"content/w/index.md": article(second=thread + "\nb = 2")})
    build(load_config(root), warm=warm)
    make_site({"content/w/index.md": article(second=thread + "\nb = 2", third="c = 5")})
    [note] = notes(build(load_config(root), warm=warm))
    assert "2 of 3 cells" in note  # from the stop before the thread started
    assert tree(root / "_site") == clean(root)


def test_closing_ends_every_process(make_site):
    pool = Pool()
    root = make_site({"content/w/index.md": article()})
    build(load_config(root), warm=pool)
    [runner] = pool.warm.values()
    pids = [s.pid for s in runner.stops.values()] + [runner.tail.pid]
    assert len(set(pids)) == 5  # c0 to c3 and the tail
    pool.close()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids)
    assert not runner.tmp.exists()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone for our purpose
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_run_reused_from_the_cache_is_warmed_up_for_its_first_edit(make_site, warm):
    """The dev server starts on a site whose runs are cached: it runs the articles edited
    last in warm runners (serve.warm_up), and their first edit runs only what it reaches."""
    from site_builder import cells

    root = make_site({"content/w/index.md": article()})
    result = build(load_config(root))  # a build, no warm runner: the cache holds the run
    assert notes(build(load_config(root), warm=warm, incremental=False)) == []  # cached
    [note] = cells.warm_up(load_config(root), result.articles, warm)
    assert note.startswith("content/w/index.md: its Python is kept warm for edits")
    make_site({"content/w/index.md": article(output="a * x * 7")})
    [note] = notes(build(load_config(root), warm=warm))
    assert "(no cell, 1 of 2 outputs)" in note
    assert tree(root / "_site") == clean(root)
