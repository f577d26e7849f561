"""Python packages for the reader's browser: declared, locked, verified, shipped and used on
both sides (site_builder/packages.py). The package index (PyPI) is reachable wherever
`make test` runs; Pyodide's official distribution is not, so the distribution route is
tested with a local folder: a real wheel and the lock entry these tests write for it."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from site_builder import packages
from site_builder.build import build
from site_builder.config import load_config
from site_builder.errors import BuildError
from site_builder.pyodide import ensure_pyodide
from tests.conftest import ROOT, serve_folder, tree, write_site

ARTICLE = """\
---
title: Months later
packages: ["python-dateutil>=2.8"]
---

Adding months needs dateutil: Python's own datetime cannot.

```python exec
import datetime

from dateutil.relativedelta import relativedelta


def later(months):
    return (datetime.date(2024, 1, 31) + relativedelta(months=int(months))).isoformat()
```

```python build
import dateutil

print("locked copy:", "/packages/unpacked/" in dateutil.__file__, dateutil.__version__)
```

```widget
inputs:
  months: {type: range, min: 0, max: 24, step: 1, value: 1, label: months}
outputs:
  - value: later(months)
    label: date
```
"""


def package_site(root: Path, files: dict) -> Path:
    """A project with its own package cache (the runtime linked in, not downloaded)."""
    runtime = ensure_pyodide(ROOT / ".cache")
    (root / ".cache").mkdir(parents=True)
    (root / ".cache" / runtime.name).symlink_to(runtime)
    return write_site(root, files)


def built(root: Path) -> Path:
    build(load_config(root))
    return root / "_site"


def lock_of(root: Path) -> dict:
    return json.loads((root / packages.LOCK_NAME).read_text())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def image_of(site: Path, page: str) -> dict[str, bytes]:
    """The files of a page's package image (site_builder/packages.mjs), by path."""
    url = page.split('data-xw-image="')[1].split('"')[0]
    data = (site / url.lstrip("/")).read_bytes()
    assert hashlib.sha256(data).hexdigest() == page.split('data-xw-image-sha256="')[1][:64]
    length = int.from_bytes(data[:4], "little")
    files, offset = {}, 4 + length
    for path, size in json.loads(data[4 : 4 + length]):
        files[path] = data[offset : offset + size]
        offset += size
    return files


def wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as z:
        return {n: z.read(n) for n in z.namelist() if not n.endswith("/")}


def error_of(root: Path) -> str:
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    return "\n".join(d.format() for d in caught.value.diagnostics)


@pytest.fixture(scope="module")
def dateutil_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = package_site(tmp_path_factory.mktemp("pkg") / "site", {"content/months.md": ARTICLE})
    built(root)
    return root


def test_declared_packages_are_locked_shipped_and_run_at_build(dateutil_site: Path) -> None:
    root, site = dateutil_site, dateutil_site / "_site"
    lock = lock_of(root)
    assert [s["requirements"] for s in lock["sets"]] == [["python-dateutil>=2.8"]]
    files = lock["sets"][0]["files"]
    names = {lock["files"][f]["name"] for f in files}
    assert "python-dateutil" in names and len(names) > 1  # and what it depends on
    dateutil = next(f for f in files if lock["files"][f]["name"] == "python-dateutil")
    assert lock["files"][dateutil]["depends"] == sorted(names - {"python-dateutil"})
    assert lock["files"][dateutil]["imports"] == ["dateutil"]
    # The page's image holds every file of every locked wheel, byte for byte, and the
    # bytecode the runtime's CPython compiled for them; its snapshot will have them imported.
    page = (site / "months" / "index.html").read_text()
    image = image_of(site, page)
    for name in files:
        cached = next((root / ".cache" / "packages").glob(f"*/{name}"))
        assert sha256(cached) == lock["files"][name]["sha256"]
        for path, data in wheel_files(cached).items():
            assert image[path] == data, path
    assert "dateutil/__pycache__/relativedelta.cpython-314.pyc" in image
    assert page.split('data-xw-snapshot="')[1].split('"')[0].split() == [
        *("ast", "html", "json", "math", "sys", "traceback", "dateutil", "dateutil.relativedelta")
    ]
    assert "data-xw-lock" not in page  # nothing compiled: Pyodide's loader is not needed
    spec_url = page.split('data-xw-spec="')[1].split('"')[0]
    spec = json.loads((site / spec_url.lstrip("/")).read_text())
    assert spec["packages"] == []
    # The build ran the locked copy, not whatever the build's Python has installed.
    version = lock["files"][dateutil]["version"]
    assert f"locked copy: True {version}" in page
    assert "2024-02-29" in page  # the value computed with it at build time


def test_the_lock_is_reproducible_and_works_offline(
    dateutil_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh clone: the committed lock, an empty package cache, a clean build.
    clone = package_site(tmp_path / "clone", {"content/months.md": ARTICLE})
    shutil.copy(dateutil_site / packages.LOCK_NAME, clone / packages.LOCK_NAME)
    site = built(clone)
    assert (clone / packages.LOCK_NAME).read_bytes() == (
        dateutil_site / packages.LOCK_NAME
    ).read_bytes()
    assert tree(site / "_pyodide" / "packages") == tree(
        dateutil_site / "_site" / "_pyodide" / "packages"
    )

    # Offline: with the lock and the cache, nothing asks the network.
    def offline(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the network was asked: {args}")

    monkeypatch.setattr(packages, "_pip_run", offline)
    monkeypatch.setattr(packages.urllib.request, "urlopen", offline)
    shutil.rmtree(clone / "_site")
    shutil.rmtree(clone / ".site-cache")
    assert tree(built(clone)) == tree(site)


def test_a_file_that_differs_from_the_lock_is_refused(dateutil_site: Path, tmp_path: Path):
    root = package_site(tmp_path / "site", {"content/months.md": ARTICLE})
    lock = lock_of(dateutil_site)
    dep = next(f for f, e in lock["files"].items() if e["name"] != "python-dateutil")
    lock["files"][dep]["sha256"] = "0" * 64  # the lock says one thing, the index another
    (root / packages.LOCK_NAME).write_text(json.dumps(lock))
    message = error_of(root)
    assert "content/months.md:3" in message
    assert f"{dep}: what the package index serves does not match the SHA-256" in message
    assert not (root / "_site").exists()


def test_a_damaged_cached_file_is_fetched_again(dateutil_site: Path, tmp_path: Path) -> None:
    root = package_site(tmp_path / "site", {"content/months.md": ARTICLE})
    shutil.copy(dateutil_site / packages.LOCK_NAME, root / packages.LOCK_NAME)
    site = built(root)
    cached = next((root / ".cache" / "packages").glob("*/python_dateutil-*.whl"))
    cached.write_bytes(b"not a wheel")
    shutil.rmtree(root / ".site-cache")
    built(root)
    assert sha256(cached) == lock_of(root)["files"][cached.name]["sha256"]
    assert tree(site) == tree(root / "_site")


def test_damaged_images_and_unpacked_wheels_are_made_again_even_by_full(
    dateutil_site: Path, tmp_path: Path
) -> None:
    """The package cache is checked when read, not only when written: a damaged image is
    never shipped, a changed or added file of an unpacked wheel never imported."""
    root = package_site(tmp_path / "site", {"content/months.md": ARTICLE})
    shutil.copy(dateutil_site / packages.LOCK_NAME, root / packages.LOCK_NAME)
    site = built(root)
    shipped = tree(site)
    image = next((root / ".cache" / "packages" / "images").glob("image-*.bin"))
    image.write_bytes(image.read_bytes()[:-10] + b"0123456789")
    unpacked = next((root / ".cache" / "packages" / "unpacked").glob("*/dateutil/__init__.py"))
    unpacked.write_text("raise SystemExit('planted')\n")
    (unpacked.parent / "sitecustomize.py").write_text("import os\n")
    build(load_config(root), incremental=False)
    assert tree(root / "_site") == shipped
    assert "planted" not in unpacked.read_text()
    assert not (unpacked.parent / "sitecustomize.py").exists()


def test_requirements_are_checked_where_they_are_written(make_site) -> None:
    root = make_site(
        {
            "site.toml": '[runtime]\npackages = ["attrs >= >= 2"]\n',
            "content/a.md": "---\ntitle: A\n---\n\n```python exec\nx = 1\n```\n",
        }
    )
    assert "site.toml:2" in error_of(root) and "attrs >= >= 2" in error_of(root)
    (root / "site.toml").write_text('[runtime]\npackages = "attrs"\n')
    assert "site.toml:2: error: 'runtime.packages': expected a list" in error_of(root)
    (root / "site.toml").write_text("")
    (root / "content/a.md").write_text("---\ntitle: A\npackages: [1, 2]\n---\n\nx\n")
    assert "content/a.md:3: error: front matter 'packages'" in error_of(root)


def test_a_package_that_needs_compiled_code_is_refused_with_its_route(make_site) -> None:
    # psutil publishes only compiled wheels, and Pyodide's distribution does not build it.
    root = make_site(
        {
            "content/a.md": "---\ntitle: A\ndate: 2024-01-01\npackages: [psutil]\n---\n\n"
            "```python exec\nx = 1\n```\n"
        }
    )
    message = error_of(root)
    assert "content/a.md:4: error: psutil has no pure-Python wheel" in message
    assert "pyodide lockfile add-wheels" in message and "packages_source" in message


SDIST_ARTICLE = """\
---
title: Options
packages: [docopt]
---

```python exec
from docopt import docopt


def parse(n):
    return docopt("Usage: prog [--n=<n>]", argv=["--n=" + n])["--n"]
```

Parsed at build time: {py}`parse("3")`.

```widget
inputs:
  n: {type: text, value: "3", label: n}
outputs:
  - value: parse(n)
    label: parsed
```
"""


def test_undeclared_packages_are_still_refused_in_browser_code(make_site) -> None:
    root = make_site(
        {"content/a.md": "---\ntitle: A\n---\n\n```python exec\nimport dateutil\n```\n"}
    )
    assert "No module named 'dateutil' in the browser runtime" in error_of(root)


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


def test_a_compiled_package_it_cannot_fetch_is_a_clear_error(make_site) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    source = f"http://127.0.0.1:{server.server_address[1]}/pyodide/"
    try:
        root = make_site(
            {
                "site.toml": f'[runtime]\npackages_source = "{source}"\npackages = ["numpy"]\n',
                "content/a.md": "---\ntitle: A\n---\n\n```python exec\nx = 1\n```\n",
            }
        )
        message = error_of(root)
    finally:
        server.shutdown()
    assert "site.toml:3: error: could not download numpy-" in message
    assert "packages_source" in message


# -- the distribution route, with a real wheel and the lock entry this test adds -----------

DIST_ARTICLE = """\
---
title: Big numbers
packages: [humanize]
---

```python exec
import humanize


def words(n):
    return humanize.intword(int(n))
```

```widget
inputs:
  n: {type: range, min: 0, max: 5000000, step: 100000, value: 1200000, label: n}
outputs:
  - value: words(n)
    label: in words
```
"""


@pytest.fixture(scope="module")
def distribution(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local distribution folder: the runtime's pyodide-lock.json plus a real wheel from
    the package index, added the way ``pyodide lockfile add-wheels`` adds one."""
    folder = tmp_path_factory.mktemp("dist") / "wheels"
    proc = packages._pip_run(
        ["download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(folder), "humanize"]
    )
    assert proc.returncode == 0, proc.stderr
    wheel = next(folder.glob("humanize-*-py3-none-any.whl"))
    runtime = ensure_pyodide(ROOT / ".cache") / "pyodide-lock.json"
    lock = json.loads(runtime.read_text())
    lock["packages"]["humanize"] = {
        "name": "humanize",
        "version": wheel.name.split("-")[1],
        "file_name": wheel.name,
        "sha256": sha256(wheel),
        "install_dir": "site",
        "package_type": "package",
        "imports": ["humanize"],
        "depends": [],
        "unvendored_tests": False,
    }
    (folder / "pyodide-lock.json").write_text(json.dumps(lock))
    return folder


def dist_site(root: Path, folder: Path) -> Path:
    return package_site(
        root,
        {
            "site.toml": f'[runtime]\npackages_source = "{folder}"\n',
            "content/big.md": DIST_ARTICLE,
        },
    )


def test_the_distribution_route_verifies_and_ships_its_files(
    distribution: Path, tmp_path: Path
) -> None:
    root = dist_site(tmp_path / "site", distribution)
    site = built(root)
    lock = lock_of(root)
    ((name,),) = [s["files"] for s in lock["sets"] if s["requirements"] == ["humanize"]]
    entry = lock["files"][name]
    assert entry["source"] == "pyodide"
    assert entry["sha256"] == sha256(distribution / name)
    page = (site / "big" / "index.html").read_text()
    assert "1.2 million" in page
    image = image_of(site, page)
    assert all(image[p] == d for p, d in wheel_files(distribution / name).items())

    # The same file name with other bytes, in a fresh cache: refused, nothing written.
    other = package_site(tmp_path / "other", {})
    shutil.copytree(distribution, other / "wheels")
    (other / "wheels" / name).write_bytes((distribution / name).read_bytes() + b"\0")
    (other / "site.toml").write_text('[runtime]\npackages_source = "wheels"\n')
    shutil.copy(root / "content" / "big.md", other / "content" / "big.md")
    message = error_of(other)
    assert f"{name}: SHA-256" in message and "refused" in message
    assert not (other / "_site").exists()


def test_a_local_lock_for_another_runtime_is_refused(distribution: Path, tmp_path: Path):
    folder = tmp_path / "wheels"
    shutil.copytree(distribution, folder)
    lock = json.loads((folder / "pyodide-lock.json").read_text())
    lock["info"]["abi_version"] = "2025_0"
    (folder / "pyodide-lock.json").write_text(json.dumps(lock))
    root = dist_site(tmp_path / "site", folder)
    message = error_of(root)
    assert "content/big.md:3" in message and "abi_version '2025_0'" in message


def test_a_distribution_url_serves_what_its_lock_adds(distribution: Path, tmp_path: Path):
    server, url = serve_folder(distribution)
    try:
        root = package_site(
            tmp_path / "site",
            {
                "site.toml": f'[runtime]\npackages_source = "{url}"\n',
                "content/big.md": DIST_ARTICLE,
            },
        )
        site = built(root)
    finally:
        server.shutdown()
    (name,) = lock_of(root)["sets"][0]["files"]
    assert lock_of(root)["files"][name]["source"] == "pyodide"
    assert lock_of(root)["files"][name]["sha256"] == sha256(distribution / name)
    assert "1.2 million" in (site / "big" / "index.html").read_text()


def test_in_cdn_mode_compiled_packages_load_from_the_distribution(make_site) -> None:
    """numpy (compiled) in CDN mode: the page's lock names the official distribution's
    file with the SHA-256 the runtime's own lock gives; the CSP allows that origin and the
    build needs neither the file nor the network."""
    root = make_site(
        {
            "site.toml": '[runtime]\nsource = "cdn"\npackages = ["numpy"]\n',
            "content/a.md": "---\ntitle: A\n---\n\n```python exec\nimport numpy\n```\n",
        }
    )
    site = built(root)
    runtime = json.loads((ensure_pyodide(ROOT / ".cache") / "pyodide-lock.json").read_text())
    expected = runtime["packages"]["numpy"]
    page = (site / "a" / "index.html").read_text()
    page_lock = json.loads((site / page.split('data-xw-lock="')[1].split('"')[0][1:]).read_text())
    numpy = page_lock["packages"]["numpy"]
    assert numpy["file_name"] == packages.DISTRIBUTION_URL + expected["file_name"]
    assert numpy["sha256"] == expected["sha256"]
    spec = json.loads((site / page.split('data-xw-spec="')[1].split('"')[0][1:]).read_text())
    assert spec["packages"] == ["numpy"]
    csp = page.split('http-equiv="Content-Security-Policy" content="')[1].split('"')[0]
    connect = next(d for d in csp.split(";") if d.strip().startswith("connect-src")).split()
    assert "https://cdn.jsdelivr.net" in connect
    assert not list(site.rglob("*.whl"))


# -- in the reader's browser ----------------------------------------------------------------


def test_site_builder_lock_resolves_again_and_keeps_the_old_lock_on_failure(
    dateutil_site: Path, tmp_path: Path
) -> None:
    from site_builder.cli import main

    root = package_site(tmp_path / "site", {"content/months.md": ARTICLE})
    stale = lock_of(dateutil_site)
    stale["sets"][0]["requirements"] = ["python-dateutil>=2.0"]  # from an older declaration
    (root / packages.LOCK_NAME).write_text(json.dumps(stale))
    assert main(["--root", str(root), "lock"]) == 0
    assert [s["requirements"] for s in lock_of(root)["sets"]] == [["python-dateutil>=2.8"]]
    before = (root / packages.LOCK_NAME).read_bytes()
    (root / "content" / "months.md").write_text(ARTICLE.replace("import datetime", "import"))
    assert main(["--root", str(root), "lock"]) == 1
    assert (root / packages.LOCK_NAME).read_bytes() == before
    assert not (root / (packages.LOCK_NAME + ".previous")).exists()


def test_markers_are_read_for_the_browser_not_the_build_machine() -> None:
    found = packages.for_the_browser(
        ['a; sys_platform == "emscripten"', 'b; sys_platform == "linux"', "c>=1", "d[x]"],
        "3.14.0",
    )
    assert found == ["a", "c>=1", "d[x]"]


SYMPY = """---
title: Algebra
packages: ["sympy"]
---

```python exec
import sympy

x = sympy.Symbol("x")
```

```widget
inputs:
  n: {type: text, value: "2", label: n}
outputs:
  - value: str(sympy.expand((x + int(n)) ** 2))
```
"""


def test_a_failure_of_node_is_said_in_one_line_not_minified_source() -> None:
    minified = "var a=function(){" + "x" * 5000 + "}"
    stderr = (
        f"file:///r/pyodide.asm.mjs:1\n{minified}\n    ^\n\nPythonError: Traceback (most "
        'recent call last):\n  File "<exec>", line 5, in <module>\nSyntaxError: invalid '
        "syntax (mod.py, line 3)\n    at new_error (file:///r/pyodide.asm.mjs:1:99)\n"
    )
    assert packages.node_error(stderr) == "SyntaxError: invalid syntax (mod.py, line 3)"
    assert packages.node_error("") == "Node stopped without a message"
