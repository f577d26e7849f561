"""Posts written for Jekyll (Liquid, kramdown, site-root assets, date-prefixed names) build
with only warnings, each at its line and saying what to write instead."""

from __future__ import annotations

import pytest

from site_builder.build import BuildError, build
from site_builder.config import load_config
from site_builder.errors import Collector
from site_builder.jekyll import convert


def _convert(body: str) -> tuple[str, list[str]]:
    problems = Collector()
    out = convert(body, 1, "p.md", problems)
    assert out.count("\n") == body.count("\n")  # line for line: later lines keep numbers
    return out, [d.format().split("\n")[0] for d in problems.warnings + problems.errors]


def test_the_cheap_common_cases_are_rewritten():
    out, warnings = _convert(
        '![a]({{ site.baseurl }}/images/a.png) <a href="{{ "/about/" | relative_url }}">x</a>\n'
        "{% highlight python linenos %}\n"
        "print({{ 'not liquid in code' }})\n"
        "{% endhighlight %}\n"
        "{% raw %}{{ kept as written }}{% endraw %} and {% raw %}\n"
        "{% also kept %}\n"
        "{% endraw %}\n"
        "{% comment %}\ngone\n{% endcomment %}\n"
        "{::comment}\nalso gone\n{:/comment}\n"
        "* TOC\n{:toc}\n"
    )
    assert out.split("\n") == [
        '![a](/images/a.png) <a href="/about/">x</a>',
        "```python",
        "print({{ 'not liquid in code' }})",
        "```",
        "{{ kept as written }} and ",
        "{% also kept %}",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "[TOC]",
        "",
        "",
    ]
    assert warnings == []


def test_liquid_the_build_does_not_run_is_a_warning_at_its_line():
    _, warnings = _convert(
        "Text\n"
        "{% include figure.html src='a.png' %}\n"
        "By {{ page.author }}.\n"
        "```liquid\n{% include shown.html %}\n```\n"
        "In code: `{{ page.title }}`.\n"
        "{% for post in site.posts %}\n"
    )
    assert warnings == [
        "p.md:2: warning: Liquid tag {% include %} is not run (left out)",
        "p.md:3: warning: Liquid output {{ page.author }} is not run (left out)",
        "p.md:8: warning: Liquid tag {% for %} is not run (left out)",
    ]


def test_parse_block_html_renders_the_markdown_inside_html_blocks():
    out, _ = _convert(
        '{::options parse_block_html="true" /}\n<div class="note">\n*emphasis* and $x$\n</div>\n'
    )
    assert out.split("\n")[1] == '<div markdown="1" class="note">'


def test_a_small_jekyll_blog_builds_with_only_warnings(make_site):
    root = make_site(
        {
            "site.toml": 'title = "Blog"\nbase_url = "https://me.github.io/blog/"\n'
            'passthrough = ["images", "js"]\n',
            "content/2019-03-04-First-Post.md": "---\nlayout: post\ntitle: First post\n"
            "comments: true\ncategories: notes math\n---\n\n"
            "![Plot]({{ site.baseurl }}/images/plot.png)\n\n"
            "{% highlight python %}\nprint('hi')\n{% endhighlight %}\n\n"
            "$$\n\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}\n$$\n\n"
            "Read [the second]({{ site.baseurl }}/second/).\n",
            "content/2019-04-01-second.md": "---\ntitle: Second\npermalink: /second/\n---\n\n"
            '{::options parse_block_html="true" /}\n\n<div class="box">\n'
            "Some *Markdown* with $x^2$.\n</div>\n\n"
            "{% include video.html id='abc' %}\n\n"
            '<script src="{{ site.baseurl }}/js/plot.js"></script>\n',
            "content/2019-05-01-draft.md": "---\ntitle: Not yet\npublished: false\n---\n\nx\n",
            "images/plot.png": b"\x89PNG plot",
            "js/plot.js": "console.log(1);\n",
        }
    )
    result = build(load_config(root))
    site = root / "_site"
    first = (site / "first-post" / "index.html").read_text()
    assert 'src="/blog/images/plot.png"' in first and 'href="/blog/second/"' in first
    assert '<div class="highlight"><pre><span></span><code><span class="nb">print</span>' in first
    assert "<mtable" in first and "{%" not in first and "{{" not in first
    second = (site / "second" / "index.html").read_text()
    assert "<em>Markdown</em>" in second and "<math" in second
    assert 'src="/blog/js/plot.js"' in second
    assert not (site / "draft").exists() and not (site / "not-yet").exists()
    assert (site / "images" / "plot.png").read_bytes() == b"\x89PNG plot"
    assert [(w.path, w.line, w.message) for w in result.warnings] == [
        ("content/2019-04-01-second.md", 12, "Liquid tag {% include %} is not run (left out)"),
    ]
    index = (site / "index.html").read_text()
    assert index.index("Second") < index.index("First post")  # dated by their names
    assert "2019-03-04" in first and (site / "tags" / "notes" / "index.html").is_file()


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2018-12-13 09:00:00 -0700", "2018-12-13"),  # Jekyll's own format
        ("2018-12-13 23:30:00 +0100", "2018-12-13"),  # the day as written, not UTC's
        ('"2018-12-13"', "2018-12-13"),
        ("2018-12-13T09:00Z", "2018-12-13"),
        ("2018-1-5 10:00 PST", "2018-01-05"),
    ],
)
def test_a_posts_date_may_carry_a_time_and_a_zone(make_site, written, day):
    root = make_site({"content/p.md": f"---\ntitle: P\ndate: {written}\n---\n\nx\n"})
    build(load_config(root))
    assert f'<time datetime="{day}">' in (root / "_site" / "p" / "index.html").read_text()


def test_a_date_that_is_no_date_is_an_error_at_its_line(make_site):
    root = make_site({"content/p.md": "---\ntitle: P\ndate: 2018-13-45 09:00\n---\n\nx\n"})
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value).startswith("content/p.md:3: error: front matter 'date': expected")


def test_kramdown_attributes_on_the_line_before_a_block_apply_to_it(make_site):
    """kramdown reads `{: .note}` on the line before a paragraph or heading as that
    block's attributes; so does the build (Python-Markdown wants them after)."""
    root = make_site(
        {
            "content/k.md": "---\ntitle: K\n---\n\n{: .note}\nA note\nover two lines.\n\n"
            "{: #intro .lead}\n## Intro\n\nAfter, as Python-Markdown has it\n{: .after}\n\n"
            "Plain.\n\n{::nomarkdown}\nNot an attribute list.\n"
        }
    )
    build(load_config(root))
    page = (root / "_site" / "k" / "index.html").read_text()
    assert '<p class="note">A note\nover two lines.</p>' in page
    assert '<h2 class="lead" id="intro">Intro' in page
    assert '<p class="after">After, as Python-Markdown has it</p>' in page
    assert "<p>Plain.</p>" in page
    assert "<p>Not an attribute list.</p>" in page  # {::x} is kramdown's other braces
    assert "{:" not in page


JEKYLL_SITE = {
    "_config.yml": "title: My ML notes\ndescription: Notes on models\nauthor:\n  name: Ada\n"
    "url: https://ada.github.io\nbaseurl: /notes\npermalink: /:year/:month/:title/\n"
    "plugins: [jekyll-feed, jekyll-seo-tag]\nmarkdown: kramdown\nmathjax: true\n",
    "_posts/2018-01-20-Visual-Intro.md": "---\nlayout: post\ncomments: true\n"
    "categories: [ml, intro]\n---\n\n"
    "* TOC\n{:toc}\n\n## Start\n\n"
    "![Net]({{ site.baseurl }}/images/net.png)\n\n"
    "{% include figure.html file='x' %}\n\n"
    "$$\\sigma(z) = \\frac{1}{1+e^{-z}}$$\n",
    "_posts/2018-02-01-second-post.markdown": '---\ntitle: "Second: more"\n'
    "excerpt: A short one.\n---\n\nSee [the first]({{ site.baseurl }}/visual-intro/).\n\n"
    '<div class="box" markdown="1">\n*boxed*\n</div>\n',
    "_drafts/an-idea.md": "---\ntitle: An idea\n---\n\nLater.\n",
    "_layouts/post.html": "<html>{{ content }}</html>\n",
    "_includes/figure.html": "<figure></figure>\n",
    "about.md": "---\nlayout: page\ntitle: About\npermalink: /about/\n---\n\nAbout me.\n",
    "index.html": "---\nlayout: home\n---\n{% for post in site.posts %}{% endfor %}\n",
    "images/net.png": b"\x89PNG net",
    "js/d3.min.js": "// d3\n",
    "CNAME": "notes.example.org\n",
    "Gemfile": "source 'https://rubygems.org'\n",
}


def test_import_jekyll_moves_a_blog_in_and_it_builds(make_site, tmp_path, capsys):
    from site_builder.cli import main
    from tests.conftest import write_files

    source = tmp_path / "jekyll"
    write_files(source, JEKYLL_SITE)
    root = make_site({"site.toml": '[runtime]\nsource = "none"\n'})
    assert main(["--root", str(root), "import-jekyll", str(source)]) == 0
    printed = capsys.readouterr().out
    content = sorted(p.name for p in (root / "content").iterdir())
    assert content == ["about.md", "an-idea.md", "second-post.md", "visual-intro.md"]
    intro = (root / "content" / "visual-intro.md").read_text()
    assert intro.startswith(
        "---\nlayout: post\ncomments: true\ncategories: [ml, intro]\n"
        'title: "Visual intro"\ndate: 2018-01-20\naliases: ["/2018/01/Visual-Intro/"]\n---\n'
    )  # its old address (permalink /:year/:month/:title/) redirects to it
    assert "{{ site.baseurl }}/images/net.png" in intro  # the body byte for byte
    assert "draft: true" in (root / "content" / "an-idea.md").read_text()
    assert (root / "images" / "net.png").is_file() and (root / "CNAME").is_file()
    assert not (root / "Gemfile").exists()
    config = load_config(root)
    assert config.title == "My ML notes" and config.author == "Ada"
    assert config.base_url == "https://ada.github.io/notes/"
    assert config.passthrough == ("CNAME", "images", "js")
    assert config.runtime.source == "none"  # what was there stays
    for expected in (
        "imported: 2 file(s) from _posts/ into content/",
        "imported: published as they are (passthrough): CNAME, images, js",
        "left: 1 Liquid construct(s) the build does not run, in 1 post(s) (visual-intro.md)",
        "left: _layouts/: layouts: port what you need into templates/",
        "left: index.html: made by this builder (templates/); not copied",
        "left: _config.yml plugins: jekyll-feed, jekyll-seo-tag (not run here)",
        "imported: old addresses (permalink '/:year/:month/:title/'): each post is at "
        "/<slug>/ now, and a page at its old address redirects there",
    ):
        assert expected in printed, expected
    # Importing again overwrites nothing and says so.
    assert main(["--root", str(root), "import-jekyll", str(source)]) == 0
    assert "visual-intro.md is in content/ already; left as it was" in capsys.readouterr().out

    result = build(config)
    site = root / "_site"
    page = (site / "visual-intro" / "index.html").read_text()
    assert 'src="/notes/images/net.png"' in page and '<div class="toc">' in page
    assert "<math" in page and "{{" not in page and "{%" not in page
    second = (site / "second-post" / "index.html").read_text()
    assert 'href="/notes/visual-intro/"' in second and "<em>boxed</em>" in second
    assert (site / "about" / "index.html").is_file() and (site / "CNAME").is_file()
    assert not (site / "an-idea").exists()
    assert (site / "tags" / "ml" / "index.html").is_file()
    assert "A short one." in (site / "index.html").read_text()
    moved = (site / "2018" / "01" / "Visual-Intro" / "index.html").read_text()
    assert 'href="https://ada.github.io/notes/visual-intro/"' in moved  # canonical
    assert [(w.path, w.line, w.message) for w in result.warnings] == [
        ("content/visual-intro.md", 17, "Liquid tag {% include %} is not run (left out)")
    ]
