"""Outside auditors, in every `make test`: axe-core (WCAG 2.2 AA and best practice) at
1280 and 375 px before Python is ready, once it is, and after every widget was used;
Lighthouse's accessibility score at both sizes; the Nu HTML checker on every page.

The pages: every page of the example site, and the readers fixture (a 50,000-row
listbox, long formulas and code, and the rows' pages for readers without JavaScript).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import CHROMIUM, READY, ROOT, serve_folder, write_site

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
LIGHTHOUSE = ROOT / "tests" / "js" / "lighthouse.mjs"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
WIDTHS = {"1280": {"width": 1280, "height": 800}, "375": {"width": 375, "height": 740}}
READERS = (ROOT / "tests" / "fixtures" / "readers.md").read_text(encoding="utf-8")


def needs(path: Path) -> None:
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make test`, which installs it")


@pytest.fixture(scope="module")
def readers_site(tmp_path_factory) -> Path:
    root = write_site(tmp_path_factory.mktemp("audit"), {"content/readers.md": READERS})
    build(load_config(root))
    return root / "_site"


def pages_of(site: Path) -> list[str]:
    """Every HTML page of *site* as a URL path (a folder's index.html as the folder)."""
    paths = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        paths.append(rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    return paths


def axe(page) -> list[str]:
    """axe-core's violations on the page as the reader has it, one line each. Every
    section is scrolled into view first (the page lays sections out as they near)."""
    page.evaluate(
        """async () => {
             // Two frames, or 200 ms where the browser paints no frame (a page it
             // treats as hidden gets none, and waiting for one would never end).
             const settle = () => Promise.race([
               new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))),
               new Promise((r) => setTimeout(r, 200)),
             ]);
             for (const el of document.querySelectorAll('main section, main > *')) {
               el.scrollIntoView();
               await settle();
             }
           }"""
    )
    page.wait_for_timeout(150)
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "tags => Promise.race([axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => `${v.id}: ${v.nodes.map(n => n.target).join(', ')}`)),"
        " new Promise((_, no) => setTimeout(() => no(new Error('axe ran over 120 s')), 120000))])",
        AXE_TAGS,
    )  # page.evaluate has no time limit of its own
    return list(found)


def use_every_widget(page) -> None:
    """Move every input of the page the way a keyboard user would, then let it settle."""
    for box in page.locator("[data-xw-input]").all():
        kind = box.get_attribute("data-xw-type")
        if kind == "range":
            box.locator("input").focus()
            page.keyboard.press("End")
        elif kind == "number":
            field = box.locator("input")
            field.fill(field.get_attribute("max") or "1")
        elif kind == "select":
            box.locator("select").select_option(index=box.locator("option").count() - 1)
        elif kind == "checkbox":
            box.locator("input").click()
        elif kind == "rows":
            page.wait_for_selector("[data-xw-ready]", state="attached")
            box.locator("[role=listbox]").focus()
            page.keyboard.press("End")
    page.wait_for_function("() => !('xwPending' in document.documentElement.dataset)")
    page.wait_for_timeout(800)  # past the announcement's settling time


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_nothing_before_during_and_after_use(browser, example_site, readers_site, width):
    needs(AXE)
    failures = []
    for site in (example_site, readers_site):
        server, url = serve_folder(site)
        context = browser.new_context(viewport=WIDTHS[width], bypass_csp=True)
        # One tab goes from page to page, as a reader's does, and is never closed on its
        # own: Chromium can acknowledge a tab's close and not close it (crbug 536385539),
        # and Playwright's page.close() waits for that without a time limit.
        page = context.new_page()
        try:
            for path in pages_of(site):
                if site is readers_site and "-rows/" in path and not path.endswith("/50/"):
                    continue  # one page of rows stands for all 50
                page.goto(url + path)
                interactive = page.locator("[data-xw-spec]").count() > 0
                failures += [f"{path} {width}px as loaded: {v}" for v in axe(page)]
                if interactive:
                    page.wait_for_selector(READY, state="attached", timeout=90_000)
                    failures += [f"{path} {width}px ready: {v}" for v in axe(page)]
                    use_every_widget(page)
                    failures += [f"{path} {width}px after use: {v}" for v in axe(page)]
                    assert page.locator("html[data-xw-state=ready]").count() == 1
        finally:
            context.close()
            server.shutdown()
    assert failures == []


def test_the_nu_html_checker_finds_no_error(example_site, readers_site):
    needs(VNU)
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: run `make test`, which installs it")
    done = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "--skip-non-html",
         str(example_site), str(readers_site)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    assert [f"{m.get('url', '')}:{m.get('lastLine')}: {m['message']}" for m in messages] == []
    assert done.returncode == 0


def test_lighthouse_scores_every_page_100_on_desktop_and_phone(example_site):
    needs(LIGHTHOUSE.parent.parent.parent / "node_modules" / "lighthouse")
    server, url = serve_folder(example_site)
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    try:
        # Four processes at once (two per screen size), each auditing its half of the
        # pages one after the other: a Chromium per page at once starves a two-core machine.
        paths = pages_of(example_site)
        runs = [
            subprocess.Popen(
                ["node", str(LIGHTHOUSE), screen, *[url + path for path in paths[half::2]]],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )  # fmt: skip
            for screen in ("desktop", "phone")
            for half in (0, 1)
        ]
        reports = {}
        for run in runs:
            out, err = run.communicate(timeout=600)
            assert run.returncode == 0, err[-2000:]
            screen = run.args[2]
            for page, result in json.loads(out).items():
                reports[f"{page} ({screen})"] = result
    finally:
        server.shutdown()
    assert len(reports) == 2 * len(pages_of(example_site)) >= 12
    low = {k: v for k, v in reports.items() if v["score"] != 1 or v["failing"]}
    assert low == {}
