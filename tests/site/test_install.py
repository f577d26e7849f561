"""`pip install .` (not only `-e .`) makes a package that builds a site."""

import shutil
import subprocess
import sys
import zipfile

from tests.conftest import ROOT, write_site


def test_the_wheel_builds_a_site_with_cells(tmp_path):
    dist, source = tmp_path / "dist", tmp_path / "source"  # setuptools builds in the tree
    shutil.copytree(ROOT / "site_builder", source / "site_builder",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("site_builder-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "site_builder/packages.mjs",
        "site_builder/stdlib.mjs",
        "site_builder/tex.mjs",
        "site_builder/runner.py",
        "site_builder/runtime/program.py",
        "site_builder/runtime/reactive.py",
    ):
        assert needed in names, needed
    target = tmp_path / "installed"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    root = write_site(
        tmp_path / "site",
        {
            "content/a.md": "---\ntitle: A\n---\n```python build\nprint(6 * 7)\n```\n\n"
            "```widget\ninputs:\n  x: {type: range, min: 0, max: 4, value: 2}\noutputs:\n"
            "  - value: x * 10\n```\n",
        },
    )
    code = (
        "import sys, site_builder; assert site_builder.__file__.startswith(sys.argv[1]), "
        "site_builder.__file__; from site_builder.cli import main; "
        "sys.exit(main(['--root', sys.argv[2], 'build']))"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, sys.argv[1]); {code}",
            str(target),
            str(root),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    html = (root / "_site" / "a" / "index.html").read_text()
    assert "42" in html and 'data-xw-output="w0o0"' in html
    assert any((root / "_site" / "static").glob("xw-python.*.json"))
