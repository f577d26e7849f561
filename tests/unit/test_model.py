"""model.py: the records passed between the build's phases: immutable (they cross process
boundaries and caches), and every front matter key they hold is one the guide documents."""

import dataclasses
import re

import pytest

from site_builder.content import KNOWN_KEYS
from site_builder.model import Article, FrontMatter, Source
from tests.conftest import ROOT


def test_front_matter_keys_are_documented_in_the_guide():
    guide = (ROOT / "content" / "guide" / "writing.md").read_text()
    block = guide.split("## Front matter", 1)[1].split("```", 2)[1]
    documented = set(re.findall(r"^(\w+):", block, re.M))
    assert documented == KNOWN_KEYS


def test_records_are_frozen_and_say_where_they_live():
    source = Source("/p/content/a/index.md", "content/a/index.md", "a", "/p/content/a")
    article = Article(source=source, meta=FrontMatter(title="A"))
    assert article.url == "a/" and source.bundle is not None and source.bundle.name == "a"
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.meta.title = "B"  # type: ignore[misc]
    assert dataclasses.replace(article.meta, title="B").title == "B"
