import pytest

from site_builder.config import load_config
from site_builder.errors import BuildError
from site_builder.urls import Urls


def errors_of(tmp_path, text):
    (tmp_path / "site.toml").write_text(text)
    with pytest.raises(BuildError) as info:
        load_config(tmp_path)
    return [d.format() for d in info.value.diagnostics]


def test_defaults_without_a_file(tmp_path):
    config = load_config(tmp_path)
    assert Urls(config.base_url).base_path == "/"
    assert config.runtime.source == "self-hosted"
    assert config.runtime.timeout == 30.0


def test_project_site_prefix(tmp_path):
    (tmp_path / "site.toml").write_text('base_url = "https://me.github.io/notes"\n')
    assert Urls(load_config(tmp_path).base_url).base_path == "/notes/"


def test_invalid_toml_names_line_and_column(tmp_path):
    assert errors_of(tmp_path, 'title = "x"\nbase_url = \n') == [
        "site.toml:2:12: error: invalid TOML: Invalid value"
    ]


def test_every_problem_reported_at_once(tmp_path):
    text = 'titel = "x"\nbase_url = "ftp://x/"\n[runtime]\nsource = "cloud"\ntimeout = -1\n'
    assert errors_of(tmp_path, text) == [
        "site.toml:1: error: unknown key 'titel'\n  hint: known keys: author, base_url, "
        "cache_dir, content_dir, csp, description, language, output_dir, passthrough, "
        "permalink, runtime, static_dir, templates_dir, title",
        "site.toml:2: error: 'base_url': expected an absolute http(s) URL, got 'ftp://x/'\n"
        '  hint: for a GitHub Pages project site: base_url = "https://USER.github.io/REPO/"',
        "site.toml:4: error: 'runtime.source': expected one of self-hosted, cdn, none, got 'cloud'",
        "site.toml:5: error: 'runtime.timeout': expected a number of seconds above 0, at most "
        "86,400, got -1",
    ]


def test_bad_base_path(tmp_path):
    assert errors_of(tmp_path, 'base_url = "https://x.io/a/../b/"\n') == [
        "site.toml:1: error: 'base_url': expected a host and a plain folder like /repo/ "
        "(no spaces, '%', '..'), got 'https://x.io/a/../b/'"
    ]
