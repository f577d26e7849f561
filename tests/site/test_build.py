"""Whole builds: golden output, determinism, atomic output, bad input, links, GitHub Pages."""

import html
import re
import shutil
import sys

import pytest

from site_builder.build import build
from site_builder.config import load_config
from site_builder.errors import BuildError
from tests.conftest import tree
from tests.golden import EXPECTED, build_fixture

GOOD = {
    "content/first.md": "---\ntitle: First\ndate: 2024-01-01\ntags: [a]\n---\n\n## One\n\n"
    "See [second](/second/#two).\n",
    "content/second/index.md": "---\ntitle: Second\ndate: 2024-02-01\n---\n\n## Two\n\n"
    "```python build\nx = 21\n```\n\nx is {py}`x * 2`. [Data](data.csv)\n",
    "content/second/data.csv": "a,b\n1,2\n",
}


def test_golden_output(tmp_path):
    built = build_fixture(tmp_path)
    got, expected = tree(built), tree(EXPECTED)
    if got != expected:
        changed = EXPECTED.with_name("expected-changed")
        shutil.rmtree(changed, ignore_errors=True)
        shutil.copytree(built, changed)
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name] == expected[name], f"{name} differs; see tests/fixtures/expected-changed"


def test_site_files_and_order(make_site):
    root = make_site(GOOD)
    result = build(load_config(root))
    files = set(result.files_written.files)
    assert {
        "index.html",
        "first/index.html",
        "second/index.html",
        "second/data.csv",
        "tags/a/index.html",
        "404.html",
        "feed.xml",
        "sitemap.xml",
        "robots.txt",
        ".nojekyll",
    } <= files
    index = (root / "_site" / "index.html").read_text()
    assert index.index("Second") < index.index("First")  # newest first
    assert "x is 42." in (root / "_site" / "second" / "index.html").read_text()


def test_two_clean_builds_are_byte_identical(make_site, tmp_path):
    root = make_site(GOOD)
    build(load_config(root))
    first = tree(root / "_site")
    shutil.rmtree(root / "_site")
    shutil.rmtree(root / ".site-cache")
    build(load_config(root))
    assert tree(root / "_site") == first


def test_project_site_prefix_on_every_url(make_site):
    root = make_site(GOOD)
    build(load_config(root, {"base_url": "https://me.github.io/repo/"}))
    html = (root / "_site" / "first" / "index.html").read_text()
    assert 'href="/repo/second/#two"' in html
    assert 'href="/repo/static/css/site.' in html
    assert "https://me.github.io/repo/second/" in (root / "_site" / "sitemap.xml").read_text()


HEAD = "---\ntitle: T\n---\n"
# Nine times nine ... times nine values, written in a few lines with YAML aliases.
BOMB = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))
BAD = [
    (
        "two tags, one tag page",
        {"content/third.md": "---\ntitle: t\ntags: [Python 3, python-3]\n---\n"},
        [
            "content/third.md: error: tags 'Python 3' and 'python-3' would share the page "
            "tags/python-3/ (used in content/third.md)"
        ],
    ),
    (
        "a bundle file named like the page",
        {"content/second/index.html": "<p>mine</p>"},
        [
            "content/second/index.html: error: this bundle file would replace the article's own "
            "second/index.html"
        ],
    ),
    (
        "a module the browser's Python no longer has",
        {"content/old.md": "---\ntitle: o\n---\n\n```python exec\nimport imghdr\n```\n"},
        [
            "content/old.md:6: error: in the browser runtime: ModuleNotFoundError: No module "
            "named 'imghdr' in the browser's Python standard library (Pyodide 314.0.7, "
            f"Python 3.14; the build's Python {sys.version_info.major}."
            f"{sys.version_info.minor} still has it)"
        ],
    ),
    (
        "a build-only name in an output",
        {
            "content/built.md": "---\ntitle: b\n---\n\n```python build\nsecret = 3\n```\n\n"
            "```widget\ninputs:\n  x: {type: range, min: 0, max: 1, step: 1, value: 0}\n"
            "outputs:\n  - value: secret + x\n```\n"
        },
        [
            "content/built.md:13: error: output failed: NameError: name 'secret' exists only at "
            "build time: add it to export= on the `python build` cell at line 5 "
            "(e.g. ```python build export=secret)"
        ],
    ),
    *[
        (
            f"rows input: {what}",
            {
                "content/rows.md": "---\ntitle: r\n---\n\n```python build\n"
                f"people = {rows}\n```\n\n```widget\ninputs:\n"
                f"  who: {{type: rows, rows: people, key: id, value: {value}{extra}}}\n```\n"
            },
            [f"content/rows.md:11: error: rows of input 'who': {message}"],
        )
        for what, rows, value, extra, message in [
            (
                "a row without the key",
                "[{'id': 1}, {'name': 'B'}]",
                1,
                "",
                "KeyError: \"row 1 has no key column 'id' (its columns: 'name')\"",
            ),
            (
                "keys not unique",
                "[{'id': 1}, {'id': 2}, {'id': 1}]",
                1,
                "",
                "ValueError: rows 0 and 2 share the key 1: keys must be unique",
            ),
            (
                "a misspelt column",
                "[{'id': 1, 'name': 'A'}]",
                1,
                ", columns: [id, nmae]",
                "KeyError: \"no row has the column(s) 'nmae'\"",
            ),
            (
                "no row for the first value",
                "[{'id': 1}, {'id': 2}]",
                3,
                "",
                "ValueError: no row has the key 3 (value:); keys are like 1, 2",
            ),
        ]
    ],
    (
        "invalid YAML",
        {"content/first.md": "---\ntitle: [x\n---\n"},
        [
            "content/first.md:2:10: error: invalid YAML in front matter: expected ',' or ']', "
            "but got '<stream end>'"
        ],
    ),
    (
        "unterminated front matter",
        {"content/first.md": "---\ntitle: x\n"},
        ["content/first.md:1: error: front matter opened here is never closed with '---'"],
    ),
    (
        "date not a date",
        {"content/first.md": "---\ntitle: x\ndate: soon\n---\n"},
        [
            "content/first.md:3: error: front matter 'date': expected a date as YYYY-MM-DD "
            "(a time and zone after it are allowed), got 'soon'"
        ],
    ),
    (
        "unknown template",
        {"content/first.md": "---\ntitle: x\ntemplate: fancy.html\n---\n"},
        ["content/first.md:3: error: unknown template 'fancy.html'"],
    ),
    (
        "duplicate slug",
        {"content/third.md": "---\ntitle: x\nslug: first\n---\n"},
        [
            "content/third.md:3: error: file conflict: first/index.html is written by both "
            "content/first.md and content/third.md"
        ],
    ),
    (
        "unclosed fence",
        {"content/first.md": HEAD + "```python build\nx = 1\n"},
        ["content/first.md:4: error: fenced block opened with ``` is never closed"],
    ),
    (
        "binary file",
        {"content/first.md": b"\x89PNG\x00\x00"},
        ["content/first.md:1: error: this is a binary file, not a Markdown article"],
    ),
    ("empty file", {"content/first.md": ""}, ["content/first.md:1: error: empty file"]),
    (
        "cell exception",
        {"content/first.md": HEAD + "\n```python build\n1 / 0\n```\n"},
        ["content/first.md:6: error: ZeroDivisionError: division by zero"],
    ),
    (
        "unknown widget function",
        {"content/first.md": HEAD + "```widget\noutputs:\n  - value: sigmod(1)\n```\n"},
        ["content/first.md:6: error: output failed: NameError: name 'sigmod' is not defined"],
    ),
    (
        "html output not a string",
        {"content/first.md": HEAD + "```widget\noutputs:\n  - html: len('abc')\n```\n"},
        [
            "content/first.md:6: error: output failed: TypeError: an html output must return a "
            "str, "
            "got int"
        ],
    ),
    (
        "broken link",
        {"content/first.md": HEAD + "\nSee [it](/secnd/).\n"},
        [
            "content/first.md:5: error: broken link '/secnd/': no file 'secnd/index.html' in the "
            "site (did you mean '/second/' (content/second/index.md)?)"
        ],
    ),
    (
        "broken anchor",
        {"content/first.md": HEAD + "\nSee [it](/second/#tow).\n"},
        [
            "content/first.md:5: error: broken anchor '/second/#tow': second/index.html has no id "
            "'tow' (did you mean #two?)"
        ],
    ),
    (
        "missing data file",
        {"content/second/index.md": HEAD + "```python build\nopen('no.csv')\n```\n"},
        [
            "content/second/index.md:5: error: FileNotFoundError: [Errno 2] No such file or "
            "directory: 'no.csv'"
        ],
    ),
    (
        "template syntax",
        {
            "templates/404.html": "{% extends 'base.html' %}\n{% block main %}\n"
            "{{ oops( }}\n{% endblock %}\n"
        },
        ["templates/404.html:3: error: template syntax: unexpected '}', expected ')'"],
    ),
    (
        "undefined template variable",
        {
            "templates/404.html": "{% extends 'base.html' %}\n"
            "{% block main %}{{ nothing.here }}{% endblock %}\n"
        },
        ["templates/404.html:2: error: undefined variable: 'nothing' is undefined"],
    ),
    (
        "bad config",
        {"site.toml": 'base_url = "nope"\n'},
        ["site.toml:1: error: 'base_url': expected an absolute http(s) URL, got 'nope'"],
    ),
    (
        "two problems at once",
        {"content/first.md": "---\ntitle: 1\n---\n", "content/second/index.md": "---\n---\n"},
        [
            "content/first.md:2: error: front matter 'title': expected a non-empty string, got 1",
            "content/second/index.md:1: error: front matter has no 'title'",
        ],
    ),
    (
        "title a list",
        {"content/first.md": "---\ntitle: [a, b]\n---\n"},
        [
            "content/first.md:2: error: front matter 'title': expected a non-empty string, "
            "got ['a', 'b']"
        ],
    ),
    (
        "slug escaping the site",
        {"content/first.md": "---\ntitle: x\nslug: ../../etc/passwd\n---\n"},
        [
            "content/first.md:3: error: front matter 'slug': expected lowercase words separated "
            "by '-' or '/', with no '..' (e.g. my-article), got '../../etc/passwd'"
        ],
    ),
    (
        "image escaping the site",
        {"content/first.md": HEAD + "\n![x](../../../etc/passwd)\n"},
        [
            "content/first.md:5: error: link '../../../etc/passwd' points outside the site "
            "(base path /)"
        ],
    ),
    (
        "absolute image path",
        {"content/first.md": HEAD + "\n![x](/etc/passwd)\n"},
        ["content/first.md:5: error: broken link '/etc/passwd': no file 'etc/passwd' in the site"],
    ),
    (
        "symlink outside the project",
        {"content/leak.md": ("symlink", "/etc/hostname")},
        [
            "content/leak.md: error: symlink points outside the content folder, or into .git "
            "(to /etc/hostname); refused"
        ],
    ),
    (
        "cell syntax error",
        {"content/first.md": HEAD + "```python build\nif x\n```\n"},
        ["content/first.md:5:5: error: SyntaxError: expected ':'"],
    ),
    (
        "infinite loop",
        {
            "content/first.md": "---\ntitle: T\ntimeout: 1\n---\n```python build\nwhile 1:\n"
            "    pass\n```\n"
        },
        [
            "content/first.md:6: error: Python did not finish within 1 s (the article's time "
            "limit); stopped"
        ],
    ),
    (
        "cell writes outside the build",
        {"content/first.md": HEAD + "```python build\nopen('/etc/site-builder', 'w')\n```\n"},
        [
            "content/first.md:5: error: PermissionError: build-time Python may only write inside "
            "its working folder, not to /etc/site-builder"
        ],
    ),
    (
        "cell exits the process",
        {"content/first.md": HEAD + "```python build\nimport os\nos._exit(1)\n```\n"},
        ["content/first.md:5: error: Python exited the build process (exit code 1)"],
    ),
    (
        "exception in a bundle module",
        {
            "content/second/helper.py": "def f():\n    return {}['k']\n",
            "content/second/index.md": HEAD + "```python build\nimport helper\nhelper.f()\n```\n",
        },
        ["content/second/helper.py:2: error: KeyError: 'k'"],
    ),
    (
        "widget min greater than max",
        {
            "content/first.md": HEAD + "```widget\ninputs:\n  x: {type: range, min: 2, max: 1}\n"
            "```\n"
        },
        ["content/first.md:6: error: input 'x': min (2) is greater than max (1)"],
    ),
    (
        "widget step 0",
        {
            "content/first.md": HEAD + "```widget\ninputs:\n  x:\n    type: range\n    min: 0\n"
            "    max: 1\n    step: 0\n```\n"
        },
        ["content/first.md:10: error: input 'x': step must be greater than 0, got 0"],
    ),
    (
        "unknown input type",
        {"content/first.md": HEAD + "```widget\ninputs:\n  x: {type: knob}\n```\n"},
        ["content/first.md:6: error: input 'x': unknown input type 'knob'"],
    ),
    (
        "input defined twice",
        {
            "content/first.md": HEAD + "```widget\ninputs:\n  x: {type: checkbox}\n```\n\n"
            "```widget\ninputs:\n  x: {type: checkbox}\n```\n"
        },
        ["content/first.md:11: error: input 'x' is already defined on line 6"],
    ),
    (
        "ragged CSV",
        {
            "content/second/data.csv": "a,b\n1,2\n3,4,5\n",
            "content/second/index.md": HEAD + "```python build\nimport pandas as pd\n"
            "pd.read_csv('data.csv')\n```\n",
        },
        [
            "content/second/index.md:6: error: pandas.errors.ParserError: Error tokenizing data. "
            "C error: Expected 2 fields in line 3, saw 3"
        ],
    ),
    (
        "CSV with an unclosed quote",
        {
            "content/second/data.csv": 'a,b\n"1,2\n3,4\n',
            "content/second/index.md": HEAD + "```python build\nimport pandas as pd\n"
            "pd.read_csv('data.csv')\n```\n",
        },
        [
            "content/second/index.md:6: error: pandas.errors.ParserError: Error tokenizing data. "
            "C error: EOF inside string starting at row 1"
        ],
    ),
    (
        "CSV in the wrong encoding",
        {
            "content/second/data.csv": "name\nJos\xe9\n".encode("latin-1"),
            "content/second/index.md": HEAD + "```python build\nimport pandas as pd\n"
            "pd.read_csv('data.csv')\n```\n",
        },
        [
            "content/second/index.md:6: error: UnicodeDecodeError: 'utf-8' codec can't decode "
            "byte 0xe9 in position 3: unexpected end of data"
        ],
    ),
    (
        "non-UTF-8 article",
        {"content/first.md": "---\ntitle: caf\xe9\n---\n".encode("latin-1")},
        ["content/first.md:2:11: error: not valid UTF-8 (byte 0xe9)"],
    ),
    (
        "invalid config file",
        {"site.toml": 'title = "x\n'},
        ["site.toml:1:11: error: invalid TOML: Illegal character '\\n'"],
    ),
    (
        "bad base path",
        {"site.toml": 'base_url = "https://x.github.io/a//b/"\n'},
        [
            "site.toml:1: error: 'base_url': expected a host and a plain folder like /repo/ "
            "(no spaces, '%', '..'), got 'https://x.github.io/a//b/'"
        ],
    ),
    (
        "unknown config key",
        {"site.toml": 'titel = "x"\n'},
        ["site.toml:1: error: unknown key 'titel'"],
    ),
    (
        "YAML alias bomb in front matter",
        {
            "content/first.md": "---\ntitle: T\nl0: &l0 [x, x, x, x, x, x, x, x, x]\n"
            + BOMB
            + "---\n"
        },
        [
            "content/first.md:2: error: front matter expands to more than 50,000 values once "
            "its aliases are followed"
        ],
    ),
    (
        "YAML alias bomb in a widget",
        {
            "content/first.md": HEAD
            + "```widget\nl0: &l0 [x, x, x, x, x, x, x, x, x]\n"
            + BOMB
            + "outputs:\n  - value: 1\n```\n"
        },
        [
            "content/first.md:4: error: this widget's YAML expands to more than 50,000 values "
            "once its aliases are followed"
        ],
    ),
    (
        "keyboard step off the grid",
        {
            "content/first.md": HEAD + "```widget\ninputs:\n  x: {type: range, min: 0, max: 1, "
            "step: 0.1, keyboard_step: 0.25}\n```\n"
        },
        [
            "content/first.md:6: error: input 'x': keyboard_step must be a multiple of step "
            "(0.1), got 0.25"
        ],
    ),
    (
        "an infinite time limit",
        {"content/first.md": "---\ntitle: T\ntimeout: .inf\n---\n"},
        [
            "content/first.md:3: error: front matter 'timeout': expected a number of seconds "
            "above 0, at most 86,400, got inf"
        ],
    ),
    (
        "an infinite site time limit",
        {"site.toml": "[runtime]\ntimeout = inf\n"},
        [
            "site.toml:2: error: 'runtime.timeout': expected a number of seconds above 0, at "
            "most 86,400, got inf"
        ],
    ),
    (
        "credentials in base_url",
        {"site.toml": 'base_url = "https://me:secret@example.org/"\n'},
        [
            "site.toml:1: error: 'base_url' holds a user name or password; it would be "
            "published in every page, the feed and the sitemap"
        ],
    ),
    (
        "terminal escapes in a message",
        {
            "content/first.md": HEAD
            + "```python build\nraise ValueError('\\x1b[2J\\x1b]0;owned')\n```\n"
        },
        ["content/first.md:5: error: ValueError: \\x1b[2J\\x1b]0;owned"],
    ),
    (
        "a list nested hundreds deep",
        {
            "content/first.md": HEAD
            + "Fine.\n\n"
            + "\n".join("    " * i + "- item" for i in range(300))
            + "\n\nAfter.\n"
        },
        [
            "content/first.md:305: error: this Markdown is nested too deeply to render (the "
            "deepest nesting is here)"
        ],
    ),
    (
        "a run of ten thousand emphasis marks",
        {"content/first.md": HEAD + "Fine.\n\n" + "*" * 10_000 + "x" + "*" * 10_000 + "\n"},
        [
            "content/first.md:6: error: this Markdown is nested too deeply to render (the "
            "deepest nesting is here)"
        ],
    ),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_is_reported_and_the_site_is_untouched(make_site, files, expected):
    root = make_site(GOOD)
    build(load_config(root))
    before = tree(root / "_site")
    make_site(files)
    assert len(BAD) >= 25
    with pytest.raises(BuildError) as info:
        build(load_config(root))
    got = [d.format().split("\n")[0] for d in info.value.diagnostics if d.severity == "error"]
    assert got == expected
    assert tree(root / "_site") == before


def test_a_large_article_builds(make_site):
    paragraph = "Words and more words, with *emphasis* and `code`. " * 20 + "\n\n"
    root = make_site({"content/big.md": HEAD + paragraph * 10_000})  # about 10 MB
    assert (root / "content" / "big.md").stat().st_size > 10_000_000
    build(load_config(root))
    assert (root / "_site" / "big" / "index.html").stat().st_size > 10_000_000


def test_the_command_exits_non_zero_and_names_the_place(make_site):
    import subprocess
    import sys

    root = make_site({**GOOD, "content/first.md": "---\ntitle: [x\n---\n"})
    proc = subprocess.run(
        [sys.executable, "-m", "site_builder.cli", "--root", str(root), "build"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0].startswith("content/first.md:2:10: error: invalid YAML")
    assert proc.stderr.splitlines()[-1] == (
        "build failed: 1 error; the previous output was left as it was"
    )
    assert not (root / "_site").exists()


def test_tags_in_any_script_get_pages_of_their_own(make_site):
    root = make_site(
        {
            "content/ru.md": "---\ntitle: r\ntags: [Нейросети, C++, C#, C]\n---\n\n"
            "See [the tag](/tags/нейросети/).\n"  # an author's link, checked like any other
        }
    )
    build(load_config(root))
    pages = sorted(p.parent.name for p in (root / "_site" / "tags").glob("*/index.html"))
    assert pages == ["c", "c-plus-plus", "c-sharp", "нейросети"]
    sitemap = (root / "_site" / "sitemap.xml").read_text()
    assert "/tags/%D0%BD%D0%B5%D0%B9%D1%80%D0%BE%D1%81%D0%B5%D1%82%D0%B8/</loc>" in sitemap
    urls = re.findall(r"<loc>([^<]*)</loc>", sitemap)
    assert len(urls) == len(set(urls)) == 6  # the index, the article, four tags: none twice


def test_conventions_of_other_generators(make_site):
    """Front matter a Jekyll or Hugo post carries means here what it meant there."""
    root = make_site(
        {
            "content/kept.md": "---\ntitle: Kept\npermalink: /2019/03/kept-post/\n---\n\n"
            "The **first** part, with [a link](/2019/03/kept-post/) and $x^2$.\n\n"
            "<!--more-->\n\nThe rest.\n",
            "content/hidden.md": "---\ntitle: Hidden\npublished: false\n---\n\nNot yet.\n",
        }
    )
    build(load_config(root))
    site = root / "_site"
    assert (site / "2019" / "03" / "kept-post" / "index.html").is_file()  # permalink: slug
    assert not (site / "hidden").exists()  # published: false is a draft
    index = (site / "index.html").read_text()
    assert "<p>The first part, with a link and x^2.</p>" in index  # <!--more--> ends the summary
    assert "The rest" not in index and "Hidden" not in index


def test_raw_html_the_page_policy_blocks_is_a_warning_at_its_line(make_site):
    root = make_site(
        {
            "content/c.md": "---\ntitle: c\n---\n\n"
            '<div style="color: red">red</div>\n\n'
            "<script>alert(1)</script>\n\n"
            '<iframe src="https://www.youtube.com/embed/x"></iframe>\n\n'
            '<button onclick="go()">go</button>\n\n'
            '<script src="https://cdn.example/d3.js"></script>\n\n'
            "Code `<script>` is fine, and so is\n\n    <script>indented</script>\n"
        }
    )
    result = build(load_config(root))
    got = [(w.line, w.message.split(" blocks ")[1]) for w in result.warnings]
    assert got == [
        (5, "a style= attribute in the browser"),
        (7, "an inline <script> in the browser"),
        (9, "content from another site (a frame, image, media or stylesheet) in the browser"),
        (11, "an inline event handler (onclick= and the like) in the browser"),
        (13, "a script from another site in the browser"),
    ]


def test_a_failed_build_still_prints_its_warnings(make_site, capsys):
    from site_builder.cli import main

    root = make_site(
        {"content/w.md": "---\ntitle: w\nmystery: 1\n---\n\n<b style='x'>b</b> [gone](/gone/)\n"}
    )
    assert main(["--root", str(root), "build"]) == 1
    err = capsys.readouterr().err
    assert "content/w.md:6: error: broken link '/gone/'" in err
    assert "content/w.md:3: warning: unknown front matter key 'mystery'" in err
    assert "content/w.md:6: warning: the page's Content-Security-Policy blocks" in err
    assert "build failed: 1 error and 2 warnings;" in err


def test_the_page_policy_can_be_extended_by_the_site_and_an_article(make_site):
    root = make_site(
        {
            "site.toml": 'title = "t"\n\n[csp]\nframe-src = ["https://www.youtube-nocookie.com"]\n',
            "content/video.md": "---\ntitle: video\n---\n\n"
            '<iframe src="https://www.youtube-nocookie.com/embed/x"></iframe>\n\n'
            '<script src="https://d3js.org/d3.v7.min.js"></script>\n',
            "content/d3.md": "---\ntitle: d3\ncsp:\n  script-src: [https://d3js.org]\n---\n\n"
            '<script src="https://d3js.org/d3.v7.min.js"></script>\n\n'
            '<iframe src="https://player.vimeo.com/video/1"></iframe>\n',
        }
    )
    result = build(load_config(root))
    # Only what the policy still blocks is reported: the script without the article's
    # addition, the frame from a host nobody allowed.
    assert [(w.path, w.line, w.message.split(" blocks ")[1]) for w in result.warnings] == [
        (
            "content/d3.md",
            9,
            "content from another site (a frame, image, media or stylesheet) in the browser",
        ),
        ("content/video.md", 7, "a script from another site in the browser"),
    ]

    def policy(slug):
        page = (root / "_site" / slug / "index.html").read_text()
        found = re.search(r'Content-Security-Policy" content="([^"]*)"', page)
        return dict((d.split()[0], d.split()[1:]) for d in html.unescape(found[1]).split("; "))

    video, d3, index = policy("video"), policy("d3"), policy("")
    assert video["frame-src"] == ["'self'", "https://www.youtube-nocookie.com"]
    assert video["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert d3["script-src"] == ["'self'", "'wasm-unsafe-eval'", "https://d3js.org"]
    assert d3["frame-src"] == video["frame-src"] == index["frame-src"]  # the site's, everywhere
    assert "https://d3js.org" not in str(index)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"site.toml": 'title = "t"\n\n[csp]\nframe-source = ["https://x.org"]\n'},
            "site.toml:3: error: 'csp': expected unknown directive 'frame-source'",
        ),
        (
            {
                "content/a.md": "---\ntitle: a\ncsp:\n"
                '  img-src: ["https://x.org; script-src *"]\n---\n'
            },
            "content/a.md:3: error: front matter 'csp': expected 'img-src': "
            "'https://x.org; script-src *' is not a CSP source",
        ),
    ],
)
def test_a_bad_policy_addition_is_an_error_at_its_line(make_site, files, expected):
    root = make_site(files)
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value).startswith(expected)


def test_passthrough_folders_are_published_as_they_are(make_site):
    root = make_site(
        {
            "site.toml": 'title = "t"\nbase_url = "https://me.github.io/blog/"\n'
            'passthrough = ["images", "js", "CNAME"]\n',
            "content/post.md": "---\ntitle: Post\n---\n\n![a](/images/a.png)\n\n"
            '<img src="/images/sub/b.png" srcset="/images/sub/b.png 2x">\n\n'
            '<script src="/js/app.js"></script>\n',
            "images/a.png": b"\x89PNG a",
            "images/sub/b.png": b"\x89PNG b",
            "images/.DS_Store": b"hidden",
            "js/app.js": "let a = 1;\n",
            "CNAME": "example.org\n",
        }
    )
    build(load_config(root))
    site = root / "_site"
    assert (site / "images" / "a.png").read_bytes() == b"\x89PNG a"
    assert (site / "images" / "sub" / "b.png").read_bytes() == b"\x89PNG b"
    assert (site / "js" / "app.js").is_file() and (site / "CNAME").read_text() == "example.org\n"
    assert not (site / "images" / ".DS_Store").exists()
    page = (site / "post" / "index.html").read_text()
    assert 'src="/blog/images/a.png"' in page and 'src="/blog/js/app.js"' in page
    assert 'srcset="/blog/images/sub/b.png 2x"' in page
    # An edit to a passthrough file is published by the next (incremental) build.
    (root / "images" / "a.png").write_bytes(b"\x89PNG new")
    build(load_config(root))
    assert (site / "images" / "a.png").read_bytes() == b"\x89PNG new"
    (root / "images" / "a.png").unlink()  # and a link to a file that is gone is broken
    with pytest.raises(
        BuildError, match=r"content/post.md:5: error: broken link '/blog/images/a.png'"
    ):
        build(load_config(root))


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"robots.txt": "User-agent: *\n", "site.toml": 'passthrough = ["robots.txt"]\n'},
            "robots.txt: error: robots.txt is published from robots.txt and also made by the "
            "build (robots)",
        ),
        (
            {
                "images/index.html": "<p>x</p>",
                "content/images.md": "---\ntitle: I\n---\n",
                "site.toml": 'passthrough = ["images"]\n',
            },
            "content/images.md: error: file conflict: images/index.html is written by both "
            "images/index.html and content/images.md",
        ),
        (
            {"site.toml": 'passthrough = ["static", "../up", "nowhere"]\n'},
            "site.toml:1: error: 'passthrough': '../up': expected a path inside the project, "
            "such as images or assets/js\n"
            "site.toml:1: error: 'passthrough': 'nowhere': expected something that exists "
            "(nowhere is not there)\n"
            "site.toml:1: error: 'passthrough': 'static': expected not one of the project's own "
            "folders (static is)",
        ),
    ],
)
def test_passthrough_that_would_replace_a_page_is_an_error(make_site, files, expected):
    root = make_site(files)
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value).startswith(expected)


def test_front_matter_adds_scripts_and_styles_to_its_page(make_site):
    root = make_site(
        {
            "site.toml": 'title = "t"\nbase_url = "https://me.github.io/blog/"\n',
            "static/js/plot.js": "console.log(1);\n",
            "content/a/index.md": "---\ntitle: a\nscripts: [/static/js/plot.js, local.js, "
            "https://d3js.org/d3.v7.min.js]\nstyles: /static/css/site.css\n---\n\nText.\n",
            "content/a/local.js": "let b = 2;\n",
            "content/b.md": "---\ntitle: b\nscripts: [https://d3js.org/d3.v7.min.js]\n"
            "csp:\n  script-src: [https://d3js.org]\n---\n\nText.\n",
        }
    )
    result = build(load_config(root))
    page = (root / "_site" / "a" / "index.html").read_text()
    assert re.search(r'<script src="/blog/static/js/plot\.[0-9a-f]{10}\.js" defer>', page)
    assert '<script src="local.js" defer></script>' in page
    assert re.search(
        r'<link rel="stylesheet" href="/blog/static/css/site\.[0-9a-f]{10}\.css">\n<script', page
    )
    # Another site's script: a warning where the page's policy would block it, none where
    # the article allows that site.
    assert [(w.path, w.line, w.message) for w in result.warnings] == [
        (
            "content/a/index.md",
            3,
            "the page's Content-Security-Policy blocks https://d3js.org/d3.v7.min.js (scripts)",
        )
    ]


def test_unlisted_articles_are_published_but_not_listed(make_site):
    """`listed: false` (a guide's pages): the page and its sitemap entry exist; the home
    page, the tag pages and the feed leave it out, and listing it again updates them."""
    head = "---\ntitle: {title}\ndate: 2024-0{m}-01\ntags: [guide]\n{extra}---\n\nText.\n"
    root = make_site(
        {
            "content/intro.md": head.format(title="Intro", m=1, extra=""),
            "content/guide/part.md": head.format(title="Part", m=2, extra="listed: false\n"),
        }
    )
    build(load_config(root))
    site = root / "_site"
    assert (site / "guide/part/index.html").is_file()
    assert "/guide/part/" in (site / "sitemap.xml").read_text()
    for listing in ("index.html", "tags/guide/index.html", "feed.xml"):
        text = (site / listing).read_text()
        assert "Intro" in text and "Part" not in text, listing
    (root / "content/guide/part.md").write_text(head.format(title="Part", m=2, extra=""))
    build(load_config(root))
    for listing in ("index.html", "tags/guide/index.html", "feed.xml"):
        assert "Part" in (site / listing).read_text(), listing
    (root / "content/guide/part.md").write_text(head.format(title="Part", m=2, extra="listed: 1\n"))
    with pytest.raises(BuildError, match="listed"):
        build(load_config(root))
