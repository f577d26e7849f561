"""Incremental builds: the same bytes as a clean build, re-rendering only what depends on
the change."""

import shutil
import subprocess

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import tree

SITE = {
    "content/a.md": "---\ntitle: A\ndate: 2024-01-01\ntags: [x]\n---\n\n## One\n\n[b](/b/#two)\n",
    "content/b/index.md": "---\ntitle: B\ndate: 2024-02-01\ntags: [y]\n---\n\n## Two\n\n"
    "```python build\nimport csv\nrows = list(csv.reader(open('data.csv')))\n```\n\n"
    "Rows: {py}`len(rows)`.\n\n```widget\ninputs:\n  n: {type: range, min: 0, max: 5, "
    "value: 1}\noutputs:\n  - value: n * 2\n```\n",
    "content/b/data.csv": "a,b\n1,2\n",
    "content/c.md": "---\ntitle: C\n---\nPlain.\n",
}

EDITS = {
    "body": {
        "content/a.md": "---\ntitle: A\ndate: 2024-01-01\ntags: [x]\n---\n\n## One\n\n"
        "Edited. [b](/b/#two)\n"
    },
    "title and tags": {
        "content/a.md": "---\ntitle: A2\ndate: 2024-03-01\ntags: [z]\n---\n\n## One\n"
    },
    "summary": {
        "content/a.md": "---\ntitle: A\ndate: 2024-01-01\nsummary: Short.\ntags: [x]\n---\n\n"
        "## One\n\n[b](/b/#two)\n"
    },
    "slug": {"content/c.md": "---\ntitle: C\nslug: sea\n---\nPlain.\n"},
    "draft": {"content/c.md": "---\ntitle: C\ndraft: true\n---\nPlain.\n"},
    "bundle data": {"content/b/data.csv": "a,b\n1,2\n3,4\n"},
    "new article": {"content/d.md": "---\ntitle: D\ntags: [x]\n---\nNew, see [a](/a/).\n"},
    "template": {
        "templates/404.html": "{% extends 'base.html' %}{% block main %}Lost.{% endblock %}\n"
    },
    "config": {"site.toml": 'title = "Renamed"\nbase_url = "http://127.0.0.1:8000/"\n'},
}


def clean_tree(root):
    shutil.rmtree(root / "_site")
    shutil.rmtree(root / ".site-cache")
    build(load_config(root))
    return tree(root / "_site")


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_incremental_equals_clean(make_site, edit):
    root = make_site(SITE)
    build(load_config(root))
    make_site(edit)
    build(load_config(root))
    assert tree(root / "_site") == clean_tree(root)


def test_deleting_an_article_removes_its_files(make_site):
    root = make_site(SITE)
    build(load_config(root))
    (root / "content" / "c.md").unlink()
    result = build(load_config(root))
    assert result.incremental and not (root / "_site" / "c").exists()
    assert tree(root / "_site") == clean_tree(root)


def test_a_body_edit_rerenders_only_that_page(make_site):
    root = make_site(SITE)
    build(load_config(root))
    noop = build(load_config(root))
    assert noop.incremental and noop.files_written.files == {} and noop.article_count == 3
    make_site(EDITS["body"])
    result = build(load_config(root))
    assert result.incremental and sorted(result.files_written.files) == ["a/index.html"]


def test_a_metadata_edit_rerenders_the_index_feed_and_tags(make_site):
    root = make_site(SITE)
    build(load_config(root))
    make_site(EDITS["title and tags"])
    written = set(build(load_config(root)).files_written.files)
    assert {"a/index.html", "index.html", "feed.xml", "sitemap.xml", "tags/z/index.html"} <= written
    assert "b/index.html" not in written and "c/index.html" not in written
    assert not (root / "_site" / "tags" / "x").exists()


def test_a_broken_link_into_a_changed_page_is_found(make_site):
    root = make_site(SITE)
    build(load_config(root))
    make_site({"content/b/index.md": "---\ntitle: B\n---\n\n## Renamed\n"})
    with pytest.raises(Exception, match="broken anchor '/b/#two'"):
        build(load_config(root))


DAMAGE = {
    "garbage": lambda data: b"not a database" + data[14:],
    "truncated": lambda data: data[: len(data) // 2],
    "zeroed pages": lambda data: data[:4096] + bytes(len(data) - 4096),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_state_is_never_trusted(make_site, damage):
    root = make_site(SITE)
    build(load_config(root))
    state = root / ".site-cache" / "build-state.sqlite3"
    state.write_bytes(damage(state.read_bytes()))
    make_site(EDITS["title and tags"])
    result = build(load_config(root))
    assert not result.incremental
    assert tree(root / "_site") == clean_tree(root)
    assert build(load_config(root)).incremental  # and the next build has a state again


def test_a_full_build_clears_what_a_killed_one_left(make_site):
    root = make_site(SITE)
    gone = subprocess.Popen(["true"])
    gone.wait()
    running = subprocess.Popen(["sleep", "30"])
    try:
        folder = root / ".site-cache"
        folder.mkdir(parents=True)
        stale = folder / f"build-state.sqlite3.{gone.pid}-0a1b.tmp"
        stale.write_bytes(b"half a database")
        theirs = folder / f"build-state.sqlite3.{running.pid}-2c3d.tmp"
        theirs.write_bytes(b"another build's database, being written")
        build(load_config(root))
        names = sorted(p.name for p in folder.glob("build-state*"))
        assert names == ["build-state.sqlite3", theirs.name]  # a live build's file is its own
    finally:
        running.kill()
        running.wait()


def install(site_packages, version):
    """Install (or upgrade) a small distribution 'xwdep' the way pip lays one out."""
    for old in site_packages.glob("xwdep-*.dist-info"):
        shutil.rmtree(old)
    (site_packages / "xwdep").mkdir(parents=True, exist_ok=True)
    (site_packages / "xwdep" / "__init__.py").write_text(f"VERSION = {version!r}\n")
    info = site_packages / f"xwdep-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: xwdep\nVersion: {version}\n")
    (info / "top_level.txt").write_text("xwdep\n")
    (info / "RECORD").write_text("xwdep/__init__.py,,\n")


def test_a_dependency_upgrade_runs_exactly_the_articles_that_import_it(
    make_site, tmp_path, monkeypatch
):
    site_packages = tmp_path / "site-packages"
    install(site_packages, "1.0")
    monkeypatch.syspath_prepend(str(site_packages))  # the build's own lookups
    monkeypatch.setenv("PYTHONPATH", str(site_packages))  # and the cells' process
    uses = "---\ntitle: U\n---\n```python build\nimport xwdep\n```\n\nv{py}`xwdep.VERSION`\n"
    other = "---\ntitle: O\n---\n```python build\nimport random\nx = random.random()\n```\n"
    other += "\n{py}`x`\n"
    root = make_site({"content/uses.md": uses, "content/other.md": other})
    build(load_config(root))
    assert "v1.0" in (root / "_site" / "uses" / "index.html").read_text()
    before = (root / "_site" / "other" / "index.html").read_text()
    install(site_packages, "2.0")
    result = build(load_config(root))
    assert result.incremental and [a.source.rel for a in result.articles] == ["content/uses.md"]
    assert "v2.0" in (root / "_site" / "uses" / "index.html").read_text()
    assert (root / "_site" / "other" / "index.html").read_text() == before  # not re-run
    full = build(load_config(root), incremental=False)  # the cell cache knows it too
    assert not full.incremental
    assert "v2.0" in (root / "_site" / "uses" / "index.html").read_text()
    assert (root / "_site" / "other" / "index.html").read_text() == before


@pytest.mark.parametrize("edit", ["body", "bundle data"])
def test_a_build_told_what_changed_equals_a_clean_one(make_site, edit):
    root = make_site(SITE)
    known = build(load_config(root)).sources
    make_site(EDITS[edit])
    modified = {str(root / name) for name in EDITS[edit]}
    told = known.after(modified)
    assert told is not None and told != known
    result = build(load_config(root), known=told)
    assert result.incremental and len(result.articles) == 1
    assert tree(root / "_site") == clean_tree(root)


def test_a_change_outside_the_known_sources_means_looking_again(make_site):
    root = make_site(SITE)
    known = build(load_config(root)).sources
    assert known.after({str(root / "content" / "notes.txt")}) is None
    assert known.after({"/elsewhere/file.md"}) is None
