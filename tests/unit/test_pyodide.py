"""pyodide.py: the pinned runtime's integrity values, compressed copies, and what a page's
browser code imports (and so which standard-library modules its first visit fetches)."""

import gzip
import zipfile
from pathlib import Path

from site_builder.pyodide import (
    PAGE_MODULES,
    RUNTIME_FILES,
    gzipped,
    imports_of,
    integrity,
    page_stdlib,
    sri,
)


def test_runtime_integrity_is_hashed_once_per_file_version(tmp_path):
    for name in RUNTIME_FILES:
        (tmp_path / name).write_text(f"runtime file {name}\n")
    fresh = {name: sri(tmp_path / name) for name in RUNTIME_FILES}
    assert integrity(tmp_path) == fresh
    record = tmp_path / "integrity.json"
    record.write_text(record.read_text().replace(fresh[RUNTIME_FILES[0]], "sha384-kept"))
    assert integrity(tmp_path)[RUNTIME_FILES[0]] == "sha384-kept"  # read back, not hashed
    (tmp_path / RUNTIME_FILES[0]).write_text("a new version of the file\n")
    assert integrity(tmp_path)[RUNTIME_FILES[0]] == sri(tmp_path / RUNTIME_FILES[0])
    record.write_text("{not json")
    assert integrity(tmp_path)[RUNTIME_FILES[1]] == fresh[RUNTIME_FILES[1]]


def test_gzipped_is_made_once_and_the_same_bytes_every_time(tmp_path: Path):
    wasm = tmp_path / "pyodide.asm.wasm"
    wasm.write_bytes(b"\0asm" * 1000)
    packed = gzipped(wasm)
    assert gzip.decompress(packed.read_bytes()) == wasm.read_bytes()
    first = packed.read_bytes()
    packed.unlink()
    assert gzipped(wasm).read_bytes() == first  # no timestamp inside


def test_imports_of_reads_absolute_imports_only():
    code = "import json, os.path\nfrom xml.dom import minidom\nfrom . import sibling\n"
    assert imports_of([code, "this is not python ("]) == {"json", "os", "xml"}
    assert imports_of([code], dotted=True) == {"json", "os.path", "xml.dom"}


def test_a_page_zip_holds_what_its_code_imports_and_what_that_imports(tmp_path: Path):
    core, rest = tmp_path / "core.zip", tmp_path / "rest.zip"
    with zipfile.ZipFile(core, "w") as z:
        z.writestr("os.pyc", b"")
    with zipfile.ZipFile(rest, "w") as z:
        # fractions imports decimal and numbers, which the page gets too; csv it does not.
        for name in ("fractions.pyc", "decimal.pyc", "numbers.pyc", "csv.pyc"):
            z.writestr(name, b"")
    data = page_stdlib(core, rest, ["from fractions import Fraction\nimport os\n"])
    assert data is not None
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as z:
        names = set(z.namelist())
        listed = set(z.read(PAGE_MODULES).decode().split("\n"))
    assert {"fractions.pyc", "decimal.pyc", "numbers.pyc"} <= names and "csv.pyc" not in names
    assert {"fractions", "decimal", "numbers"} <= listed
    assert page_stdlib(core, rest, ["import os\n"]) is None  # all in the core
