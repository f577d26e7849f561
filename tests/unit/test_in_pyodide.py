"""in_pyodide/: the Python that stdlib.mjs and packages.mjs run inside Pyodide, run here
by this CPython on a small standard library of our own making (each in a child process:
they change the interpreter's import system). The package image is built in Pyodide by
tests/site/test_packages.py."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = """
import json, sys, zipfile
sys.path.insert(0, {stdlib!r})
sys.path.insert(0, {in_pyodide!r})
import compile_stdlib
finder = open({finder!r}).read()
core, rest = compile_stdlib.main(["app"], finder)
open({core!r}, "wb").write(core)
open({rest!r}, "wb").write(rest)
# A later start: the core on the path, the finder installed, the rest fetched (here: read)
# the first time one of its modules is imported.
for name in [n for n in sys.modules if n in ("app", "helper") or n.startswith("pkg")]:
    del sys.modules[name]
sys.path[:2] = [{core!r}]
import _xw_stdlib
_xw_stdlib.RestFinder.path = {rest!r}
_xw_stdlib.install()
import pkg.extra, app
print(json.dumps({{"extra": pkg.extra.VALUE, "app": app.VALUE,
                  "rest_names": sorted(_xw_stdlib.REST)}}))
"""


def test_the_core_holds_what_starting_imports_and_the_finder_brings_the_rest(tmp_path: Path):
    stdlib = tmp_path / "python314.zip"
    with zipfile.ZipFile(stdlib, "w") as z:
        z.writestr("app.py", "import helper\nVALUE = helper.VALUE + 1\n")
        z.writestr("helper.py", "VALUE = 41\n")
        z.writestr("unused.py", "VALUE = 0\n")
        z.writestr("pkg/__init__.py", "")
        z.writestr("pkg/extra.py", "VALUE = 'from the rest'\n")
        z.writestr("pkg/data.txt", "data\n")
    core, rest = tmp_path / "core.zip", tmp_path / "rest.zip"
    in_pyodide = ROOT / "site_builder" / "in_pyodide"
    script = SCRIPT.format(
        stdlib=str(stdlib),
        in_pyodide=str(in_pyodide),
        finder=str(in_pyodide / "stdlib_finder.py"),
        core=str(core),
        rest=str(rest),
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, check=True
    )
    found = json.loads(proc.stdout)
    assert found == {
        "extra": "from the rest",
        "app": 42,
        "rest_names": ["pkg", "pkg.extra", "unused"],
    }
    with zipfile.ZipFile(core) as z:
        assert sorted(z.namelist()) == ["_xw_stdlib.pyc", "app.pyc", "helper.pyc"]
    with zipfile.ZipFile(rest) as z:
        names = z.namelist()
        assert "pkg/data.txt" in names and "pkg/extra.pyc" in names and "app.pyc" not in names
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}  # reproducible
