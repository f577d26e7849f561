"""``site-builder init DIR``: a new site that is not the example, ready to build.

It holds ``site.toml``, ``content/`` with one short interactive article, this tool's
``templates/`` and ``static/`` (the site's own copies, to change file by file), a README
saying how to build, preview and publish it, a ``.gitignore`` and the GitHub Pages
workflow. ``--from-jekyll SRC`` then moves a Jekyll site in (importer.py), its title,
description, author, URL and old addresses included.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .cache import write_atomically

TOOL = Path(__file__).resolve().parent.parent  # this tool's own templates/ and static/

FIRST_ARTICLE = """---
title: "A first explorable"
date: {date}
summary: "A slider, a number and a chart, computed by the same Python at build time and in
  your browser."
---

This page is computed twice by the same Python: when the site is built, so it reads
without JavaScript, and in the reader's browser, where the figure below answers the slider.

```python exec
import math

def wave(x, k):
    return math.sin(k * x)
```

```widget
label: A wave
inputs:
  k: {{type: range, min: 1, max: 5, step: 0.5, value: 2, label: frequency}}
outputs:
  - value: wave(1, k)
    format: .3f
    label: value at x = 1
  - chart:
      - line: "lambda x: wave(x, k)"
        label: sin(k x)
    x: {{domain: [0, 6.3], label: x}}
```

At frequency {{input}}`k` the wave's value at 1 is {{py:.3f}}`wave(1, k)`.
"""

README = """# {title}

Explorable explanations, built with site-builder: Markdown with Python in it, computed
when the site is built and again in the reader's browser.

    site-builder build     # the site, into _site/
    site-builder serve     # a preview with drafts on http://127.0.0.1:8000/, rebuilt on save
    site-builder new "A title"   # a new article (a draft)

Articles are in `content/`: `<slug>.md`, or a folder `<slug>/index.md` with its data and
Python modules beside it. `templates/` and `static/` are this site's own copies of the
tool's theme: change them as you like. Settings are in `site.toml`.

To publish on GitHub Pages, push to a repository whose Settings → Pages → Source is
"GitHub Actions": `.github/workflows/pages.yml` builds and deploys on every push (set
`SITE_BUILDER` there to how your project installs site-builder).
"""

GITIGNORE = "_site/\n.site-cache/\n.cache/\n.venv/\n"

WORKFLOW = """# Build the site with site-builder and publish it on GitHub Pages.
name: pages
on:
  push:
    branches: [main]
  workflow_dispatch:
permissions:
  contents: read
concurrency:
  group: pages
  cancel-in-progress: false
env:
  # How this project installs site-builder: a requirement pip understands.
  SITE_BUILDER: site-builder
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.12"
      - uses: actions/setup-node@v5
        with:
          node-version: "22"
      # Pyodide's download and pip's wheels; and the build cache, saved anew after each
      # push and restored from the latest (cell results record the package versions they
      # were computed with and run again when those differ).
      - uses: actions/cache@v4
        with:
          path: |
            .cache
            .site-cache
            ~/.cache/pip
          key: site-${{ hashFiles('site.toml', 'packages-lock.json') }}-${{ github.sha }}
          restore-keys: site-${{ hashFiles('site.toml', 'packages-lock.json') }}-
      - run: pip install "$SITE_BUILDER"
      - id: pages
        uses: actions/configure-pages@v5
      - run: site-builder build --base-url="${{ steps.pages.outputs.base_url }}/"
      - uses: actions/upload-pages-artifact@v4
        with:
          path: _site
  deploy:
    needs: build
    runs-on: ubuntu-latest
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


class CannotStart(Exception):
    """A site cannot be started there: the folder holds files, or no theme is at hand."""


def init_site(
    folder: Path, title: str = "Explorables", jekyll: Path | None = None, keep: bool = False
) -> list[str]:
    """Start a site in *folder* (missing or empty); return what was made, a line each."""
    import datetime as dt
    import json

    if folder.exists() and any(folder.iterdir()):
        raise CannotStart(f"{folder} is not empty: start a new site in a new folder")
    if not all((TOOL / name).is_dir() for name in ("templates", "static")):
        raise CannotStart(
            f"the theme to copy (templates/ and static/) is not beside this tool ({TOOL}): "
            "install site-builder from its repository (pip install -e)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name in ("templates", "static"):
        shutil.copytree(TOOL / name, folder / name)
        made.append(f"{name}/ (the theme, this site's own copy)")
    toml = f"title = {json.dumps(title, ensure_ascii=False)}\n"
    toml += 'description = ""\nbase_url = "http://127.0.0.1:8000/"\n'
    write_atomically(folder / "site.toml", toml)
    if jekyll is None:
        article = folder / "content" / "first-explorable" / "index.md"
        article.parent.mkdir(parents=True)
        write_atomically(article, FIRST_ARTICLE.format(date=dt.date.today().isoformat()))
        made.append("content/first-explorable/index.md")
    write_atomically(folder / "README.md", README.format(title=title))
    write_atomically(folder / ".gitignore", GITIGNORE)
    workflow = folder / ".github" / "workflows" / "pages.yml"
    workflow.parent.mkdir(parents=True)
    write_atomically(workflow, WORKFLOW)
    made += ["site.toml", "README.md", ".gitignore", ".github/workflows/pages.yml"]
    if jekyll is not None:  # its _config.yml says the title, URL and the rest
        from .importer import import_jekyll

        write_atomically(folder / "site.toml", "")
        made += import_jekyll(jekyll, folder, keep_addresses=keep).lines()
    return made
