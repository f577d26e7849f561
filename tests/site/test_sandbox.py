"""The cells' box: every route out of the scratch folder is closed, every process ends."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from site_builder import sandbox
from tests.site.test_cells import run

# Each cell tries to change a folder outside the project, under the shared /tmp, one way,
# swallowing the error, then proves it ran by printing "done". {out} is that folder.
ROUTES = {
    "open for writing": "open('{out}/victim.txt', 'w').write('gone')",
    "os.open with O_TRUNC": "os.open('{out}/victim.txt', os.O_RDONLY | os.O_TRUNC)",
    "os.rename onto a file": "open('m', 'w').write('x'); os.rename('m', '{out}/victim.txt')",
    "os.replace onto a file": "open('m', 'w').write('x'); os.replace('m', '{out}/victim.txt')",
    "shutil.move": "open('m', 'w').write('x'); shutil.move('m', '{out}/new.txt')",
    "os.link": "open('m', 'w').write('x'); os.link('m', '{out}/linked.txt')",
    "os.symlink": "os.symlink('/etc/passwd', '{out}/link')",
    "os.remove": "os.remove('{out}/victim.txt')",
    "os.truncate": "os.truncate('{out}/victim.txt', 0)",
    "os.mkdir": "os.mkdir('{out}/made')",
    "sqlite3": "sqlite3.connect('{out}/db.sqlite3').execute('create table t (x)')",
}
OUTSIDE_PYTHON = {  # routes no audit hook can see: only the OS mechanism closes them
    "ctypes": "ctypes.CDLL(None).creat(b'{out}/creat.txt', 0o644)",
    "a subprocess": "subprocess.run('echo x > {out}/victim.txt', shell=True)",
    "os.system": "os.system('rm -f {out}/victim.txt')",
}
PRELUDE = "import ctypes, os, shutil, sqlite3, subprocess\n"


def attempt(code: str, out: Path) -> str:
    body = code.format(out=out)
    return (
        f"```python build\n{PRELUDE}try:\n    {body}\nexcept Exception as exc:\n"
        f"    print(type(exc).__name__)\nprint('done')\n```\n"
    )


def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside" / "inner"
    folder.mkdir(parents=True)
    (folder / "victim.txt").write_text("keep")
    return folder


def unchanged(folder: Path) -> bool:
    names = sorted(p.name for p in folder.parent.rglob("*"))
    return names == ["inner", "victim.txt"] and (folder / "victim.txt").read_text() == "keep"


needs_landlock = pytest.mark.skipif(
    not sandbox.landlock_abi(), reason="this kernel has no Landlock"
)


@needs_landlock
@pytest.mark.parametrize(
    "code", [*ROUTES.values(), *OUTSIDE_PYTHON.values()], ids=[*ROUTES, *OUTSIDE_PYTHON]
)
def test_no_route_out_of_the_box(make_site, tmp_path, code):
    out = outside(tmp_path)
    result, diags = run(make_site, attempt(code, out))
    assert diags == []
    assert result["cells"][0]["stdout"].endswith("done\n")
    assert result["box"] == sandbox.landlock_abi()
    assert unchanged(out)


@pytest.mark.parametrize("code", ROUTES.values(), ids=ROUTES.keys())
def test_without_landlock_the_audit_hook_closes_pythons_routes(
    make_site, tmp_path, monkeypatch, code
):
    monkeypatch.setenv("SITE_BUILDER_NO_LANDLOCK", "1")
    out = outside(tmp_path)
    result, diags = run(make_site, attempt(code, out))
    assert diags == []
    assert result["cells"][0]["stdout"] == "PermissionError\ndone\n"
    assert result["box"] == 0
    assert unchanged(out)


def test_inside_the_box_everything_works(make_site):
    code = (
        "```python build\nimport os, shutil, sqlite3, subprocess, tempfile\n"
        "open('a.txt', 'w').write('x')\nos.replace('a.txt', 'b.txt')\n"
        "shutil.move('b.txt', 'c.txt')\nos.link('c.txt', 'd.txt')\n"
        "sqlite3.connect('x.db').execute('create table t (x)')\n"
        "with tempfile.NamedTemporaryFile('w', delete=False) as f:\n    f.write('t')\n"
        "print(f.name.startswith(os.environ['TMPDIR']), os.environ['TMPDIR'] != '/tmp')\n"
        "subprocess.run('echo y > e.txt', shell=True, check=True)\n"
        "print(sorted(os.listdir('.')))\n```\n"
    )
    result, diags = run(make_site, code)
    assert diags == []
    assert result["cells"][0]["stdout"] == (
        "True True\n['c.txt', 'd.txt', 'e.txt', 'index.md', 'x.db']\n"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def _runners() -> list[int]:
    """Processes still running the cell runner (there should be none between builds)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"site_builder.runner" in cmdline and int(entry.name) != os.getpid():
                found.append(int(entry.name))
    return found


# The children sleep for a duration no other process on the machine uses (GNU sleep takes
# fractions), so looking for them by command line finds only these.
MARK = f"{300 + os.getpid() % 1000 / 1000:.3f}"
DETACHED = (
    "```python build\nimport subprocess\n"
    f"p = subprocess.Popen(['sleep', '{MARK}1'], start_new_session=True)\n"
    f"q = subprocess.Popen('sleep {MARK}2 &', shell=True)\nprint(p.pid)\n```\n"
)


def test_children_a_cell_leaves_behind_are_stopped(make_site):
    start = time.monotonic()
    result, diags = run(make_site, DETACHED, timeout=20)
    assert diags == []  # a child holding the output is not a "did not finish"
    assert time.monotonic() - start < 10
    pid = int(result["cells"][0]["stdout"])
    assert not _alive(pid)
    assert not _runners()


def test_children_are_stopped_at_the_time_limit(make_site):
    body = DETACHED.replace("print(p.pid)", "print(p.pid, flush=True)\nwhile True:\n    pass")
    start = time.monotonic()
    _, diags = run(make_site, body, timeout=2)
    assert "did not finish within 2 s" in diags[0]
    assert time.monotonic() - start < 8
    assert not _runners()
    out = subprocess.run(["pgrep", "-f", f"sleep {MARK}"], capture_output=True, text=True)
    assert out.stdout == ""


def test_a_fork_loop_is_contained(make_site):
    body = (
        "```python build\nimport os\nwhile True:\n    try:\n        os.fork()\n"
        "    except OSError:\n        pass\n```\n"
    )
    before = len([p for p in os.listdir("/proc") if p.isdigit()])
    _, diags = run(make_site, body, timeout=3)
    assert "did not finish within 3 s" in diags[0]
    assert not _runners()
    after = len([p for p in os.listdir("/proc") if p.isdigit()])
    assert after < before + 20


@pytest.mark.skipif(sandbox.landlock_abi() < 6, reason="Landlock scopes signals from ABI 6")
def test_a_cell_cannot_signal_the_build(make_site):
    code = (
        "```python build\nimport os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\n"
        "    os.kill(int(os.environ['XW_BUILD_PID']), signal.SIGTERM)\n"
        "except PermissionError:\n    print('refused')\n```\n"
    )
    os.environ["XW_BUILD_PID"] = str(os.getpid())
    try:
        result, diags = run(make_site, code)
    finally:
        del os.environ["XW_BUILD_PID"]
    assert diags == [] and result["cells"][0]["stdout"] == "refused\n"


def test_without_landlock_the_build_says_so(tmp_path):
    from tests.conftest import write_site
    from tests.site.test_safety import cli

    root = write_site(
        tmp_path / "site", {"content/a.md": "---\ntitle: A\n---\n```python build\nx = 1\n```\n"}
    )
    env = {**os.environ, "SITE_BUILDER_NO_LANDLOCK": "1"}
    proc = cli(root, "build", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "cells run without an OS sandbox here (no Landlock)" in proc.stderr
    if sandbox.landlock_abi():
        quiet = cli(root, "build", "--full")
        assert "sandbox" not in quiet.stderr


def test_the_cells_exit_status_survives_being_reaped_early():
    """The supervisor also collects stray descendants; when that sweep collects the cells'
    own process, its exit status is still the one reported (not 0)."""
    script = (
        "import os, time\n"
        "from site_builder.sandbox import Supervisor\n"
        "sup = Supervisor()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(3)\n"
        "time.sleep(0.2)\n"
        "sup._reap()\n"  # the sweep gets there first
        "print(sup._wait(pid, 5))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "3"
