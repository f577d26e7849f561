"""Names and links from data (site_builder/paths.py), and every place they become paths:
the lock, a mirror's lock, content, bundles, passthrough folders, the Jekyll importer; the
dev server's Host check; base URLs; the lock written only when a build succeeds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from site_builder import packages, paths
from site_builder.build import build
from site_builder.config import load_config
from site_builder.errors import BuildError
from site_builder.importer import import_jekyll
from site_builder.serve import host_allowed
from tests.conftest import ROOT


@given(st.text(max_size=40))
def test_a_file_name_from_data_never_leaves_its_folder(name):
    """Whatever the text, a name the helper accepts joins a folder to a path directly
    inside that folder."""
    try:
        checked = paths.file_name(name)
    except paths.UnsafeName:
        return
    folder = Path("/srv/cache")
    joined = Path(os.path.normpath(folder / checked))
    assert joined.parent == folder and joined.name == checked


@pytest.mark.parametrize(
    "name", ["../content/a.md", "/etc/passwd", "a/b.whl", "..", ".", "", "x\x00y", "a\\b", 7]
)
def test_names_that_are_paths_are_refused(name):
    with pytest.raises(paths.UnsafeName):
        paths.file_name(name)


def test_links_resolve_inside_their_folder_or_are_refused(tmp_path):
    project = tmp_path / "p"
    (project / ".git").mkdir(parents=True)
    (project / ".git" / "config").write_text("[core]")
    content = project / "content"
    content.mkdir()
    (content / "real.txt").write_text("ok")
    (tmp_path / "secret").write_text("key")
    (content / "inside").symlink_to(content / "real.txt")
    (content / "out").symlink_to(tmp_path / "secret")
    (content / "git").symlink_to(project / ".git" / "config")
    (content / "loop").symlink_to(content / "loop")
    (content / "dangling").symlink_to(content / "nothing")
    assert paths.linked_inside(content / "real.txt", content, project)
    assert paths.linked_inside(content / "inside", content, project)
    for name in ("out", "git", "loop", "dangling"):
        assert not paths.linked_inside(content / name, content, project), name
    assert paths.escaped("a\x1b[31mb\n") == "a\\x1b[31mb\\x0a"


# --- the lock ---------------------------------------------------------------------------


def _lock(root: Path, file_name: str, sha: str = "0" * 64) -> None:
    lock = {
        "version": packages.LOCK_VERSION,
        "pyodide": packages.PYODIDE_VERSION,
        "sets": [{"requirements": ["x"], "files": [file_name]}],
        "files": {
            file_name: {
                "name": "x",
                "version": "1",
                "sha256": sha,
                "source": "pypi",
                "depends": [],
                "imports": [],
            }
        },
    }
    (root / packages.LOCK_NAME).write_text(json.dumps(lock))


ARTICLE = """---
title: P
packages: [x]
---

```python exec
y = 1
```
"""


@pytest.mark.parametrize(
    ("file_name", "sha"),
    [
        ("../../content/keep.md", "0" * 64),  # a path into the project
        ("x-1-py3-none-any.whl", "../../../content"),  # a path in the hash
    ],
)
def test_a_lock_entry_named_like_a_path_deletes_nothing(make_site, file_name, sha):
    root = make_site({"content/keep.md": ARTICLE})
    _lock(root, file_name, sha)
    before = (root / "content" / "keep.md").read_bytes()
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    message = "\n".join(d.format() for d in caught.value.diagnostics)
    assert "packages-lock.json" in message and "refused" in message
    assert (root / "content" / "keep.md").read_bytes() == before


@pytest.mark.parametrize(
    "edit",
    [
        lambda lock: lock["files"]["x.whl"].pop("sha256"),  # a missing key
        lambda lock: lock["files"]["x.whl"].update(depends=7),  # a wrong type
        lambda lock: lock.update(sets="oops"),
        lambda lock: lock["sets"].append({"requirements": ["y"], "files": ["nope.whl"]}),
    ],
)
def test_hand_and_merge_edits_to_the_lock_are_located_errors(make_site, edit):
    root = make_site({"content/keep.md": ARTICLE})
    _lock(root, "x.whl", "a" * 64)
    lock = json.loads((root / packages.LOCK_NAME).read_text())
    edit(lock)
    (root / packages.LOCK_NAME).write_text(json.dumps(lock))
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    message = "\n".join(d.format() for d in caught.value.diagnostics)
    assert "packages-lock.json is not a lock file site-builder wrote" in message
    (root / packages.LOCK_NAME).write_text("<<<<<<< HEAD\n{}\n=======\n")
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert "is not readable JSON" in caught.value.diagnostics[0].message


def test_a_mirror_lock_cannot_name_a_path_outside_the_cache(tmp_path):
    runtime_lock = ROOT / ".cache" / f"pyodide-{packages.PYODIDE_VERSION}" / "pyodide-lock.json"
    if not runtime_lock.is_file():
        pytest.skip("the runtime is fetched by `make test` first")
    info = json.loads(runtime_lock.read_text())["info"]
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "pyodide-lock.json").write_text(
        json.dumps(
            {
                "info": info,
                "packages": {"evil": {"file_name": "../../evil.whl", "sha256": "0" * 64}},
            }
        )
    )
    with pytest.raises(packages.PackageError, match="not a plain file name"):
        packages.Distribution(runtime_lock, "mirror", tmp_path)


SLOW = "---\ntitle: S\n---\n\n```python build\nimport time\ntime.sleep(30)\n```\n"


def test_interrupting_lock_leaves_the_lock_file_in_place(tmp_path):
    """`site-builder lock` never moves the lock away: killed half way, the file is the
    one it started with (the next build reads it, nothing resolves again)."""
    from tests.conftest import write_site

    root = write_site(
        tmp_path / "site",
        {"content/slow.md": SLOW},
    )
    _lock(root, "x.whl", "a" * 64)
    before = (root / packages.LOCK_NAME).read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-m", "site_builder.cli", "--root", str(root), "lock"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    time.sleep(4)  # inside the build: the cell sleeps
    os.killpg(proc.pid, signal.SIGINT)
    out = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode != 0, out
    assert (root / packages.LOCK_NAME).read_bytes() == before
    assert not (root / (packages.LOCK_NAME + ".previous")).exists()


def test_a_full_build_without_drafts_keeps_their_package_sets_in_the_lock(make_site):
    from site_builder.errors import Collector

    root = make_site({"content/a.md": "---\ntitle: A\n---\n\nA.\n"})
    _lock(root, "x.whl", "a" * 64)
    config = load_config(root)
    found, _ = packages.resolve_articles(config, [], True, Collector(), drafts=[("x",)])
    assert found is not None and [s for s in found.sets] == [("x",)]
    found, _ = packages.resolve_articles(config, [], True, Collector(), drafts=[])
    assert found is not None and found.sets == {} and found.changed  # no draft: pruned


# --- links --------------------------------------------------------------------------------


def test_bundle_and_passthrough_links_out_are_not_published(make_site, tmp_path):
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    root = make_site(
        {
            "content/post/index.md": "---\ntitle: P\n---\n\nHello.\n",
            "content/post/key.txt": ("symlink", str(secret)),
            "images/a.png": b"png",
        }
    )
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[remote] url = secret")
    (root / "content" / "post" / "git.txt").symlink_to(root / ".git" / "config")
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    message = "\n".join(d.format() for d in caught.value.diagnostics)
    assert "content/post/key.txt" in message and "content/post/git.txt" in message
    assert not (root / "_site").exists()
    (root / "content" / "post" / "key.txt").unlink()
    (root / "content" / "post" / "git.txt").unlink()
    (root / "images" / "key.txt").symlink_to(secret)
    (root / "site.toml").write_text((root / "site.toml").read_text() + 'passthrough = ["images"]\n')
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert "images/key.txt is one" in caught.value.diagnostics[0].message


def jekyll_tree(root: Path, secret: Path) -> Path:
    src = root / "blog"
    (src / "_posts").mkdir(parents=True)
    (src / "_posts" / "2020-01-02-hello.md").write_text("---\ntitle: Hi\n---\nHello\n")
    (src / "_posts" / "2020-01-03-key.md").symlink_to(secret)
    os.mkfifo(src / "_posts" / "2020-01-04-pipe.md")
    (src / "images").mkdir()
    (src / "images" / "a.png").write_bytes(b"png")
    (src / "images" / "id_rsa").symlink_to(secret)
    (src / "images" / "loop").symlink_to(src / "images")
    (src / "private").symlink_to(secret.parent)
    (src / "_config.yml").write_text(
        "title: {a: 1}\ndescription: 2019-01-01\na: &a [x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d]\n"
        "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    )
    (src / "odd\x1b[2Jname.txt").write_text("x")
    return src


def test_the_importer_takes_only_the_jekyll_sites_own_files(tmp_path):
    secret = tmp_path / "keys" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text("PRIVATE KEY")
    src = jekyll_tree(tmp_path, secret)
    root = tmp_path / "project"
    root.mkdir()
    (root / "site.toml").write_text('title = "Mine"\n')
    start = time.monotonic()
    report = import_jekyll(src, root, "posts")
    assert time.monotonic() - start < 10  # no pipe blocks it, no alias bomb expands
    assert (root / "posts" / "hello.md").is_file()  # content_dir honoured
    assert not (root / "posts" / "key.md").exists()
    assert (root / "images" / "a.png").is_file() and not (root / "images" / "id_rsa").exists()
    assert not (root / "images" / "loop").exists() and not (root / "private").exists()
    text = "\n".join(report.lines())
    assert "\x1b" not in text and "odd\\x1b[2Jname.txt" in text
    assert "a link out of the Jekyll site" in text and "not a regular file" in text
    assert "not YAML this importer reads" in text
    toml = (root / "site.toml").read_text()
    assert toml.startswith('title = "Mine"\n') and "description" not in toml  # not a date


def test_the_importer_leaves_a_broken_site_toml_alone(tmp_path):
    src = tmp_path / "blog"
    (src / "_posts").mkdir(parents=True)
    (src / "_config.yml").write_text("title: Blog\n")
    root = tmp_path / "p"
    root.mkdir()
    (root / "site.toml").write_text("title = [broken\n")
    report = import_jekyll(src, root)
    assert any("not valid TOML" in line for line in report.lines())
    assert (root / "site.toml").read_text() == "title = [broken\n"


# --- the dev server and the base URL -----------------------------------------------------


@pytest.mark.parametrize(
    ("header", "host", "ok"),
    [
        ("127.0.0.1:8000", "127.0.0.1", True),
        ("localhost:8000", "127.0.0.1", True),
        ("[::1]:8000", "127.0.0.1", True),
        ("attacker.example:8000", "127.0.0.1", False),
        ("127.0.0.1.attacker.example", "127.0.0.1", False),
        (None, "127.0.0.1", False),
        ("192.168.1.20:8000", "0.0.0.0", True),
        ("evil.example:8000", "0.0.0.0", False),
    ],
)
def test_the_dev_server_answers_only_to_its_own_names(header, host, ok):
    assert host_allowed(header, host) is ok


def test_a_rebinding_page_cannot_read_the_preview(make_site):
    import http.client

    from tests.conftest import dev_server

    root = make_site({"content/a.md": "---\ntitle: A\ndraft: true\n---\n\nSecret draft.\n"})
    with dev_server(root, "a/index.html") as (base, _):
        port = int(base.rsplit(":", 1)[1].strip("/"))
        for host, status in (("attacker.example", 403), (f"127.0.0.1:{port}", 200)):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/a/", headers={"Host": host})
            response = conn.getresponse()
            body = response.read()
            assert response.status == status
            assert (b"Secret draft" in body) is (status == 200)
            conn.close()


@pytest.mark.parametrize(
    "url", ["https://x.io/my repo/", "https://x.io/%2e%2e/", "https://x.io/a/%2E%2E/"]
)
def test_base_urls_that_break_links_are_errors_in_site_toml(make_site, url):
    root = make_site({"content/a.md": "---\ntitle: A\n---\n\nA.\n"})
    (root / "site.toml").write_text(f'title = "T"\nbase_url = "{url}"\n')
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert caught.value.diagnostics[0].path == "site.toml"
    assert "base_url" in caught.value.diagnostics[0].message


# --- earlier open cases: each a located error or simply right -----------------------------


def test_earlier_hard_cases_build_or_fail_at_their_line(make_site, tmp_path):
    from site_builder.cli import main

    root = make_site(
        {
            "content/.notes.md": "not an article",
            "content/mac.md": "---\rtitle: Old Mac\r---\r\rLine endings from 1999.\r",
            "content/null.md": "---\ntitle: N\n---\n\n```python build\n"
            "with open('/dev/null', 'w') as f:\n    f.write('gone')\n```\n",
        }
    )
    build(load_config(root))
    assert not (root / "_site" / "notes").exists() and not (root / "_site" / ".notes").exists()
    assert "Line endings from 1999" in (root / "_site" / "mac" / "index.html").read_text()
    assert main(["--root", str(root), "new", 'C:\\path "quoted"']) == 0
    build(load_config(root), drafts=True)  # its front matter parses
    lists = "inputs:\n  s: {type: select, options: [[1, 2], [3]]}\n"
    (root / "content" / "lists.md").write_text(f"---\ntitle: L\n---\n\n```widget\n{lists}```\n")
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    [problem] = caught.value.diagnostics
    assert (problem.path, problem.line) == ("content/lists.md", 7)
    assert "strings or numbers" in problem.message
    (root / "content" / "lists.md").unlink()
    (root / "content" / "shadow").mkdir()
    (root / "content" / "shadow" / "index.md").write_text(
        "---\ntitle: S\n---\n\n```python build\nx = 1\n```\n"
    )
    (root / "content" / "shadow" / "json.py").write_text("x = 1\n")
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    found = {(d.path, d.line): d.message for d in caught.value.diagnostics}
    assert "named like the standard library's 'json'" in found[("content/shadow/json.py", 1)]


def test_charts_of_extreme_data_are_drawn_or_refused_with_a_reason():
    from site_builder.runtime.charts import ChartError, chart
    from site_builder.runtime.views import sparkline

    spark = str(sparkline([1e308, -1e308, 0]))
    assert "nan" not in spark and "inf" not in spark
    with pytest.raises(ChartError, match="span more than a number can hold"):
        chart([{"mark": "scatter", "data": [(1e308, 0), (-1e308, 1)]}])
    with pytest.raises(ChartError, match="60,000 points"):
        chart([{"mark": "scatter", "data": [(i, i) for i in range(60_000)]}])


def test_the_dev_server_watches_a_content_folder_removed_and_restored(make_site, tmp_path):
    import shutil

    from tests.conftest import dev_server, read_event

    root = make_site({"content/a.md": "---\ntitle: A\n---\n\nFirst.\n"})
    with dev_server(root, "a/index.html") as (_, events):
        shutil.move(root / "content", tmp_path / "away")
        assert read_event(events)[0] == "failed"  # no content folder: said, not fatal
        shutil.move(tmp_path / "away", root / "content")
        assert read_event(events)[0] == "reload"
        (root / "content" / "a.md").write_text("---\ntitle: A\n---\n\nSecond.\n")
        assert read_event(events)[0] == "reload"
        built = root / ".site-cache" / "preview" / "site" / "a" / "index.html"
        assert "Second." in built.read_text()


def test_yaml_with_a_key_twice_or_nested_too_deep_is_a_located_error(make_site):
    deep = "a: " + "[" * 200 + "]" * 200
    root = make_site(
        {
            "content/twice.md": "---\ntitle: A\ntags: [x]\ntitle: B\n---\n\nText.\n",
            "content/deep.md": f"---\ntitle: D\n{deep}\n---\n\nText.\n",
            "content/widget.md": "---\ntitle: W\n---\n\n```widget\ninputs:\n"
            "  x: {type: range, min: 0, max: 1, value: 0, min: 1}\n```\n",
        }
    )
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    found = {(d.path, d.line): d.message for d in caught.value.diagnostics}
    assert "the key 'title' twice" in found[("content/twice.md", 4)]
    assert "nested" in found[("content/deep.md", 3)] or "nested" in found[("content/deep.md", 2)]
    assert "the key 'min' twice" in found[("content/widget.md", 7)]


def test_inputs_named_like_builtins_or_exports_are_said(make_site):
    widget = (
        "```widget\ninputs:\n  max: {type: range, min: 0, max: 3, value: 1}\n"
        "  rate: {type: range, min: 0, max: 3, value: 1}\noutputs:\n  - value: rate\n```\n"
    )
    cell = "```python build export=rate\nrate = 2\n```\n\n"
    root = make_site({"content/names.md": f"---\ntitle: N\n---\n\n{cell}{widget}"})
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    found = {(d.severity, d.line): d.message for d in caught.value.diagnostics}
    assert "Python's own max()" in found[("warning", 11)]
    assert "a value a cell exports" in found[("error", 12)]


def test_a_title_of_invisible_characters_is_an_error(make_site):
    root = make_site({"content/z.md": '---\ntitle: "\\u200b\\u200d "\n---\n\nText.\n'})
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert "'title': expected a non-empty string" in caught.value.diagnostics[0].message


def test_a_bundle_file_named_in_bytes_that_are_not_utf8_is_skipped_with_a_warning(make_site):
    root = make_site({"content/b/index.md": "---\ntitle: B\n---\n\nHi.\n"})
    (Path(os.fsdecode(root)) / "content" / "b" / os.fsdecode(b"\xff.txt")).write_bytes(b"x")
    for _ in range(2):  # and again, from the saved state
        result = build(load_config(root))
        assert [w.message for w in result.warnings] == [
            "this file name is not valid UTF-8; skipped"
        ]
    assert (root / "_site" / "b" / "index.html").is_file()
