"""Where the build writes: SiteFiles and the output-folder guard (site_builder/output.py)."""

import pytest

from site_builder.output import FileConflict, SiteFiles, guard_output


def test_site_files_refuse_two_writers_and_hash_names(tmp_path):
    files = SiteFiles()
    files.write("a/index.html", "x", "content/a.md")
    with pytest.raises(FileConflict, match="a/index.html is written by both"):
        files.write("a/index.html", "y", "content/b.md")
    name = files.hashed("static/app.js", b"code", "static/app.js")
    assert name.startswith("static/app.") and name.endswith(".js") and files.read(name) == b"code"
    files.commit(tmp_path / "site")
    assert (tmp_path / "site" / "a" / "index.html").read_text() == "x"
    more = SiteFiles()
    more.write("b.txt", "b", "content/b.md")
    more.commit_changes(tmp_path / "site", removed={"a/index.html"})
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["b.txt", "static"]


def test_the_guard_names_why(tmp_path):
    root = tmp_path / "project"
    (root / "content").mkdir(parents=True)
    assert guard_output(root, root / "_site", {"content": root / "content"}) is None
    assert "overlaps content" in guard_output(
        root, root / "content" / "x", {"content": root / "content"}
    )
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "f").write_text("x")
    assert "did not make" in guard_output(root, tmp_path / "theirs", {})
    assert guard_output(root, tmp_path / "theirs", {}, foreign=False) is None


def test_a_prepared_staging_folder_is_used_or_removed(tmp_path):
    """A full build makes its pages' folders while it renders (prepare); the commit goes on
    from them; a build that fails before the commit leaves none behind."""
    from site_builder.output import SiteFiles, discard_prepared

    target = tmp_path / "_site"
    files = SiteFiles()
    files.prepare(target, ["a/", "b/c/"])
    files.write("a/index.html", "A", "a.md")
    files.write("b/c/index.html", "C", "c.md")
    files.write("d/index.html", "D", "d.md")  # a folder not prepared: made at the commit
    files.commit(target)
    assert (target / "b" / "c" / "index.html").read_text() == "C"
    assert (target / "d" / "index.html").read_text() == "D"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]
    failed = SiteFiles()
    failed.prepare(target, ["a/"])
    assert len(list(tmp_path.iterdir())) == 2  # the staging folder, beside the site
    discard_prepared()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]
    assert (target / "a" / "index.html").read_text() == "A"  # the site untouched
