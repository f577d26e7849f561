"""The author's loop: the dev server rebuilds after an edit, signals reload, survives errors."""

import urllib.request

from tests.conftest import dev_server, read_event


def test_edit_rebuilds_and_reloads_and_errors_are_survived(make_site):
    root = make_site({"content/a.md": "---\ntitle: Before\n---\nHello\n"})
    with dev_server(root, "a/index.html") as (base, events):
        assert "/__dev/livereload.js" in urllib.request.urlopen(base + "a/").read().decode()
        (root / "content" / "a.md").write_text("---\ntitle: After\n---\nHello\n")
        assert read_event(events) == ("reload", "[]")
        assert "After" in urllib.request.urlopen(base + "a/").read().decode()
        (root / "content" / "a.md").write_text("---\ntitle: [broken\n---\n")
        name, data = read_event(events)
        assert name == "failed" and "content/a.md:2:15: error: invalid YAML" in data
        assert "After" in urllib.request.urlopen(base + "a/").read().decode()  # last good site
        (root / "content" / "a.md").write_text("---\ntitle: Fixed\n---\n")
        assert read_event(events)[0] == "reload"


DRAFTS = {
    "content/a.md": "---\ntitle: Published\n---\nHello\n",
    "content/wip.md": "---\ntitle: Work in progress\ndraft: true\n---\nNot yet.\n",
}


def test_a_preview_session_never_touches_the_deploy_folder(make_site):
    from site_builder.build import build
    from site_builder.config import load_config
    from tests.conftest import tree

    root = make_site(DRAFTS)
    build(load_config(root))
    published = tree(root / "_site")
    assert "wip/index.html" not in published
    with dev_server(root, "wip/index.html") as (base, events):
        page = urllib.request.urlopen(base + "wip/").read().decode()
        assert '<p class="draft-mark">Draft: shown in previews' in page
        index = urllib.request.urlopen(base).read().decode()
        assert 'Work in progress</a> <span class="draft-mark">Draft</span>' in index
        (root / "content" / "wip.md").write_text(DRAFTS["content/wip.md"] + "More.\n")
        assert read_event(events)[0] == "reload"
        assert "More." in urllib.request.urlopen(base + "wip/").read().decode()
    assert tree(root / "_site") == published
    feed = (root / "_site" / "feed.xml").read_text() + (root / "_site" / "sitemap.xml").read_text()
    assert "wip" not in feed


def test_build_with_drafts_writes_a_preview_not_the_site(make_site):
    import subprocess
    import sys

    root = make_site(DRAFTS)
    proc = subprocess.run(
        [sys.executable, "-m", "site_builder.cli", "--root", str(root), "build", "--drafts"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "(a preview with drafts, not for deploying)" in proc.stdout
    assert not (root / "_site").exists()
    assert (root / ".site-cache" / "preview" / "site" / "wip" / "index.html").is_file()


def test_a_burst_of_saves_is_one_rebuild_and_editor_files_are_ignored(make_site, capfd):
    import time

    root = make_site({"content/a.md": "---\ntitle: A\n---\nHello\n"})
    with dev_server(root, "a/index.html") as (_, events):
        capfd.readouterr()
        for i in range(30):  # a branch switch: many files at once
            (root / "content" / f"n{i}.md").write_text(f"---\ntitle: N{i}\n---\nNew.\n")
        assert read_event(events)[0] == "reload"
        time.sleep(1.5)
        assert capfd.readouterr().out.count("rebuilt in") == 1
        (root / "content" / ".#a.md").symlink_to("someone@host.123:456")  # an editor's lock
        (root / "content" / "a.md~").write_text("backup")
        (root / "content" / ".a.md.swp").write_text("swap")
        (root / "content" / "4913").write_text("")
        time.sleep(1.5)
        assert capfd.readouterr().out.count("rebuilt in") == 0
        (root / "site.toml").write_text((root / "site.toml").read_text() + "\n")
        assert read_event(events)[0] == "reload"


def test_an_edit_in_the_dev_server_runs_only_the_cells_it_reaches(make_site, capfd):
    import time

    def body(n):
        return (
            "---\ntitle: A\n---\n\n```python build\nimport time\ntime.sleep(1)\nslow = 1\n```\n\n"
            f"```python build\nfast = {n}\nfast * 10\n```\n"
        )

    root = make_site({"content/a/index.md": body(1)})
    with dev_server(root, "a/index.html") as (base, events):
        runners = warm_processes(root)
        assert runners  # the article's warm runner: its first process and its stops
        capfd.readouterr()
        (root / "content" / "a" / "index.md").write_text(body(2))
        assert read_event(events)[0] == "reload"
        out = capfd.readouterr().out
        assert "(1 of 2 cells (from the state after the cells above it)): the cell at " in out
        page = urllib.request.urlopen(base + "a/").read().decode()
        assert '<pre class="xw-value">20</pre>' in page
    deadline = time.monotonic() + 10  # the server stopped: so did its warm runners
    while set(warm_processes(root)) & set(runners) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(warm_processes(root)) & set(runners)


def warm_processes(root):
    """The processes of the warm runners started for the project at *root*."""
    import os
    from pathlib import Path

    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        # its last argument: the article's folder, in this project
        if (
            b"site_builder.warm" in command
            and state != "Z"
            and str(root) in os.fsdecode(command[-1])
        ):
            found.append(int(entry.name))
    return found


def test_the_dev_server_warms_up_the_articles_edited_last(make_site, capfd):
    """Started on a site whose runs are all in the cache, the dev server runs the Python
    of the articles changed last in warm runners: their first edit runs what it reaches."""
    import time

    from site_builder.build import build
    from site_builder.config import load_config

    def body(expr):
        return (
            "---\ntitle: A\n---\n\n```python build export=k\nk = 2\n```\n\n"
            "```widget\ninputs:\n  x: {type: range, min: 0, max: 3, value: 1}\n"
            f"outputs:\n  - value: {expr}\n```\n"
        )

    root = make_site({"content/a/index.md": body("k * x")})
    build(load_config(root))  # what an earlier build left in the cache
    with dev_server(root, "a/index.html") as (base, events):
        deadline = time.monotonic() + 30
        out = ""
        while "kept warm for edits" not in out and time.monotonic() < deadline:
            time.sleep(0.1)
            out += capfd.readouterr().out
        assert "content/a/index.md: its Python is kept warm for edits" in out
        (root / "content" / "a" / "index.md").write_text(body("k * x + 100"))
        assert read_event(events)[0] == "reload"
        assert "(no cell): the output at line 13 changed" in capfd.readouterr().out
        assert ">102<" in urllib.request.urlopen(base + "a/").read().decode()
