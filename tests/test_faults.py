"""Faults: interrupted and killed builds, dev server recovery, hostile content, CSP."""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import (
    ROOT,
    dev_server,
    open_page,
    open_ready,
    read_event,
    seen,
    serve_folder,
    tree,
    write_files,
    write_site,
)

SLOW = "---\ntitle: Slow\n---\n```python build\nimport time\ntime.sleep(30)\n```\n"


def start_build(root):
    # Its own process group, as in a terminal, where Ctrl-C reaches the build and its cells.
    return subprocess.Popen(
        [sys.executable, "-m", "site_builder.cli", "--root", str(root), "build"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_cell(since):
    """Wait until a cell process started after *since* reports progress."""
    deadline = time.monotonic() + 20
    while not any(
        p.stat().st_mtime >= since
        for p in Path(tempfile.gettempdir()).glob("site-builder-*/*.progress")
    ):
        assert time.monotonic() < deadline, "the cell never started"
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "crash"])
def test_interrupted_build_leaves_site_and_cache_usable(make_site, sig):
    root = make_site({"content/a.md": "---\ntitle: A\n---\n```python build\nx = 1\n```\n"})
    build(load_config(root))
    before = tree(root / "_site")
    (root / "content" / "b.md").write_text(SLOW)
    since = time.time() - 0.01
    proc = start_build(root)
    wait_for_cell(since)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode != 0
    if sig == signal.SIGINT:
        assert "interrupted; the previous output was left as it was" in err
    assert tree(root / "_site") == before
    (root / "content" / "b.md").write_text("---\ntitle: B\n---\nFine now.\n")
    build(load_config(root))
    assert (root / "_site" / "b" / "index.html").exists()
    assert [p.name for p in root.iterdir() if p.name.startswith("._site")] == []


def test_dev_server_survives_every_kind_of_bad_save(make_site):
    root = make_site({"content/a.md": "---\ntitle: Good\n---\nHello\n"})
    bad = [
        ("content/a.md", "---\ntitle: [x\n---\n", "invalid YAML"),
        ("content/a.md", "---\ntitle: T\n---\n```python build\n1/0\n```\n", "ZeroDivisionError"),
        (
            "content/a.md",
            "---\ntitle: T\n---\n```widget\ninputs:\n  x: {type: knob}\n```\n",
            "unknown input type",
        ),
        ("templates/404.html", "{% block %}", "template syntax"),
        ("site.toml", '[runtime]\nsource = "cloud"\n', "'runtime.source': expected one of"),
    ]
    with dev_server(root, "a/index.html") as (base, events):
        for name, text, expected in bad:
            original = (root / name).read_text()
            (root / name).write_text(text)
            kind, data = read_event(events)
            assert kind == "failed" and expected in data, (name, data)
            assert "Hello" in urllib.request.urlopen(base + "a/").read().decode()
            (root / name).write_text(original)
            assert read_event(events)[0] == "reload"


PAYLOADS = [
    '<script>alert("s")</script>',
    '" onmouseover="alert(1)',
    "</textarea><img src=x onerror=alert(2)>",
    "javascript:alert(3)",
    "<svg onload=alert(4)>",
]
HOSTILE_CSV = "id,name\n" + "".join(
    f'{i},"{p.replace(chr(34), chr(34) * 2)}"\n' for i, p in enumerate(PAYLOADS, 1)
)
HOSTILE = """---
title: '<script>alert("title")</script>'
summary: '" onmouseover="alert(5)'
tags: ['<b>tag</b>']
---

```python build hide export=names
import csv
with open("data.csv", newline="") as f:
    rows = list(csv.DictReader(f))
for r in rows:
    print(r["name"])
names = [r["name"] for r in rows]
```

```python exec
from site_builder.runtime import table_html
```

Inline: {py}`names[0]`

```widget
inputs:
  who: {type: rows, rows: rows, key: id, value: "1", label: People}
  pick: {type: select, options: [a, b], value: a, label: Pick}
outputs:
  - value: names[int(who) - 1]
  - table: "[{'name': n} for n in names]"
```
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = write_site(
        tmp_path_factory.mktemp("hostile"),
        {"content/h/index.md": HOSTILE, "content/h/data.csv": HOSTILE_CSV},
    )
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    yield root / "_site", url
    server.shutdown()


def test_hostile_text_is_escaped_in_the_html(hostile):
    site, _ = hostile
    for path in ("h/index.html", "index.html", "feed.xml"):
        html = (site / path).read_text()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "<svg onload" not in html and 'href="javascript:' not in html
    html = (site / "h" / "index.html").read_text()
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html


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


def test_example_site_links_resolve_under_a_project_prefix(tmp_path):
    config = load_config(
        ROOT,
        {
            "output_dir": str(tmp_path / "_site"),
            "cache_dir": str(ROOT / ".site-cache"),
            "base_url": "https://someone.github.io/explorables/",
        },
    )
    result = build(config, write=False)  # the build's link check raises on any broken link
    html = result.files_written.read("neural-network-math/index.html").decode()
    assert 'data-xw-runtime="/explorables/_pyodide/' in html
    assert 'href="/explorables/static/css/site.' in html
    assert os.path.basename(config.output_dir) == "_site"


class _CorsHandler(__import__("tests.conftest", fromlist=["Handler"]).Handler):
    """A stand-in CDN: another origin that allows cross-origin reads."""

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


CDN_ARTICLE = """---
title: CDN
---

```python exec
def double(v):
    return 2 * v
```

```widget
inputs:
  n: {type: range, min: 0, max: 10, step: 1, value: 2, label: n}
outputs:
  - value: double(n)
```
"""


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


def test_dev_server_survives_the_whole_bad_input_table(make_site):
    """Each bad input of tests/test_build.py, saved while `serve` runs: the overlay gets the
    diagnostic, the last good site stays served, and restoring the file brings a reload."""
    import json

    from tests.test_build import BAD, GOOD

    root = make_site(GOOD)
    checked = 0
    with dev_server(root, "first/index.html") as (base, events):
        for name, files, expected in BAD:
            if "base_url" in str(files.get("site.toml", "")):
                continue  # serve replaces base_url with its own address: these cannot fail
            originals = {
                rel: (root / rel).read_bytes() if (root / rel).exists() else None for rel in files
            }
            write_files(root, files)
            kind, data = read_event(events)
            assert kind == "failed", name
            assert expected[0] in "\n".join(json.loads(data)), name
            assert b"First" in urllib.request.urlopen(base + "first/").read()
            for rel, original in originals.items():
                if original is None:
                    (root / rel).unlink()
                else:
                    (root / rel).write_bytes(original)
            assert read_event(events)[0] == "reload", name
            checked += 1
    assert checked >= 35
