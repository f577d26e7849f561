"""csp.py: the page's policy, what authors may add to it, and the raw HTML it would block."""

from site_builder import csp
from site_builder.errors import Collector


def test_an_extension_is_checked_directive_by_directive():
    ext, problem = csp.check_extension({"frame-src": "https://www.youtube.com", "img-src": []})
    assert problem == "" and ext == (("frame-src", ("https://www.youtube.com",)), ("img-src", ()))
    assert "unknown directive 'frame-srcs'" in csp.check_extension({"frame-srcs": []})[1]
    assert "is not a CSP source" in csp.check_extension({"img-src": ["a; script-src *"]})[1]
    assert csp.check_extension(["img-src"])[0] is None


def test_the_policy_adds_the_runtime_origin_hashes_and_extensions():
    ext, _ = csp.check_extension({"img-src": ["https://example.org"]})
    text = csp.policy(ext, origin="https://cdn.example", style_hashes=["'sha256-x'"])
    directives = dict(part.split(" ", 1) for part in text.split("; "))
    assert directives["script-src"] == "'self' 'wasm-unsafe-eval' https://cdn.example"
    assert directives["img-src"] == "'self' data: https://example.org"
    assert directives["style-src"] == "'self' 'unsafe-hashes' 'sha256-x'"
    assert "unsafe-eval'" not in directives["script-src"].replace("wasm-unsafe-eval", "")
    # A directive the base leaves to default-src starts from default-src's sources.
    frame, _ = csp.check_extension({"frame-src": ["https://player.example"]})
    assert "frame-src 'self' https://player.example" in csp.policy(frame)


def test_allows_matches_hosts_wildcards_and_paths_by_the_fallback_chain():
    ext, _ = csp.check_extension(
        {"frame-src": ["*.youtube.com"], "img-src": ["https://example.org/pics/"]}
    )
    chain = ("frame-src", "child-src", "default-src")
    assert csp.allows((ext,), chain, "https://www.youtube.com/embed/x")
    assert not csp.allows((ext,), chain, "https://youtube.com.evil.example/embed")
    assert csp.allows((ext,), ("img-src", "default-src"), "https://example.org/pics/a.png")
    assert not csp.allows((ext,), ("img-src", "default-src"), "https://example.org/other.png")
    assert not csp.allows((), chain, "https://www.youtube.com/")  # the base allows the site only


def test_raw_html_the_policy_blocks_is_a_warning_at_its_line():
    problems = Collector()
    prose = [
        (3, "Some text."),
        (7, '<iframe src="https://www.youtube.com/embed/x"></iframe>'),
        (9, '<img src="/local.png" alt="">'),
        (11, "    <script>indented code is not markup</script>"),
    ]
    csp.blocked_by_csp(prose, "content/a.md", problems)
    blocked = [(w.line, w.message.split(" blocks ")[1]) for w in problems.warnings]
    assert blocked == [
        (7, "content from another site (a frame, image, media or stylesheet) in the browser")
    ]
    handlers = Collector()
    csp.blocked_by_csp([(2, '<p onclick="go()">Go</p>')], "content/a.md", handlers)
    assert "inline event handler" in handlers.warnings[0].message and handlers.warnings[0].hint
    allowed, _ = csp.check_extension({"frame-src": ["https://www.youtube.com"]})
    quiet = Collector()
    csp.blocked_by_csp(prose, "content/a.md", quiet, (allowed,))
    assert quiet.warnings == []
