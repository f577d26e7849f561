"""render.py: any page rendered through its template with the page's policy; a template
problem is a diagnostic at the template's line; two pages at one path are an error."""

from pathlib import Path

from site_builder.assets import Assets
from site_builder.config import load_config
from site_builder.errors import Collector
from site_builder.output import SiteFiles
from site_builder.render import RenderContext, page_policy, render_page, with_math_styles
from site_builder.urls import Urls


def context(root: Path) -> RenderContext:
    config = load_config(root)
    assets = Assets(SiteFiles(), {"css/site.css": "static/css/site.0123456789.css"}, {}, "")
    return RenderContext.make(config, False, Urls("/blog/"), assets)


def test_a_page_is_written_with_its_policy_and_hashed_assets(tmp_path: Path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(
        '<meta http-equiv="Content-Security-Policy" content="{{ csp }}">'
        '<link href="{{ asset("css/site.css") }}"><a href="{{ link("/static/css/site.css") }}">'
        "{{ title }}"
    )
    ctx, problems = context(tmp_path), Collector()
    frame = (("frame-src", ("https://player.example",)),)
    render_page(
        ctx, problems, "page.html", "a/index.html", "content/a.md", csp=(frame,), title="<A>"
    )
    assert problems.errors == []
    page = ctx.files.read("a/index.html").decode()
    assert "frame-src 'self' https://player.example" in page and "'self'" in page
    assert page.count("/blog/static/css/site.0123456789.css") == 2 and page.endswith("&lt;A&gt;")
    render_page(ctx, problems, "page.html", "a/index.html", "content/b.md", title="B")
    assert "content/a.md" in problems.errors[0].message  # the page both want


def test_a_template_error_is_reported_at_its_line(tmp_path: Path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("fine\n{{ nothing.here }}\n")
    ctx, problems = context(tmp_path), Collector()
    render_page(ctx, problems, "page.html", "x/index.html", "content/x.md")
    assert [(d.path, d.line) for d in problems.errors] == [("templates/page.html", 2)]


def test_math_styles_are_allowed_by_hash_only_on_pages_with_math():
    base = page_policy(())
    assert "'unsafe-hashes'" not in base and "&#39;" not in base
    page = f'<meta content="{base}"><math><mtd style="padding:0">x</mtd></math>'
    allowed = with_math_styles(page, base, ())
    assert "style-src 'self' 'unsafe-hashes' 'sha256-" in allowed
    plain = f'<meta content="{base}"><p style="padding:0">x</p>'
    assert with_math_styles(plain, base, ()) == plain


def test_a_theme_file_static_lacks_is_an_error_at_its_file_once(make_site):
    import pytest

    from site_builder.build import BuildError, build

    widget = "```widget\ninputs:\n  x: {type: range, min: 0, max: 2, step: 1, value: 1}\n"
    widget += "outputs:\n  - value: x * 2\n```\n"
    root = make_site(
        {
            "content/a.md": "---\ntitle: A\n---\n\n" + widget,
            "content/b.md": "---\ntitle: B\n---\n\n" + widget,
        }
    )
    (root / "static" / "js" / "worker.js").unlink()
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert [(d.path, d.line) for d in caught.value.diagnostics] == [("static/js/worker.js", 0)]
    assert "static/js/worker.js does not exist" in caught.value.diagnostics[0].message
    (root / "static" / "css" / "site.css").unlink()
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    base = (root / "templates" / "base.html").read_text().splitlines()
    line = next(n for n, text in enumerate(base, 1) if "asset('css/site.css')" in text)
    found = {(d.path, d.line) for d in caught.value.diagnostics}
    assert ("templates/base.html", line) in found and len(caught.value.diagnostics) == 2
