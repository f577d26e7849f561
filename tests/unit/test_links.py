"""Links: pages scanned, packed for the state, checked (site_builder/links.py)."""

from site_builder.links import Link, Scan, check_links, pack, scan_page, unpack
from site_builder.urls import Urls

URLS = Urls("https://me.github.io/repo/")


def test_scans_pack_and_check():
    page = '<h2 id="one">x</h2><a href="/repo/b/#two">b</a><img src="/repo/nope.png">'
    scan = scan_page("a/index.html", page, URLS)
    assert scan == Scan(
        [Link("/repo/b/#two", "b/index.html", "two"), Link("/repo/nope.png", "nope.png", "")],
        {"one"},
    )
    assert unpack(pack(scan)) == scan
    scans = {"a/index.html": pack(scan), "b/index.html": Scan([], {"tow"})}
    files = {"a/index.html": "content/a.md", "b/index.html": "content/b.md"}
    source = {"content/a.md": "---\ntitle: A\n---\n[b](/b/#two)\n![](/nope.png)\n"}
    found = check_links(scans, files, URLS, source.__getitem__, ["a/index.html"])
    assert [d.format() for d in found] == [
        "content/a.md:4: error: broken anchor '/repo/b/#two': b/index.html has no id 'two' "
        "(did you mean #tow?)",
        "content/a.md:5: error: broken link '/repo/nope.png': no file 'nope.png' in the site",
    ]


def test_links_are_read_as_a_browser_reads_the_page():
    page = (
        '<ul><li><a href="/repo/in-list/">a</a></li></ul>\n'
        '<a title="a > b" href="/repo/after-gt/">b</a>\n'  # ">" inside an attribute value
        "<a href=' /repo/spaced/ '>c</a>\n"  # browsers strip the spaces
        '<a href="/repo/bro\nken/">d</a>\n'  # and newlines inside
        "<!-- <a href='/repo/commented/'>x</a> -->\n"
        "<script>let s = '<a href=\"/repo/in-script/\">';</script>\n"
        "<script src=/repo/app.js></script>\n"  # an unquoted value
        '<img srcset="/repo/a.png 1x, /repo/b.png 2x"><video poster="/repo/p.jpg"></video>\n'
        '<form action="/repo/search/"></form><object data="/repo/o.svg"></object>\n'
        '<a href="/repo/first/" href="/repo/second/">e</a><p id="here" ID="there">\n'
    )
    scan = scan_page("x/index.html", page, URLS)
    assert sorted(link.link for link in scan.links) == sorted(
        [
            "/repo/in-list/",
            "/repo/after-gt/",
            "/repo/spaced/",
            "/repo/broken/",
            "/repo/app.js",
            "/repo/a.png",
            "/repo/b.png",
            "/repo/p.jpg",
            "/repo/search/",
            "/repo/o.svg",
            "/repo/first/",
        ]
    )
    assert scan.ids == {"here"}


def test_broken_links_name_the_right_line_and_suggest_what_authors_write():
    files = {
        "index.html": "site",
        "guide/index.html": "content/guide.md",
        "static/css/site.1a2b3c4d5e.css": "static/css/site.css",
        "notes/index.html": "content/notes.md",
        "notes/figure.png": "content/notes/figure.png",
    }
    renames = {"static/css/site.css": "static/css/site.1a2b3c4d5e.css"}
    page = (
        '<a href="/repo/a">1</a> <a href="/repo/guid/">2</a>'
        '<link href="/repo/static/css/sit.css"><img src="/repo/figure.png">'
    )
    scans = {"index.html": scan_page("index.html", page, URLS)}
    source = (
        "---\ntitle: T\n---\nA line about a cat and a dog.\n"  # "a" appears, not as a link
        "[guide](/guid/)\n"
        '<link href="/static/css/sit.css">\n'
        "![](/figure.png)\n"
        "Short: [a](/a)\n"
    )
    files["index.html"] = "content/i.md"
    found = check_links(scans, files, URLS, lambda _: source, ["index.html"], renames=renames)
    assert sorted(d.format() for d in found) == [
        "content/i.md:5: error: broken link '/repo/guid/': no file 'guid/index.html' in the "
        "site (did you mean '/guide/' (content/guide.md)?)",
        "content/i.md:6: error: broken link '/repo/static/css/sit.css': no file "
        "'static/css/sit.css' in the site (did you mean '/static/css/site.css'?)",
        "content/i.md:7: error: broken link '/repo/figure.png': no file 'figure.png' in the "
        "site (did you mean '/notes/figure.png'?)",
        "content/i.md:8: error: broken link '/repo/a': no file 'a' in the site",
    ]
