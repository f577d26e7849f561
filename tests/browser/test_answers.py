"""Answers before Python, in the browser (the build side: tests/site/test_answers.py)."""

from __future__ import annotations

import json
import random
import re

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import READY, open_page, seen, serve_folder, write_site
from tests.site.test_answers import (
    BLOCKED,
    CSV_ARTICLE,
    NONE_SITE,
    SPLIT_SITE,
    _places,
    _set,
    _until,
    _value,
)

pytestmark = pytest.mark.browser


@pytest.mark.browser
def test_the_flagship_answers_with_the_runtime_blocked(browser, example_url):
    """Five of the flagship's six widgets answer at first paint without Python: sliders,
    prose, charts, the passenger table, play and a shared link; the sixth says it waits."""
    from tests.browser.test_pages import nn

    with open_page(browser, BLOCKED) as page:
        page.goto(example_url + "neural-network-math/?x=2.5&pid=3")
        _until(page, "() => document.documentElement.dataset.xwUpdates >= 1")
        assert _value(page, "w0o1") == f"{nn.sigmoid(2.5):.6f}"  # from the address
        assert "2.50" in page.get_attribute("[data-xw-output=w0o0] math", "alttext")
        for name in ("x", "t", "r"):
            assert page.is_enabled(f"#xw-in-{name}")
        for name in ("w_age", "w_sex", "b"):
            assert page.is_disabled(f"#xw-in-{name}")
        note = seen(page, "#widget-3 .xw-note")
        assert note.startswith("Not interactive") and "could not" in seen(page, ".xw-status")
        assert page.locator("#widget-1 .xw-note").is_hidden()
        _set(page, "x", "-1.25")
        assert _value(page, "w0o1") == f"{nn.sigmoid(-1.25):.6f}"
        prose = page.locator(".xw-inline .xw-result").all_inner_texts()
        assert f"{nn.sigmoid(-1.25):.4f}" in prose and f"{nn.sigmoid(-1.25):.1%}" in prose
        marker = page.get_attribute("[data-xw-output=w0o2] svg circle", "cx")
        _set(page, "x", "3")
        assert page.get_attribute("[data-xw-output=w0o2] svg circle", "cx") != marker
        # The passenger table, by a click on a row.
        page.wait_for_selector('[data-xw-input="pid"][data-xw-ready]', state="attached")
        html = _value(page, "w1o0")
        assert "Bonnell" in html or "Heikkinen" in html  # passenger 3 from the address
        _set(page, "pid", 2)
        assert "Cumings" in _value(page, "w1o0") and "Cumings" in _value(page, "w5o0")
        # Play moves the replay without Python.
        chart = page.inner_html("[data-xw-output=w3o1] .xw-result")
        page.click('[data-xw-input="t"] .xw-play')
        _until(page, "() => Number(document.getElementById('xw-in-t').value) >= 3")
        page.click('[data-xw-input="t"] .xw-play')
        page.wait_for_timeout(200)
        assert page.inner_html("[data-xw-output=w3o1] .xw-result") != chart
        assert page.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("article", ["neural-network-math/", "widget-reference/"])
def test_table_answers_equal_what_pyodide_renders(browser, example_url, article):
    """Exact by construction: for sampled combinations of every answerable input, each
    answer equals what the page's own Python (Pyodide, in Chromium) computes."""
    with open_page(browser) as page:
        page.goto(example_url + article)
        page.wait_for_selector(READY, state="attached", timeout=90_000)
        spec = json.loads(page.get_attribute("article", "data-xw-answers"))
        files = [page.evaluate("u => fetch(u).then(r => r.json())", u) for u in spec["files"]]
        domains = {n: d for f in files for n, d in f["inputs"].items()}
        rng = random.Random(25)
        compared = 0
        for _ in range(6):
            for name, domain in domains.items():
                if "grid" in domain:
                    lo, step, count = domain["grid"]
                    k = rng.randrange(count)
                    value = f"{lo + k * step:.{_places(step)}f}"
                else:
                    value = rng.choice(domain["keys"])
                if name == "pid":
                    page.wait_for_selector('[data-xw-input="pid"][data-xw-ready]', state="attached")
                _set(page, name, value)
            answered = page.evaluate("xw.answered()")
            python = page.evaluate("xw.renderAll()")["outputs"]
            assert answered and all(v is not None for v in answered.values())
            for oid, answer in answered.items():
                assert answer == python[oid], (oid, answer, python[oid])
                compared += 1
        assert compared >= 6 * len(spec["outputs"])
        assert page.errors == []


@pytest.mark.browser
def test_a_site_without_a_runtime_answers_from_its_tables(browser, tmp_path):
    root = write_site(
        tmp_path / "none",
        {"content/steps.md": NONE_SITE, "site.toml": 'title = "T"\n[runtime]\nsource = "none"\n'},
    )
    build(load_config(root))
    assert not (root / "_site" / "_pyodide").exists()
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            asked = []
            page.on("request", lambda r: asked.append(r.url))
            page.goto(url + "steps/")
            page.wait_for_selector("html[data-xw-interactive=true]", state="attached")
            assert "without Python" in seen(page, ".xw-status")
            _set(page, "n", "7")
            _set(page, "unit", "in")
            assert _value(page, "w0o0") == "17.78 cm"
            assert seen(page, ".xw-inline .xw-result") == "14"
            assert not any("worker" in u or "_pyodide" in u for u in asked)
            _until(page, "() => location.search.includes('n=7')")
            page.reload()
            _until(page, "() => document.documentElement.dataset.xwUpdates >= 1")
            assert _value(page, "w0o0") == "17.78 cm"  # from the address, at first paint
            assert page.errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_an_address_is_untrusted_input(browser, tmp_path):
    """Values an input cannot take are ignored (the build's value kept) and the address
    stays as the reader wrote it; good ones in the same address still apply."""
    root = write_site(
        tmp_path / "addr",
        {"content/steps.md": NONE_SITE, "site.toml": 'title = "T"\n[runtime]\nsource = "none"\n'},
    )
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            for query in ("?n=abc&unit=zzz&other=1", "?n=99&unit=", "?n=1e400&unit=%00"):
                page.goto(url + "steps/" + query)
                page.wait_for_selector("html[data-xw-interactive=true]", state="attached")
                page.wait_for_timeout(700)  # past the settle time that writes the address
                assert page.input_value("#xw-in-n") == "4"
                assert page.is_checked("input[value=cm]")
                assert _value(page, "w0o0") == "4.00 cm"
                assert page.evaluate("location.search") == query
            page.goto(url + "steps/?n=abc&unit=in")
            _until(page, "() => document.documentElement.dataset.xwUpdates >= 1")
            assert _value(page, "w0o0") == "10.16 cm"  # the good value applied
            assert page.errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_what_no_table_answers_waits_for_python_then_python_answers(browser, tmp_path):
    """Past the budget (here 50 combinations) a widget waits for Python and says so;
    once Python is ready it answers it, and the tables keep answering the rest."""
    root = write_site(
        tmp_path / "split",
        {"content/split.md": SPLIT_SITE, "site.toml": 'title = "T"\n[runtime]\nprecompute = 50\n'},
    )
    result = build(load_config(root))
    assert "w1o0: 'b' has 101 positions" in result.notes[-1]
    server, url = serve_folder(root / "_site")
    held: list = []  # the runtime's requests, answered only when the test lets them

    try:
        hold = (re.compile(r".*/pyodide\.asm\.wasm.*"), lambda route: held.append(route))
        with open_page(browser, hold) as page:
            page.goto(url + "split/")
            page.wait_for_selector("html[data-xw-state=loading]", state="attached")
            assert page.is_enabled("#xw-in-a") and page.is_disabled("#xw-in-b")
            assert seen(page, "#widget-2 .xw-note").startswith("Loading Python (")
            assert "MB" in seen(page, "#widget-2 .xw-note")
            _set(page, "a", "7")
            assert _value(page, "w0o0") == "49"
            page.wait_for_timeout(300)
            for route in held:
                route.continue_()
            page.wait_for_selector(READY, state="attached", timeout=90_000)
            _set(page, "b", "55")
            assert _value(page, "w1o0") == "1055"
            _set(page, "a", "9")
            assert _value(page, "w0o0") == "81"
            assert page.errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_saving_data_the_tables_answer_and_python_stays_away(browser, example_url):
    from tests.browser.test_pages import SAVE_DATA

    context = browser.new_context()
    context.add_init_script(SAVE_DATA)
    page = context.new_page()
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    try:
        page.goto(example_url + "neural-network-math/")
        page.wait_for_selector(".xw-status .xw-load", state="visible")
        page.wait_for_timeout(500)
        tables = re.compile(r"/answers\.[0-9a-f]+\.json$")  # not the page's answers.js module
        assert not any(tables.search(u) for u in fetched)  # nothing before the reader reaches
        page.focus("#xw-in-x")  # a figure a table answers: no Python for it
        page.keyboard.press("ArrowRight")
        _until(page, "() => document.documentElement.dataset.xwUpdates >= 1")
        assert _value(page, "w0o1") != "0.500000"
        assert any(tables.search(u) for u in fetched)
        assert not any("_pyodide" in u for u in fetched)
        assert page.is_disabled("#xw-in-w_age") and "save data" in seen(page, "#widget-3 .xw-note")
    finally:
        context.close()


@pytest.mark.browser
def test_a_page_fetches_the_standard_library_modules_it_imports_not_the_rest(browser, tmp_path):
    """Browser code importing csv (outside the core) makes the page fetch a zip of csv
    and what it imports, named by the build, instead of the whole rest of the library."""
    import io
    import zipfile

    root = write_site(tmp_path / "csv", {"content/rows.md": CSV_ARTICLE})
    build(load_config(root))
    html = (root / "_site" / "rows" / "index.html").read_text()
    own = re.search(r'data-xw-stdlib="[^"]* [^"]* ([^"]+)"', html)
    assert own, "the page names no modules of its own"
    names = zipfile.ZipFile(io.BytesIO((root / "_site" / own[1].lstrip("/")).read_bytes()))
    assert "csv.pyc" in names.namelist() and len(names.namelist()) < 10
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            fetched: list[str] = []
            page.on("request", lambda r: fetched.append(r.url))
            page.goto(url + "rows/")
            page.wait_for_selector(READY, state="attached", timeout=90_000)
            assert _value(page, "w0o0") == "a | b"
            page.fill("#xw-in-n", 'x,"y,z"')
            _until(
                page,
                "() => document.querySelector('[data-xw-output=w0o0] .xw-result')"
                ".textContent === 'x | y,z'",
            )
            assert any("stdlib-page." in u for u in fetched)
            assert not any("stdlib-rest." in u for u in fetched)
            assert page.errors == []
    finally:
        server.shutdown()
