"""Faults, in the browser (the build side: tests/site/test_faults.py)."""

import threading

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import (
    ROOT,
    open_page,
    open_ready,
    seen,
    serve_folder,
    write_site,
)
from tests.site.test_faults import CDN_ARTICLE, PAYLOADS, _CorsHandler

pytestmark = pytest.mark.browser


@pytest.mark.browser
def test_hostile_text_is_inert_in_the_browser(page, hostile):
    _, url = hostile
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_ready(page, url + "h/")
    page.wait_for_selector(".xw-rows[data-xw-ready]", state="attached")
    for row in page.locator("[role=option]").all():
        row.hover()
        row.click()
    page.wait_for_timeout(300)  # let the last update land before reading the page
    body = seen(page, "body")
    for payload in PAYLOADS:
        assert payload in body  # shown as text, exactly as written
    assert dialogs == [] and page.errors == []


@pytest.mark.browser
def test_example_site_runs_under_its_csp_with_no_violations(page, example_url):
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    open_ready(page, example_url + "neural-network-math/")
    page.wait_for_selector(".xw-rows[data-xw-ready]", state="attached")
    page.locator("[role=option][data-row='2']").click()
    page.focus("#xw-in-x")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    assert violations == []
    csp = page.get_attribute("meta[http-equiv=Content-Security-Policy]", "content")
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp and "unsafe-inline" not in csp


@pytest.mark.browser
def test_worker_crash_is_reported_and_the_page_stays(browser, example_url):
    crashing = (
        "**/static/js/worker.*.js",
        lambda route: route.fulfill(
            status=200, content_type="text/javascript", body="throw new Error('worker boom');"
        ),
    )
    with open_page(browser, crashing) as page:
        page.goto(example_url + "neural-network-math/")
        page.wait_for_selector("html[data-xw-state=error]", state="attached", timeout=30_000)
        assert "the Python worker failed" in seen(page, ".xw-status")
        assert seen(page, "[data-xw-output=w0o1] .xw-result") == "0.500000"
        assert page.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("tampered", [False, True], ids=["intact", "tampered"])
def test_cdn_mode_checks_every_runtime_file(page, tmp_path, tampered):
    import functools
    import http.server
    import shutil

    runtime = tmp_path / "cdn"
    shutil.copytree(
        ROOT / ".cache" / "pyodide-314.0.7", runtime, ignore=shutil.ignore_patterns("snapshot-*")
    )
    if tampered:
        with open(runtime / "pyodide.asm.mjs", "a") as f:
            f.write("\n// changed on the way\n")
    cdn = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_CorsHandler, directory=str(runtime))
    )
    threading.Thread(target=cdn.serve_forever, daemon=True).start()
    cdn_url = f"http://127.0.0.1:{cdn.server_address[1]}/"
    root = write_site(
        tmp_path / "site",
        {
            "content/cdn.md": CDN_ARTICLE,
            "site.toml": f'base_url = "http://127.0.0.1:8000/"\n[runtime]\nsource = "cdn"\n'
            f'cdn_url = "{cdn_url}"\n',
        },
    )
    build(load_config(root))
    assert not (root / "_site" / "_pyodide").exists()  # nothing of the runtime is shipped
    server, url = serve_folder(root / "_site")
    try:
        page.goto(url + "cdn/")
        page.wait_for_selector(
            "html[data-xw-state=ready], html[data-xw-state=error]", state="attached", timeout=90_000
        )
        state = page.evaluate("document.documentElement.dataset.xwState")
        if tampered:
            assert state == "error"
            assert "pyodide.asm.mjs" in seen(page, ".xw-status")
            assert "failed its integrity check" in seen(page, ".xw-status")
        else:
            assert state == "ready"
            page.eval_on_selector(
                "#xw-in-n",
                "e => { e.value = 7; e.dispatchEvent(new Event('input', {bubbles: true})); }",
            )
            page.wait_for_selector("html[data-xw-updates]", state="attached")
            assert (
                seen(page, "[data-xw-output=w0o0] .xw-result") == "14"
            )  # an integer step gives ints
    finally:
        server.shutdown()
        cdn.shutdown()
