"""The incremental plan's records (site_builder/plan.py)."""

import datetime as dt

from site_builder.model import Article, FrontMatter, Source
from site_builder.plan import Listing


def test_a_listing_keeps_what_site_pages_need():
    meta = FrontMatter(title="T", date=dt.date(2024, 5, 6), tags=("x",), slug="custom")
    article = Article(source=Source("/p/a.md", "content/a.md", "custom", None), meta=meta,
                      slug_line=4, template_line=2)  # fmt: skip
    listing = Listing.of(article)
    again = Listing.unpack(listing.pack())
    assert again == listing
    rebuilt = again.article(Source("/p/a.md", "content/a.md", "a", None))
    assert rebuilt.url == "custom/" and rebuilt.meta == meta and rebuilt.slug_line == 4
