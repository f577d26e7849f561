"""templates.py: the Jinja2 environment: strict variables, cached compilation, and
errors reported at the template's own file and line."""

from pathlib import Path

import jinja2
import pytest

from site_builder.templates import make_environment, template_diagnostic


def test_a_missing_variable_is_an_error_at_the_templates_line(tmp_path: Path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text("<h1>{{ title }}</h1>\n<p>{{ missing.name }}</p>\n")
    env = make_environment(templates, {})
    with pytest.raises(jinja2.UndefinedError) as caught:
        env.get_template("page.html").render(title="T")
    found = template_diagnostic(caught.value, templates, tmp_path, "page.html")
    assert (found.path, found.line) == ("templates/page.html", 2)
    assert found.message.startswith("undefined variable:")


def test_a_syntax_error_names_its_line(tmp_path: Path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "base.html").write_text("ok\n{% if x %}\nnever closed\n")
    env = make_environment(templates, {})
    with pytest.raises(jinja2.TemplateSyntaxError) as caught:
        env.get_template("base.html")
    found = template_diagnostic(caught.value, templates, tmp_path, "base.html")
    assert found.path == "templates/base.html" and found.line >= 2
    assert found.message.startswith("template syntax:")


def test_escaping_filters_and_the_bytecode_cache(tmp_path: Path):
    templates, cache = tmp_path / "templates", tmp_path / "cache"
    templates.mkdir()
    (templates / "a.html").write_text("{{ text }} {{ day|longdate }} {{ day|isodate }}")
    import datetime

    day = datetime.date(2026, 3, 4)
    env = make_environment(templates, {}, cache)
    assert env.get_template("a.html").render(text="<b>", day=day) == (
        "&lt;b&gt; March 4, 2026 2026-03-04"
    )
    assert any(cache.iterdir())  # compiled once, kept for the next process
    again = make_environment(templates, {}, cache)
    assert again.get_template("a.html").render(text="x", day=None) == "x  "
