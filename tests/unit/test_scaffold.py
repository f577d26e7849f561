"""scaffold.py: `site-builder new` starts a site that builds, and never writes into a
folder that holds files."""

from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.config import load_config
from site_builder.scaffold import CannotStart, init_site


def test_a_new_site_has_its_own_theme_an_article_and_a_workflow(tmp_path: Path):
    site = tmp_path / "site"
    made = init_site(site, title="Waves")
    assert "content/first-explorable/index.md" in made and ".github/workflows/pages.yml" in made
    for name in ("templates/base.html", "static/css/site.css", "site.toml", ".gitignore"):
        assert (site / name).is_file(), name
    assert 'title = "Waves"' in (site / "site.toml").read_text()
    result = build(load_config(site))
    assert "first-explorable/index.html" in result.files


def test_a_folder_with_files_is_left_alone(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CannotStart, match="is not empty"):
        init_site(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
