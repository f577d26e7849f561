"""In the browser (the build side: tests/site/test_packages.py)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from site_builder import packages
from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import open_ready, saved_snapshots, seen, serve_folder, tree
from tests.site.test_packages import (
    SDIST_ARTICLE,
    SYMPY,
    built,
    dist_site,
    error_of,
    lock_of,
    package_site,
    sha256,
)

pytestmark = pytest.mark.browser


@pytest.mark.browser
def test_a_pure_package_published_only_as_an_sdist_is_built_locked_and_shipped(
    tmp_path: Path, page
) -> None:
    """docopt is on the package index as a source distribution only: the build makes its
    wheel (pure Python, so the browser can use it), locks the sdist's digest, rebuilds
    the same wheel from a verified sdist on a machine without the cache, refuses an sdist
    that is not the locked one, and the reader's Python runs it."""
    root = package_site(tmp_path / "site", {"content/opts.md": SDIST_ARTICLE})
    site = built(root)
    [(name, entry)] = lock_of(root)["files"].items()
    assert name == "docopt-0.6.2-py2.py3-none-any.whl" and entry["source"] == "sdist"
    assert entry["imports"] == ["docopt"]
    assert "Parsed at build time: 3." in (site / "opts" / "index.html").read_text()
    wheel = root / ".cache" / "packages" / entry["sha256"][:16] / name
    made = sha256(wheel)
    # Another machine: the lock, no cache. The same wheel, from the sdist the lock names.
    shutil.rmtree(root / ".cache" / "packages")
    shutil.rmtree(root / ".site-cache")
    shipped = tree(site)
    built(root)
    assert sha256(wheel) == made and tree(root / "_site") == shipped
    # A built wheel changed in the cache is built again, not shipped.
    wheel.write_bytes(b"not a wheel")
    build(load_config(root), incremental=False)
    assert sha256(wheel) == made and tree(root / "_site") == shipped
    # The index serving another sdist than the locked one is refused.
    lock = lock_of(root)
    lock["files"][name]["sha256"] = "0" * 64
    (root / packages.LOCK_NAME).write_text(json.dumps(lock))
    assert "does not match the SHA-256 packages-lock.json records" in error_of(root)
    server, url = serve_folder(site)
    try:
        open_ready(page, url + "opts/")
        page.fill("input[type=text]", "41")
        deadline = time.monotonic() + 30
        while seen(page, ".xw-result") != "41":
            assert time.monotonic() < deadline, "the reader's Python never parsed the input"
            time.sleep(0.1)
    finally:
        server.shutdown()
    assert page.errors == []


@pytest.mark.browser
def test_packages_run_in_the_browser(
    page, dateutil_site: Path, distribution: Path, tmp_path: Path
) -> None:
    """Both routes load in Pyodide from the site itself: the values for a new input exist
    only once the browser's Python has run the package's code."""
    cases = [
        (dateutil_site / "_site", "months/", "13", "2025-02-28"),
        (built(dist_site(tmp_path / "dist", distribution)), "big/", "3400000", "3.4 million"),
    ]
    for site, path, value, expected in cases:
        server, url = serve_folder(site)
        page.goto("about:blank")  # the previous case's page (its favicon) asks for no more
        requests: list[str] = []
        page.on("request", lambda r, seen=requests: seen.append(r.url))
        try:
            open_ready(page, url + path)
            assert expected not in page.content()
            page.locator("input[type=range]").fill(value)
            page.wait_for_function(
                "t => document.querySelector('.xw-result').textContent.includes(t)",
                arg=expected,
                timeout=30_000,
            )
            assert expected in seen(page, ".xw-result")
        finally:
            server.shutdown()
        assert any(r.startswith(url + "_pyodide/packages/image.") for r in requests)
        assert [r for r in requests if not r.startswith(url)] == []  # nothing from elsewhere
    assert page.errors == []


@pytest.mark.browser
def test_the_example_article_computes_with_mpmath_in_the_browser(page, example_url: str):
    """content/sigmoid-precision loads mpmath from PyPI (via the lock) and recomputes
    40-digit values live: at z = 30 no float has them."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_ready(page, example_url + "sigmoid-precision/")
    # The build ran the same mpmath (the locked wheel): the browser renders what it built.
    built = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('.xw-output.xw-value')]"
        ".map(e => [e.dataset.xwOutput, e.querySelector('.xw-result').textContent]))"
    )
    live = page.evaluate("xw.renderAll()")["outputs"]
    assert len(built) >= 6
    assert {k: live[k]["value"] for k in built} == built
    page.locator("input[type=range]").fill("30")
    exact = "9.357622968839298953839563e-14"  # 1 − σ(30) to 25 digits
    page.wait_for_function(
        "t => [...document.querySelectorAll('.xw-result')].some(e => e.textContent.includes(t))",
        arg=exact,
        timeout=30_000,
    )
    assert any(r.startswith(example_url + "_pyodide/packages/image.") for r in requests)
    # The next visit starts from the snapshot this one saved, mpmath imported already.
    [key] = saved_snapshots(page)
    assert "mpmath" in key and "image=" in key and not key.endswith("image=")
    open_ready(page, example_url + "sigmoid-precision/")
    assert page.evaluate("document.documentElement.dataset.xwStartedFrom") == "snapshot"
    page.locator("input[type=range]").fill("30")
    page.wait_for_function(
        "t => [...document.querySelectorAll('.xw-result')].some(e => e.textContent.includes(t))",
        arg=exact,
        timeout=30_000,
    )


@pytest.mark.browser
def test_a_page_with_a_large_package_image_starts_from_its_snapshot(tmp_path, browser) -> None:
    """SymPy's image makes a snapshot larger than the heap Pyodide is compiled with; the
    second visit starts from it all the same (it failed with "offset is out of bounds")."""
    from tests.browser.test_pages import visits_making_then_using_a_snapshot

    root = package_site(tmp_path / "site", {"content/algebra.md": SYMPY})
    # The second visit must say it started from the snapshot (checked by the helper).
    for page in visits_making_then_using_a_snapshot(browser, root, "algebra/"):
        assert seen(page, "[data-xw-output=w0o0] .xw-result") == "x**2 + 4*x + 4"
