"""A Jekyll blog moves in and keeps its addresses (site_builder/importer.py): every URL the
old site had serves the post or redirects to it, for each of Jekyll's permalink styles."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.config import load_config
from site_builder.importer import import_jekyll, jekyll_address
from tests.conftest import ROOT, write_site

POSTS = {
    "2016-05-31-rl.md": "---\ntitle: RL\ncategories: [ML, Notes]\n---\n"
    "See [the next one]({% post_url 2016-06-01-Next-Post %}) and [about]({% link about.md %}).\n",
    "2016-06-01-Next-Post.md": "---\ntitle: Next\ncategory: misc\n"
    "redirect_from: [/very/old/next/]\n---\nBack to [RL]({% post_url 2016-05-31-rl %}).\n",
    "2018-12-13-timed.md": "---\ntitle: Timed\ndate: 2018-12-13 09:00:00 -0700\n---\nA time.\n",
    "2019-02-03-own.md": "---\ntitle: Own\npermalink: /blog/:year/:title/\n---\nIts own pattern.\n",
}


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("date", "/ml/notes/2016/05/31/rl.html"),
        ("pretty", "/ml/notes/2016/05/31/rl/"),
        ("ordinal", "/ml/notes/2016/152/rl.html"),
        ("none", "/ml/notes/rl.html"),
        ("/:year/:i_month/:i_day/:slug", "/2016/5/31/rl"),
    ],
)
def test_jekyll_addresses_as_jekyll_makes_them(style, expected):
    data = {"categories": ["ML", "Notes", "ml"]}
    assert jekyll_address(style, data, "2016-05-31-rl") == expected


@pytest.mark.parametrize("style", ["date", "pretty", "ordinal", "none"])
def test_every_old_address_answers_after_the_move(tmp_path, style):
    src = tmp_path / "blog"
    (src / "_posts").mkdir(parents=True)
    for name, text in POSTS.items():
        (src / "_posts" / name).write_text(text)
    (src / "about.md").write_text("---\ntitle: About\n---\nAbout me.\n")
    (src / "_config.yml").write_text(f"title: Blog\npermalink: {style}\n")
    root = write_site(tmp_path / "site", {})
    (root / "site.toml").write_text('title = "T"\nbase_url = "https://example.org/"\n')
    import_jekyll(src, root)
    build(load_config(root))  # post_url and link resolve: the link check passes
    site = root / "_site"
    old = [jekyll_address(style, *_front_matter(src / "_posts" / n), n[:-3]) for n in POSTS]
    old += ["/very/old/next/", jekyll_address(style, {}, "about", page=True)]
    for address in old:
        assert address
        page = site / address.lstrip("/")
        page = page / "index.html" if address.endswith("/") else page
        if not page.is_file() and not address.endswith((".html", "/")):
            page = site / address.lstrip("/") / "index.html"
        assert page.is_file(), f"{address} answers nothing"
        text = page.read_text()
        assert 'rel="canonical"' in text
    sitemap = (site / "sitemap.xml").read_text()
    assert "/very/old/" not in sitemap and "2016/05" not in sitemap
    rl = (site / "rl" / "index.html").read_text()
    assert 'href="/next-post/"' in rl and 'href="/about/"' in rl
    if style in ("date", "pretty") and shutil.which("java"):
        vnu = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
        if vnu.is_file():
            redirects = [str(site / "very" / "old" / "next" / "index.html")]
            done = subprocess.run(
                ["java", "-jar", str(vnu), "--errors-only", "--format", "json", *redirects],
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert json.loads(done.stderr or '{"messages": []}')["messages"] == []


def _front_matter(path: Path) -> tuple[dict,]:
    import yaml

    text = path.read_text()
    return (yaml.safe_load(text.split("---")[1]),)


def test_init_starts_a_site_that_builds_with_one_interactive_article(tmp_path):
    from site_builder.cli import main

    folder = tmp_path / "new-site"
    assert main(["init", str(folder), "--title", "Waves"]) == 0
    cache = folder / ".cache"
    if (ROOT / ".cache").is_dir():
        cache.symlink_to(ROOT / ".cache")  # the runtime, already fetched
    result = build(load_config(folder))
    page = (folder / "_site" / "first-explorable" / "index.html").read_text()
    assert "data-xw-answers" in page and 'data-xw-input="k"' in page  # interactive
    assert "Waves" in (folder / "_site" / "index.html").read_text()
    assert result.warnings == []
    assert main(["init", str(folder)]) == 1  # never over an existing site
    src = tmp_path / "blog"
    (src / "_posts").mkdir(parents=True)
    (src / "_posts" / "2020-01-02-hi.md").write_text("---\ntitle: Hi\n---\nHello.\n")
    (src / "_config.yml").write_text(
        "title: Old blog\nurl: https://ada.example\npermalink: pretty\n"
    )
    moved = tmp_path / "moved"
    assert main(["init", str(moved), "--from-jekyll", str(src)]) == 0
    config = load_config(moved)
    assert config.title == "Old blog" and config.base_url == "https://ada.example/"
    (moved / ".cache").symlink_to(ROOT / ".cache")
    build(config)
    assert (moved / "_site" / "2020" / "01" / "02" / "hi" / "index.html").is_file()


def test_the_report_ends_with_the_lines_that_keep_inline_styles(tmp_path):
    src = tmp_path / "blog"
    (src / "_posts").mkdir(parents=True)
    styled = '---\ntitle: S\n---\n<p style="color: red">red</p> <span style="x">y</span>\n'
    (src / "_posts" / "2020-01-02-styled.md").write_text(styled)
    root = tmp_path / "p"
    root.mkdir()
    lines = import_jekyll(src, root).lines()
    at = lines.index("  [csp]")
    assert "2 inline style= attribute(s) in 1 post(s)" in lines[at - 1]
    assert lines[at + 1] == "  style-src-attr = [\"'unsafe-inline'\"]"
    pasted = "\n".join(lines[at:]).replace("  ", "")
    (root / "site.toml").write_text(f'title = "T"\n[runtime]\nsource = "none"\n{pasted}\n')
    (root / "templates").symlink_to(ROOT / "templates")
    (root / "static").symlink_to(ROOT / "static")
    result = build(load_config(root))  # the policy now allows them: no warning about them
    assert not any("style" in w.message for w in result.warnings)
    assert "'unsafe-inline'" in (root / "_site" / "styled" / "index.html").read_text()


def test_keep_addresses_publishes_posts_where_jekyll_did(tmp_path):
    src = tmp_path / "blog"
    (src / "_posts").mkdir(parents=True)
    for name, text in POSTS.items():
        (src / "_posts" / name).write_text(text)
    (src / "_config.yml").write_text("title: Blog\npermalink: /:year/:month/:day/:title/\n")
    (src / "about.md").write_text("---\ntitle: About\n---\nAbout me.\n")
    root = write_site(tmp_path / "site", {})
    (root / "site.toml").write_text('base_url = "https://example.org/"\n')
    import_jekyll(src, root, keep_addresses=True)
    assert load_config(root).permalink == "/:year/:month/:day/:title/"
    build(load_config(root))
    site = root / "_site"
    page = (site / "2016" / "05" / "31" / "rl" / "index.html").read_text()
    assert "<h1>RL</h1>" in page  # the post itself, at its old address
    # Jekyll kept the file name's case in :title; the address that differs redirects.
    moved = (site / "2016" / "06" / "01" / "Next-Post" / "index.html").read_text()
    assert 'rel="canonical" href="https://example.org/2016/06/01/next-post/"' in moved
    sitemap = (site / "sitemap.xml").read_text()
    assert "2016/05/31/rl/" in sitemap and "Next-Post" not in sitemap
