"""runtime/visit.py: what an article leaves in the visit's Python (its bundle's modules,
the files it wrote) is forgotten before the next article runs; the shared files stay."""

import json
import sys
from pathlib import Path

from site_builder.runtime import visit


def test_forget_removes_the_articles_modules_and_files_and_keeps_the_shared(tmp_path: Path):
    home = tmp_path / "xw"
    (home / "site_builder" / "runtime").mkdir(parents=True)
    (home / "site_builder" / "runtime" / "views.py").write_text("shared = 1\n")
    kept = visit.files_under(str(home))
    assert json.loads(kept) == sorted(
        str(p) for p in [home / "site_builder", home / "site_builder" / "runtime",
                         home / "site_builder" / "runtime" / "views.py"]
    )  # fmt: skip
    # An article: a module and a package of its bundle, imported; a file its cells wrote.
    (home / "xw_helpers_for_test.py").write_text("VALUE = 'alpha'\n")
    (home / "xw_pkg_for_test").mkdir()
    (home / "xw_pkg_for_test" / "__init__.py").write_text("")
    (home / "xw_pkg_for_test" / "part.py").write_text("X = 1\n")
    (home / "out").mkdir()
    (home / "out" / "note.txt").write_text("written by a cell")
    sys.path.insert(0, str(home))
    try:
        import xw_helpers_for_test  # noqa: F401
        import xw_pkg_for_test.part  # noqa: F401

        modules = [
            "xw_helpers_for_test.py",
            "xw_pkg_for_test/__init__.py",
            "xw_pkg_for_test/part.py",
        ]
        visit.forget(str(home), kept, json.dumps(modules))
        assert not any(
            name.startswith(("xw_helpers_for_test", "xw_pkg_for_test")) for name in sys.modules
        )
        assert visit.files_under(str(home)) == kept  # the shared files alone
        # The next article's module of the same name is its own, not a cached one.
        (home / "xw_helpers_for_test.py").write_text("VALUE = 'beta'\n")
        import xw_helpers_for_test as again

        assert again.VALUE == "beta"
    finally:
        sys.path.remove(str(home))
        for name in [n for n in sys.modules if n.startswith(("xw_helpers", "xw_pkg"))]:
            del sys.modules[name]
