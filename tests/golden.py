"""Build tests/fixtures/site and compare with tests/fixtures/expected; `make golden` updates it."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from site_builder.build import build
from site_builder.config import load_config

HERE = Path(__file__).resolve().parent
SITE, EXPECTED = HERE / "fixtures" / "site", HERE / "fixtures" / "expected"


def build_fixture(out: Path) -> Path:
    """Build the fixture site into *out* (with the repository's templates and static files)."""
    root = out / "project"
    shutil.copytree(SITE, root)
    for name in ("templates", "static"):
        shutil.copytree(HERE.parent / name, root / name, dirs_exist_ok=True)
    build(load_config(root, {"cache_dir": str(out / "cache")}))
    return root / "_site"


if __name__ == "__main__" and "--update" in sys.argv:
    with tempfile.TemporaryDirectory() as tmp:
        built = build_fixture(Path(tmp))
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(built, EXPECTED)
    print(f"updated {EXPECTED.relative_to(HERE.parent)}")
