"""articles.py: one source file becomes an Article (front matter, blocks, widgets), drafts
are left out, permalinks follow Jekyll's placeholders, summaries are plain text."""

import datetime
from pathlib import Path
from types import SimpleNamespace

from site_builder.articles import newest_first, parse_article, permalinked, plain_summary
from site_builder.model import Source

ARTICLE = """---
title: Waves
date: 2026-03-04
tags: [Physics, Sound Waves]
---

Intro with {py}`k * 2` and $x^2$.

```python build
k = 21
```

```widget
inputs:
  a: {type: range, min: 0, max: 1, step: 0.1, value: 0.5}
outputs:
  - value: a * k
```
"""


def source(tmp_path: Path, text: str, name: str = "waves.md") -> Source:
    path = tmp_path / name
    path.write_text(text)
    return Source(str(path), f"content/{name}", name.removesuffix(".md"), None)


def test_an_article_holds_its_blocks_at_their_lines(tmp_path: Path):
    article, problems = parse_article(source(tmp_path, ARTICLE), drafts=False)
    assert problems == [] and article is not None
    assert article.meta.title == "Waves" and article.url == "waves/"
    assert [(c.line, c.code) for c in article.cells] == [(10, "k = 21")]
    assert [(i.expr, i.line) for i in article.inlines] == [("k * 2", 7)]
    assert [m.tex for m in article.math] == ["x^2"]
    (widget,) = article.widgets
    assert [i.name for i in widget.inputs] == ["a"] and widget.outputs[0].line == 17


def test_drafts_are_left_out_unless_asked_for(tmp_path: Path):
    draft = source(tmp_path, ARTICLE.replace("tags:", "draft: true\ntags:"))
    assert parse_article(draft, drafts=False)[0] is None
    assert parse_article(draft, drafts=True)[0] is not None


def test_an_error_names_the_file_and_line(tmp_path: Path):
    broken = ARTICLE.replace("type: range", "type: rang")
    _, problems = parse_article(source(tmp_path, broken), drafts=False)
    errors = [(d.path, d.line, d.message) for d in problems if d.severity == "error"]
    assert errors[0][:2] == ("content/waves.md", 15) and "rang" in errors[0][2]


def test_permalinks_and_summaries():
    meta = SimpleNamespace(date=datetime.date(2026, 3, 4), tags=["Sound Waves"])
    assert permalinked("/:categories/:year/:i_month/:title/", meta, "w") == "sound-waves/2026/3/w"
    assert permalinked("pretty", meta, "w") == "sound-waves/2026/03/04/w"
    assert permalinked("/:year/:slug/", SimpleNamespace(date=None, tags=[]), "w") == ""
    text = "# Head\n\nSee [the *docs*](/d) and $x$.\n\n```py\ncode\n```\n<b>bold</b> {py}`n`"
    assert plain_summary(text) == "Head See the docs and x. bold"


def test_newest_first(tmp_path: Path):
    old, _ = parse_article(source(tmp_path, ARTICLE, "old.md"), drafts=False)
    new, _ = parse_article(source(tmp_path, ARTICLE.replace("03-04", "05-06"), "new.md"), False)
    assert old and new
    assert [a.source.slug for a in newest_first([old, new])] == ["new", "old"]
