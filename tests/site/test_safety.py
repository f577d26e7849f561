"""Nothing lost: a guarded output folder, one build at a time, a site that is repaired,
caches that can't lie, bounded input, and clean output."""

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from site_builder import npm, pyodide
from site_builder.build import build
from site_builder.cache import read_entry
from site_builder.config import load_config
from site_builder.errors import BuildError
from site_builder.lock import build_lock
from tests.conftest import ROOT, dev_server, read_event, tree, write_files

SITE = {
    "content/a.md": "---\ntitle: A\ndate: 2024-01-01\ntags: [x, y]\n---\n\n## One\n\n"
    "```python\nprint('highlighted')\n```\n\n[b](/b/)\n",
    "content/b/index.md": "---\ntitle: B\ndate: 2024-02-01\n---\n\n"
    "```python build\nimport csv\nrows = list(csv.reader(open('data.csv')))\n```\n\n"
    "Rows: {py}`len(rows)`.\n",
    "content/b/data.csv": "a,b\n1,2\n",
}


def cli(root: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "site_builder.cli", "--root", str(root), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        **kwargs,
    )


def with_output(root: Path, setting: str, key: str = "output_dir", more: str = "") -> None:
    (root / "site.toml").write_text(
        f'title = "Test site"\nbase_url = "http://127.0.0.1:8000/"\n{key} = "{setting}"\n{more}'
    )


# ---------------------------------------------------------------- the output folder


@pytest.mark.parametrize(
    ("setting", "why"),
    [
        (".", "is the project folder or contains it"),
        ("", "is the project folder or contains it"),
        ("..", "is the project folder or contains it"),
        ("content", "overlaps content_dir (content)"),
        ("content/a", "overlaps content_dir (content)"),
        ("static", "overlaps static_dir (static)"),
        ("templates", "overlaps templates_dir (templates)"),
        (".git", "overlaps .git"),
        (".site-cache", "overlaps cache_dir"),
        (".cache", "overlaps .cache (the runtime download)"),
        ("OUTSIDE", "is a folder this tool did not make"),
    ],
)
def test_an_output_folder_that_is_not_ours_is_never_replaced(make_site, tmp_path, setting, why):
    root = make_site(SITE)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".site-cache").mkdir()
    (root / ".site-cache" / "keep").write_text("x")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "precious.txt").write_text("mine")
    with_output(root, str(outside) if setting == "OUTSIDE" else setting)
    before = tree(tmp_path)
    proc = cli(root, "build", "--full")
    assert proc.returncode == 1
    first = proc.stderr.splitlines()[0]
    assert first.startswith("site.toml:3: error: output_dir: "), first
    assert why in first and "a build would replace it" in first
    assert tree(tmp_path) == before  # nothing written, nothing deleted


def test_a_cache_folder_inside_the_sources_is_refused(make_site, tmp_path):
    root = make_site(SITE)
    with_output(root, "content", key="cache_dir")
    before = tree(root / "content")
    with pytest.raises(BuildError) as info:
        build(load_config(root))
    assert (
        info.value.diagnostics[0]
        .format()
        .startswith(
            "site.toml:3: error: cache_dir: 'content' overlaps content_dir (content); a build "
            "would write into it"
        )
    )
    assert tree(root / "content") == before


def test_an_output_folder_elsewhere_is_used_when_empty_and_then_is_ours(make_site, tmp_path):
    root = make_site(SITE)
    target = tmp_path / "published"
    target.mkdir()
    with_output(root, str(target))
    build(load_config(root))
    assert (target / ".site-builder").is_file() and (target / "a" / "index.html").is_file()
    (root / "content" / "c.md").write_text("---\ntitle: C\n---\nNew.\n")
    build(load_config(root), incremental=False)  # a full build may replace it now
    assert (target / "c" / "index.html").is_file()


def test_a_symlinked_output_folder_is_honoured(make_site, tmp_path):
    root = make_site(SITE)
    target = tmp_path / "real-site"
    (root / "_site").symlink_to(target)
    build(load_config(root))
    assert (root / "_site").is_symlink() and (target / "a" / "index.html").is_file()
    build(load_config(root), incremental=False)
    assert (root / "_site").is_symlink() and os.readlink(root / "_site") == str(target)
    assert (target / "a" / "index.html").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".real-site")] == []


def test_a_symlink_into_the_sources_is_refused(make_site):
    root = make_site(SITE)
    (root / "_site").symlink_to(root / "content")
    before = tree(root / "content")
    with pytest.raises(BuildError) as info:
        build(load_config(root))
    assert "overlaps content_dir" in info.value.diagnostics[0].message
    assert tree(root / "content") == before


# ---------------------------------------------------------------- one build at a time


def test_a_second_build_waits_or_fails_with_no_wait(make_site):
    root = make_site(SITE)
    build(load_config(root))
    with build_lock(root / ".site-cache"):
        busy = cli(root, "build", "--no-wait")
        assert busy.returncode == 1
        assert f"another build of this project is running (pid {os.getpid()})" in busy.stderr
        waiting = subprocess.Popen(
            [sys.executable, "-m", "site_builder.cli", "--root", str(root), "build"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        assert waiting.poll() is None  # still waiting for the lock
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert f"waiting for another build of this project (pid {os.getpid()}) to finish" in err
    assert "nothing changed" in out


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    """The site a clean build makes of SITE (plus a cell that takes a moment)."""
    root = tmp_path_factory.mktemp("reference") / "site"
    from tests.conftest import write_site

    write_site(root, SLOW_SITE)
    build(load_config(root))
    return tree(root / "_site")


SLOW_SITE = {
    **SITE,
    "content/slow/index.md": "---\ntitle: Slow\ntags: [z]\n---\n\n"
    "```python build\nimport time\ntime.sleep(0.3)\nx = 1\n```\n\nDone: {py}`x`.\n",
}


def test_two_full_builds_at_once_leave_a_complete_site(make_site, reference):
    root = make_site(SLOW_SITE)
    for round_ in range(4):
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "site_builder.cli", "--root", str(root), "build", "--full"],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        assert tree(root / "_site") == reference, f"round {round_}"
        leftovers = [p.name for p in root.iterdir() if p.name.startswith("._site")]
        assert leftovers == []
        # and the next incremental build trusts a state that describes the site
        assert "nothing changed" in cli(root, "build").stdout


def test_a_build_while_the_dev_server_rebuilds_leaves_a_complete_site(make_site, reference):
    root = make_site(SLOW_SITE)
    assert cli(root, "build").returncode == 0
    with dev_server(root, "a/index.html") as (_, events):
        for round_ in range(3):
            os.utime(root / "content" / "a.md")  # a save: the server rebuilds its preview
            proc = cli(root, "build", "--full", timeout=120)  # meanwhile, a real build
            assert proc.returncode == 0, proc.stderr
            assert read_event(events)[0] == "reload"
            assert tree(root / "_site") == reference, f"round {round_}"
    assert "nothing changed" in cli(root, "build").stdout


# ---------------------------------------------------------------- the site is not trusted


@pytest.mark.parametrize(
    "damage",
    [
        "delete a page",
        "edit a page",
        "delete the feed",
        "edit a tag page",
        "delete a bundle file",
        "truncate a stylesheet",
        "delete the marker",
    ],
)
def test_files_changed_by_hand_in_the_site_are_restored(make_site, reference, damage):
    root = make_site(SLOW_SITE)
    build(load_config(root))
    site = root / "_site"
    css = next((site / "static" / "css").glob("site.*.css"))
    {
        "delete a page": lambda: (site / "a" / "index.html").unlink(),
        "edit a page": lambda: (site / "b" / "index.html").write_text("defaced"),
        "delete the feed": lambda: (site / "feed.xml").unlink(),
        "edit a tag page": lambda: (site / "tags" / "x" / "index.html").write_text("x"),
        "delete a bundle file": lambda: (site / "b" / "data.csv").unlink(),
        "truncate a stylesheet": lambda: css.write_bytes(css.read_bytes()[:100]),
        "delete the marker": lambda: (site / ".site-builder").unlink(),
    }[damage]()
    if damage == "delete the marker":  # no longer recognisably ours: refused, kept as is
        with pytest.raises(BuildError, match="did not make"):
            build(load_config(root))
        (site / ".site-builder").write_bytes(reference[".site-builder"])
    build(load_config(root))
    assert tree(site) == reference


# ---------------------------------------------------------------- caches that can't lie


def own_runtime(root: Path) -> Path:
    """Give the site a runtime download of its own (tests share one by a symlink)."""
    (root / ".cache").unlink()
    folder = pyodide.pyodide_dir(root / ".cache")
    shutil.copytree(pyodide.pyodide_dir(ROOT / ".cache"), folder)
    return folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_site_never_shares_bytes_with_the_runtime_download(make_site):
    root = make_site({**SITE, "content/w.md": "---\ntitle: W\n---\n```python exec\nx = 1\n```\n"})
    folder = own_runtime(root)
    wasm = folder / "pyodide.asm.wasm"
    good = sha256(wasm)
    build(load_config(root))
    shipped = next((root / "_site" / "_pyodide").rglob("pyodide.asm.wasm"))
    assert shipped.stat().st_ino != wasm.stat().st_ino and shipped.stat().st_nlink == 1
    shipped.write_bytes(shipped.read_bytes()[:1000])  # a deploy step truncates the site's copy
    assert sha256(wasm) == good
    build(load_config(root))  # noticed and restored
    assert sha256(shipped) == good


def test_a_damaged_runtime_download_is_fetched_again(make_site):
    root = make_site({**SITE, "content/w.md": "---\ntitle: W\n---\n```python exec\nx = 1\n```\n"})
    folder = own_runtime(root)
    good = {name: sha256(folder / name) for name in pyodide.RUNTIME_FILES}
    wasm = folder / "pyodide.asm.wasm"
    wasm.write_bytes(wasm.read_bytes()[:1000])
    build(load_config(root), incremental=False)
    assert {name: sha256(folder / name) for name in pyodide.RUNTIME_FILES} == good
    shipped = next((root / "_site" / "_pyodide").rglob("pyodide.asm.wasm"))
    assert sha256(shipped) == good["pyodide.asm.wasm"]


def test_a_download_that_does_not_match_the_registry_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(pyodide, "PYODIDE_INTEGRITY", "sha512-" + "A" * 86 + "==")
    with pytest.raises(npm.FetchFailed, match="does not match the registry's integrity"):
        pyodide.ensure_pyodide(tmp_path)
    assert not pyodide.pyodide_dir(tmp_path).exists()


def garble(folder: Path) -> int:
    count = 0
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2] + b"\x00garbage")
            count += 1
    return count


@pytest.mark.parametrize("cache", ["templates", "highlight", "cells"])
def test_damaged_cache_entries_are_never_used(make_site, cache):
    root = make_site(SITE)
    build(load_config(root))
    good = tree(root / "_site")
    assert garble(root / ".site-cache" / cache) > 0
    build(load_config(root), incremental=False)
    assert tree(root / "_site") == good
    for path in (root / ".site-cache" / cache).rglob("*"):
        if path.is_file():  # every entry was written again, whole
            assert read_entry(path, path.stem) is not None


def test_caches_keep_only_what_the_last_full_build_used(make_site):
    root = make_site(SITE)
    build(load_config(root))
    cache = root / ".site-cache"
    counts = {f: len(list((cache / f).rglob("*.*"))) for f in ("cells", "highlight")}
    for n in range(3):  # three edits of the code and the cell: three new entries each
        write_files(
            root,
            {
                "content/a.md": SITE["content/a.md"].replace("highlighted", f"edit {n}"),
                "content/b/index.md": SITE["content/b/index.md"]
                .replace("Rows", f"Rows {n}")
                .replace("open('data.csv')))", f"open('data.csv'))) + [[{n}]]"),
            },
        )
        build(load_config(root))
    assert len(list((cache / "highlight").rglob("*.*"))) > counts["highlight"]
    build(load_config(root), incremental=False)
    assert {f: len(list((cache / f).rglob("*.*"))) for f in ("cells", "highlight")} == counts


# ---------------------------------------------------------------- bounded, located input


def test_special_files_in_content_are_skipped_with_a_warning(make_site):
    root = make_site(SITE)
    content = root / "content"
    os.mkfifo(content / "pipe.md")
    (content / ".#a.md").symlink_to("someone@host.1234:1700000000")  # an editor's lock
    (content / "a.md~").write_text("a backup")
    (content / "loop.md").symlink_to(content / "loop.md")
    (content / "b" / "index.md~").write_text("---\ntitle: old\n---\n")
    os.mkfifo(content / "b" / "fifo.csv")
    bad_name = os.fsencode(str(content)) + b"/caf\xe9.md"
    with open(bad_name, "w") as f:
        f.write("---\ntitle: latin-1 name\n---\n")
    proc = cli(root, "build", timeout=60)
    assert proc.returncode == 0, proc.stderr
    warnings = sorted(proc.stderr.splitlines())
    assert warnings == [
        "content/.#a.md: warning: an editor's lock, swap or backup file; skipped",
        "content/a.md~: warning: an editor's lock, swap or backup file; skipped",
        "content/b/fifo.csv: warning: not a regular file (a FIFO, socket or device); skipped",
        "content/b/index.md~: warning: an editor's lock, swap or backup file; skipped",
        "content/caf\\xe9.md: warning: this file name is not valid UTF-8; skipped",
        "content/loop.md: warning: cannot be read (Too many levels of symbolic links: a broken "
        "symlink or a symlink loop?); skipped",
        "content/pipe.md: warning: not a regular file (a FIFO, socket or device); skipped",
    ]
    assert sorted(p.name for p in (root / "_site" / "b").iterdir()) == ["data.csv", "index.html"]


def test_a_plot_whose_ticks_would_never_end_builds(make_site):
    root = make_site(
        {
            "content/p.md": "---\ntitle: P\n---\n```python exec\ndef f(x):\n    return 1e15 + x\n"
            "```\n\n```widget\noutputs:\n  - plot: f\n    domain: [-1, 1]\n```\n"
        }
    )
    start = time.monotonic()
    build(load_config(root))
    assert time.monotonic() - start < 20
    html = (root / "_site" / "p" / "index.html").read_text()
    assert html.count('class="tick"') <= 2 * 50


def test_text_in_tex_is_escaped(make_site):
    root = make_site(
        {
            "content/m.md": "---\ntitle: M\n---\n\n$\\text{a<b}$ and "
            "$\\text{<img src=x onerror=alert(1)>}$ and $\\mathrm{A\\&B}$\n"
        }
    )
    result = build(load_config(root))
    html = (root / "_site" / "m" / "index.html").read_text()
    assert "<mtext>a&lt;b</mtext>" in html
    assert (
        "<img" not in html and "<mtext>&lt;img\u00a0src=x\u00a0onerror=alert(1)&gt;</mtext>" in html
    )
    assert "<mi>&amp;</mi>" in html
    assert result.warnings == []  # TeX is not markup: no policy warning for its text


@contextlib.contextmanager
def small_disk(folder: Path, size: str):
    """A real tmpfs of *size* at *folder* (needs root: CI and this project's machines)."""
    folder.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_or_read_only_site_is_an_error_and_the_site_is_kept(make_site, tmp_path):
    root = make_site(SITE)
    # Room for the site (its static files hold a 403 KB math font), not for a second copy
    # of it with a large file added.
    with small_disk(tmp_path / "disk", "1200k") as disk:
        with_output(root, str(disk / "site"), more='[runtime]\nsource = "none"\n')
        build(load_config(root))
        before = tree(disk / "site")
        write_files(root, {"content/b/big.bin": os.urandom(900_000)})
        proc = cli(root, "build")
        assert proc.returncode == 1
        first = proc.stderr.splitlines()[0]
        assert first.startswith(f"{disk}/site/") and "No space left on device" in first, first
        assert tree(disk / "site") == before
        assert sorted(p.name for p in disk.iterdir()) == ["site"]  # no staging left behind
        (root / "content" / "b" / "big.bin").unlink()
        (root / "content" / "a.md").write_text(SITE["content/a.md"] + "\nMore.\n")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        proc = cli(root, "build")
        assert proc.returncode == 1
        assert "Read-only file system" in proc.stderr.splitlines()[0]
        assert tree(disk / "site") == before


def test_serve_with_a_broken_config_waits_for_a_fix(make_site):
    root = make_site(SITE)
    good = (root / "site.toml").read_text()
    (root / "site.toml").write_text('title = "x\n')
    proc = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "-m",
            "site_builder.cli",
            "--root",
            str(root),
            "serve",
            "--port",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout.readline().startswith("site.toml:1:11: error: invalid TOML")
        assert proc.stdout.readline() == "waiting for site.toml to be fixed…\n"
        time.sleep(0.5)
        (root / "site.toml").write_text(good)
        # What the build says of its articles comes first (whose Python ran, answers).
        lines = [proc.stdout.readline()]
        while not lines[-1].startswith("rebuilt in ") and len(lines) < 10:
            lines.append(proc.stdout.readline())
        assert lines[-1].startswith("rebuilt in "), lines
        line = proc.stdout.readline()
        assert line.startswith("serving a preview with drafts on http://127.0.0.1:"), line
        assert (root / ".site-cache" / "preview" / "site" / "a" / "index.html").is_file()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_an_unwritable_cache_folder_is_a_located_error(make_site, tmp_path):
    root = make_site(SITE)
    (tmp_path / "a-file").write_text("not a folder")
    with_output(root, str(tmp_path / "a-file" / "cache"), key="cache_dir")
    proc = cli(root, "build")
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == f"{tmp_path}/a-file/cache: error: Not a directory"
    assert not (root / "_site").exists()
