"""cli.py: the command line, the only place that prints: what a build says when it works,
when nothing changed and when it fails (every problem at file:line, then a summary), and
`new`, which scaffolds an article and never overwrites one."""

import pytest

from site_builder.build import build
from site_builder.cli import main
from site_builder.config import load_config

SITE = {
    "site.toml": 'title = "T"\nbase_url = "https://example.org/"\n',
    "content/a.md": "---\ntitle: A\ndate: 2026-01-02\n---\n\nHello.\n",
}


def test_a_build_says_what_it_built_and_then_that_nothing_changed(
    make_site, capsys: pytest.CaptureFixture[str]
):
    root = make_site(SITE)
    assert main(["--root", str(root), "build"]) == 0
    assert capsys.readouterr().out.startswith("built 1 article(s), ")
    assert main(["--root", str(root), "build"]) == 0
    assert capsys.readouterr().out.startswith("nothing changed: 1 article(s) in _site/")


def test_a_failed_build_lists_every_problem_then_a_summary(
    make_site, capsys: pytest.CaptureFixture[str]
):
    root = make_site(SITE | {"content/b.md": "---\ntitle: [unclosed\n---\n"})
    assert main(["--root", str(root), "build"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("content/b.md:2:")
    assert err[-1] == "build failed: 1 error; the previous output was left as it was"
    assert not (root / "_site").exists()


def test_new_scaffolds_an_article_that_builds(make_site):
    root = make_site(SITE)
    assert main(["--root", str(root), "new", "My First Explorable"]) == 0
    article = root / "content" / "my-first-explorable" / "index.md"
    assert 'title: "My First Explorable"' in article.read_text()
    result = build(load_config(root), drafts=True)  # scaffolds are drafts
    assert "my-first-explorable/index.html" in result.files
    assert main(["--root", str(root), "new", "My First Explorable"]) == 1  # never overwrites
