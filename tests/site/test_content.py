import os

import pytest

from site_builder.content import find_sources, normalize_front_matter, read_text, split_front_matter
from site_builder.errors import Collector


def front(text):
    problems = Collector()
    split = split_front_matter(text, "a.md", problems)
    meta = None
    if split:
        meta = normalize_front_matter(split[0], split[1], "a.md", problems)
    return split, meta, [d.format() for d in problems.errors + problems.warnings]


def test_typed_values_and_body_line():
    split, meta, diags = front("---\ntitle: T\ndate: 2024-01-02\ntags: x\n---\nbody\n")
    assert diags == []
    assert meta.title == "T" and meta.date.isoformat() == "2024-01-02" and meta.tags == ("x",)
    assert split[2] == "body\n" and split[3] == 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "---\ntitle: [unclosed\n---\n",
            "a.md:2:17: error: invalid YAML in front matter: "
            "expected ',' or ']', but got '<stream end>'",
        ),
        ("---\ntitle: T\n", "a.md:1: error: front matter opened here is never closed with '---'"),
        (
            "---\ntitle: T\ndate: 2024-13-01\n---\n",
            "a.md:3: error: front matter 'date': expected a date as YYYY-MM-DD (a time and "
            "zone after it are allowed), got '2024-13-01'",
        ),
        (
            "---\ntitle: [a, b]\n---\n",
            "a.md:2: error: front matter 'title': expected a non-empty string, got ['a', 'b']",
        ),
        (
            "---\nsummary: s\n---\n",
            "a.md:1: error: front matter has no 'title'\n  hint: add a line: title: My article",
        ),
        (
            "---\ntitle: T\ndraft: maybe\n---\n",
            "a.md:3: error: front matter 'draft': expected true or false, got 'maybe'",
        ),
        (
            "---\ntitle: T\nslug: ../../etc/passwd\n---\n",
            "a.md:3: error: front matter 'slug': expected lowercase words separated by '-' or '/', "
            "with no '..' (e.g. my-article), got '../../etc/passwd'",
        ),
        (
            "",
            "a.md:1: error: empty file\n  hint: start with front matter:\n        ---\n"
            "        title: ...\n        ---",
        ),
    ],
)
def test_front_matter_errors(text, expected):
    assert front(text)[2][0] == expected


def test_unknown_key_is_a_warning():
    _, meta, diags = front("---\ntitle: T\ncolour: red\n---\n")
    assert meta is not None
    assert diags[0].startswith("a.md:3: warning: unknown front matter key 'colour' (ignored)")


def test_binary_and_bad_encoding(tmp_path):
    problems = Collector()
    (tmp_path / "b.md").write_bytes(b"\x00\x01binary")
    (tmp_path / "c.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    assert read_text(tmp_path / "b.md", "b.md", problems) is None
    assert read_text(tmp_path / "c.md", "c.md", problems) is None
    assert [d.format() for d in problems.errors] == [
        "b.md:1: error: this is a binary file, not a Markdown article",
        "c.md:2:11: error: not valid UTF-8 (byte 0xe9)\n  hint: save the file as UTF-8",
    ]


def test_sources_bundles_and_symlinks(tmp_path):
    content = tmp_path / "content"
    (content / "bundle" / "data").mkdir(parents=True)
    (content / "bundle" / "index.md").write_text("x")
    (content / "bundle" / "notes.md").write_text("x")  # a file of the bundle, not an article
    (content / "plain.md").write_text("x")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.md"
    outside.write_text("secret")
    os.symlink(outside, content / "leak.md")
    problems = Collector()
    found = find_sources(tmp_path, content, problems)
    assert [(s.slug, s.bundle is not None) for s in found] == [("bundle", True), ("plain", False)]
    assert [d.format() for d in problems.errors] == [
        "content/leak.md: error: symlink points outside the content folder, or into .git "
        f"(to {outside}); refused"
        "\n  hint: copy the file into the content folder instead"
    ]
