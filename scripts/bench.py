"""`make bench`: build and browser timings as medians, printed as JSON and a short table.

Build: a deterministic synthetic corpus (front matter, headings, lists, a table, a
highlighted Python block, links, an image), full build, no-op rebuild, one-article edit,
peak memory (each run in a fresh process), and the rebuild after an edit as `make serve`
does it (one long-running process). Browser: Chromium with a fresh profile against
the example site served on 127.0.0.1: first contentful paint, time until the first
Python-computed update is possible (cold, warm), the same for a bare page that only calls
loadPyodide() in a worker, slider input -> DOM latency, and the longest main-thread task
(see SCENARIOS for what "cold" means).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORDS = (  # noqa: SIM905 (one readable string, not 21 quoted words)
    "network weight bias sigmoid passenger survive gradient layer input output value "
    "model train test accuracy number function python browser page figure"
).split()


def article(i: int, rng: random.Random) -> str:
    def sentence() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."

    parts = [
        f"---\ntitle: Article {i}\ndate: 2024-01-{i % 28 + 1:02d}\ntags: [t{i % 7}]\n"
        f"summary: {sentence()}\n---\n"
    ]
    for section in range(4):
        parts.append(f"## Section {section}\n")
        parts.append(" ".join(sentence() for _ in range(12)) + "\n")
        parts.append("- " + "\n- ".join(sentence() for _ in range(3)) + "\n")
        parts.append(f"See [article {(i + 1)}](/a{i + 1}/) and ![figure](/static/favicon.svg).\n")
    parts.append("| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\ndef f(x):\n    return x * 2\n```\n")
    return "\n".join(parts)


def make_corpus(root: Path, n: int) -> None:
    rng = random.Random(n)
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copytree(ROOT / "static", root / "static")
    (root / "site.toml").write_text('title = "Bench"\n[runtime]\nsource = "none"\n')
    content = root / "content"
    content.mkdir()
    for i in range(n):
        text = article(i, rng).replace(f"/a{n}/", "/a0/")
        (content / f"a{i}.md").write_text(text)


# Builds are timed as they run on an author's machine: with Python's bytecode cache. A
# shell that sets PYTHONDONTWRITEBYTECODE would make every process compile this package
# from source again (about 15 ms), which no installed copy does.
PYTHON_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed_build(root: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one `site-builder build` in a fresh process."""
    code = (
        "import resource, sys, time; from site_builder.cli import main; t = time.perf_counter();"
        " rc = main(['--root', sys.argv[1], 'build']); "
        "print('BENCH', time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(root)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=PYTHON_ENV,
    )
    if proc.returncode != 0 or not proc.stdout.startswith(("built ", "nothing changed")):
        raise SystemExit(f"the benchmark build failed:\n{proc.stderr[-2000:]}")
    out = proc.stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH"))
    _, seconds, mb = line.split()
    return float(seconds), float(mb)


SERVE_EDITS = """
import contextlib, io, json, sys, time
from pathlib import Path
from site_builder.serve import DevState, rebuild
root, runs = Path(sys.argv[1]), int(sys.argv[2])
state, target, times = DevState(), root / "content" / "a1.md", []
for i in range(runs + 1):  # the first rebuild also imports what rendering needs: not counted
    target.write_text(target.read_text() + f"\\nAn edit in the dev server, number {i}.\\n")
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        assert rebuild(root, state, False, "http://127.0.0.1:8000/", {str(target)}) is not None
    times.append(time.perf_counter() - t)
print("BENCH", json.dumps(times[1:]))
"""


def serve_edits(root: Path, runs: int) -> list[float]:
    """Seconds per rebuild after an edit, as `make serve` does it: one process, warm."""
    proc = subprocess.run(
        [sys.executable, "-c", SERVE_EDITS, str(root), str(runs)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=PYTHON_ENV,
    )
    if proc.returncode != 0:
        raise SystemExit(f"the dev-server rebuilds failed:\n{proc.stderr[-2000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("BENCH"))
    return [float(x) for x in json.loads(line.split(" ", 1)[1])]


def bench_build(n: int, runs: int) -> dict[str, float]:
    full, noop, edit, peak = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_corpus(root, n)
        for _ in range(runs):
            shutil.rmtree(root / "_site", ignore_errors=True)
            shutil.rmtree(root / ".site-cache", ignore_errors=True)
            seconds, mb = timed_build(root)
            full.append(seconds)
            peak.append(mb)
            noop.append(timed_build(root)[0])
            target = root / "content" / "a1.md"
            target.write_text(target.read_text() + "\nOne more sentence.\n")
            edit.append(timed_build(root)[0])
        serve = serve_edits(root, runs)
        idle, reload = serve_idle_and_reload(root, runs)
    return {
        f"serve_idle_cpu_pct_{n}": idle,
        f"save_to_reload_s_{n}": statistics.median(reload),
        f"full_build_s_{n}": statistics.median(full),
        f"noop_rebuild_s_{n}": statistics.median(noop),
        f"one_edit_rebuild_s_{n}": statistics.median(edit),
        f"one_edit_serve_s_{n}": statistics.median(serve),
        f"peak_rss_mb_{n}": statistics.median(peak),
    }


SERVE = """
import sys
from pathlib import Path
from site_builder.config import load_config
from site_builder.serve import serve
serve(load_config(Path(sys.argv[1])), port=0)
"""


def start_serve(root: Path, page: str, log: Path | None = None) -> tuple[Any, Any]:
    """`make serve` on *root* in a process of its own (its output to *log*), once it has
    built *page*: (the process, its stream of events). The caller stops the process."""
    import urllib.request

    preview = root / ".site-cache" / "preview" / "site" / page
    preview.unlink(missing_ok=True)
    with open(log or os.devnull, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(root)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=PYTHON_ENV,
        )
    deadline = time.monotonic() + 300
    while not preview.exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.terminate()
            said = log.read_text() if log else ""
            raise SystemExit(f"the dev server never built the site\n{said}")
        time.sleep(0.1)
    port = preview.read_text().split('href="http://127.0.0.1:')[1].split("/")[0]
    events = urllib.request.urlopen(f"http://127.0.0.1:{port}/__dev/events", timeout=120)
    return proc, events


def serve_idle_and_reload(root: Path, runs: int) -> tuple[float, list[float]]:
    """`make serve` on *root*: CPU (% of one core) over 10 s of an author only reading,
    and seconds from a save to the page's "reload" event."""
    proc, events = start_serve(root, "a1/index.html")
    try:
        time.sleep(2)  # settled
        ticks = os.sysconf("SC_CLK_TCK")

        def cpu() -> float:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks

        before, start = cpu(), time.monotonic()
        time.sleep(10)
        idle = 100 * (cpu() - before) / (time.monotonic() - start)
        target = root / "content" / "a2.md"
        reload = []
        for i in range(runs):
            t = time.perf_counter()
            target.write_text(target.read_text() + f"\nA save, number {i}.\n")
            while not events.readline().startswith(b"event: reload"):
                pass
            reload.append(time.perf_counter() - t)
            time.sleep(0.5)
        return idle, reload
    finally:
        proc.terminate()
        proc.wait(timeout=30)


BARE = """<!doctype html><meta charset=utf-8><title>bare</title><script type=module>
const t0 = performance.now();
const w = new Worker(URL.createObjectURL(new Blob([`
  const { loadPyodide } = await import("${location.origin}/_pyodide/314.0.7/pyodide.mjs");
  const py = await loadPyodide(); py.runPython("1+1"); postMessage("ok");`],
  {type: "text/javascript"})), {type: "module"});
w.onmessage = () => { document.documentElement.dataset.xwState = "ready";
  performance.mark("xw-ready"); };
</script>"""


# (label, path, visits). "cold" is the first page of a browser just launched with an empty
# profile; the 2nd visit writes V8's code caches, the 3rd uses them. "cold_running" is a
# first visit with an empty cache to a browser that is already running (showing another
# site), which is how most readers arrive.
RUNNING = ("cold_running",)
SCENARIOS = (
    ("article", "neural-network-math/", ("cold", "warm", "warm3")),
    ("bare", "bare.html", ("cold", "warm", "warm3")),
    ("article", "neural-network-math/", RUNNING),
)


def bench_browser(runs: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from site_builder.build import build
    from site_builder.config import load_config
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, saved_snapshots, serve_folder

    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "_site"
        build(load_config(ROOT, {"output_dir": str(site), "cache_dir": str(Path(tmp) / "c")}))
        (site / "bare.html").write_text(BARE)
        weight = page_weight(site)
        server, url = serve_folder(site)
        with sync_playwright() as pw:
            for _ in range(runs):
                for label, path, visits in SCENARIOS:
                    # A fresh profile per scenario: "cold" means nothing cached.
                    profile = tempfile.mkdtemp()
                    ctx = pw.chromium.launch_persistent_context(
                        profile, executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--headless"]
                    )
                    if visits == RUNNING:  # the browser shows another site first
                        other = ctx.new_page()
                        other.goto("data:text/html,<p>Another site</p>")
                        other.wait_for_timeout(1000)
                    for visit in visits:
                        page = ctx.new_page()
                        page.add_init_script(LONGEST_TASK)
                        page.goto(url + path)
                        page.wait_for_selector(
                            "html[data-xw-state=ready]", state="attached", timeout=120_000
                        )
                        ready = page.evaluate(
                            "performance.getEntriesByName('xw-ready')[0].startTime"
                        )
                        results.setdefault(f"{label}_ready_ms_{visit}", []).append(ready)
                        if label == "article":
                            # A first visit starts CPython and saves a snapshot, which the
                            # next visits start from.
                            started = page.evaluate(
                                "document.documentElement.dataset.xwStartedFrom"
                            )
                            first = visit in ("cold", *RUNNING)
                            assert started == ("scratch" if first else "snapshot"), started
                            saved_snapshots(page)
                        if label == "article":
                            fcp = page.evaluate(
                                "(performance.getEntriesByName("
                                "'first-contentful-paint')[0]||{}).startTime"
                            )
                            results.setdefault(f"fcp_ms_{visit}", []).append(fcp)
                        if label == "article" and visit == "warm":
                            lat = page.evaluate("""async () => {
                              const el = document.querySelector('#xw-in-x'); const out = [];
                              const root = document.documentElement;
                              for (let i = 1; i <= 60; i++) {
                                const n = Number(root.dataset.xwUpdates || 0);
                                const t = performance.now();
                                el.value = (i / 10).toFixed(2);
                                el.dispatchEvent(new Event('input', {bubbles: true}));
                                while (Number(root.dataset.xwUpdates || 0) === n)
                                  await new Promise(r => setTimeout(r, 0));
                                out.push(performance.now() - t);
                              }
                              return out; }""")
                            lat.sort()
                            results.setdefault("input_to_dom_ms_p50", []).append(lat[30])
                            results.setdefault("input_to_dom_ms_p95", []).append(lat[56])
                        if label == "article":
                            longest = page.evaluate("window.__longestTask")
                            results.setdefault(f"longest_task_ms_{visit}", []).append(longest)
                        page.close()
                    ctx.close()
                    shutil.rmtree(profile, ignore_errors=True)
        server.shutdown()
    report = {k: statistics.median(v) for k, v in results.items()}
    # The median hides a long task in a minority of loads: say how many had one at all.
    for visit in ("cold", "cold_running"):
        longest = results[f"longest_task_ms_{visit}"]
        report[f"{visit}_loads_with_long_task"] = sum(t > 0 for t in longest)
        report[f"{visit}_loads"] = len(longest)
        report[f"longest_task_ms_{visit}_worst"] = max(longest)
    report.update(weight)
    return report


CLICK_TO = """async ([href, title, hover]) => {
  const link = [...document.links].find((a) => a.getAttribute("href").endsWith(href));
  if (hover) {  // as a reader's pointer rests on a link before the click
    link.dispatchEvent(new PointerEvent("pointerover", { bubbles: true }));
    await new Promise((r) => setTimeout(r, hover));
  }
  const marks = performance.getEntriesByName("xw-ready").length;
  const start = performance.now();
  link.click();
  while (!document.title.startsWith(title)) await new Promise((r) => setTimeout(r, 0));
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));  // painted
  const painted = performance.now() - start;
  while (performance.getEntriesByName("xw-ready").length === marks)
    await new Promise((r) => setTimeout(r, 5));
  const mark = performance.getEntriesByName("xw-ready").at(-1);
  return [painted, mark.startTime - start, document.documentElement.dataset.xwStartedFrom,
          mark.detail?.cellsMs || 0];
}"""


def until(page: Any, expression: str, seconds: float = 60) -> None:
    """Wait until *expression* is true in the page (polled: wait_for_function evaluates a
    string, which the page's policy forbids)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(f"() => Boolean({expression})"):
        assert time.monotonic() < deadline, expression
        page.wait_for_timeout(20)


def bench_navigation(runs: int) -> dict[str, float]:
    """One Python per visit: from the flagship (ready) to the home page and on to the
    widget reference, in the document (the worker kept) and as a full page load from the
    HTTP cache and a saved snapshot (what a reader got before); then back; then the
    worker's heap after twenty articles."""
    from playwright.sync_api import sync_playwright

    from site_builder.build import build
    from site_builder.config import load_config
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_folder

    results: dict[str, list[float]] = {}
    articles = ["neural-network-math/", "widget-reference/", "sigmoid-precision/"]
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "_site"
        build(load_config(ROOT, {"output_dir": str(site), "cache_dir": str(Path(tmp) / "c")}))
        server, url = serve_folder(site)
        with sync_playwright() as pw:
            for _ in range(runs):
                profile = tempfile.mkdtemp()
                ctx = pw.chromium.launch_persistent_context(
                    profile, executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--headless"]
                )
                page = ctx.new_page()
                page.goto(url + articles[0])
                page.wait_for_selector("html[data-xw-state=ready]", state="attached")
                page.wait_for_timeout(2000)  # the snapshot saved
                fetched: list[str] = []
                page.on("request", lambda r, into=fetched: into.append(r.url))
                page.locator("header .site-title").click()
                page.wait_for_timeout(300)
                painted, ready, started, cells = page.evaluate(CLICK_TO, [articles[1], "Widget", 0])
                assert started == "kept", started
                results.setdefault("kept_click_to_paint_ms", []).append(painted)
                results.setdefault("kept_click_to_ready_ms", []).append(ready)
                results.setdefault("kept_exec_cells_ms", []).append(cells)
                results.setdefault("kept_ready_beyond_cells_ms", []).append(ready - cells)
                runtime = [u for u in fetched if "/_pyodide/" in u or "python_stdlib" in u]
                results.setdefault("kept_runtime_requests", []).append(len(runtime))
                start = page.evaluate("performance.now()")
                page.go_back()
                until(page, "document.title.startsWith('Explor')")
                page.go_back()
                until(
                    page,
                    "performance.getEntriesByName('xw-ready').length >= 3"
                    " && document.title.startsWith('A visual')",
                )
                back = page.evaluate("performance.getEntriesByName('xw-ready').at(-1).startTime")
                results.setdefault("kept_back_two_to_ready_ms", []).append(back - start)
                # Again, the pointer resting on the link for 120 ms first (fetched ahead).
                page.locator("header .site-title").click()
                page.wait_for_timeout(300)
                hovered = page.evaluate(CLICK_TO, [articles[1], "Widget", 120])
                results.setdefault("kept_hover_click_to_paint_ms", []).append(hovered[0])
                results.setdefault("kept_hover_click_to_ready_ms", []).append(hovered[1])
                # Twenty articles in one tab: the heap after the first and after the rest.
                heaps = []
                for k in range(20):
                    target = articles[(k + 1) % len(articles)]
                    page.evaluate("document.querySelector('header .site-title').click()")
                    until(page, "document.title.startsWith('Explor')")
                    page.evaluate(CLICK_TO, [target, "", 0])
                    heaps.append(page.evaluate("window.xw.memory()")["bytes"])
                results.setdefault("heap_mb_after_1", []).append(heaps[0] / 1e6)
                results.setdefault("heap_mb_after_20", []).append(heaps[-1] / 1e6)
                # The same step as a page load (before: a new document, the snapshot).
                page.goto(url)
                page.goto(url + articles[1])
                page.wait_for_selector("html[data-xw-state=ready]", state="attached")
                loaded = page.evaluate("performance.getEntriesByName('xw-ready')[0].startTime")
                results.setdefault("page_load_to_ready_ms", []).append(loaded)
                ctx.close()
                shutil.rmtree(profile, ignore_errors=True)
        server.shutdown()
    return {k: statistics.median(v) for k, v in results.items()}


def bench_rows(runs: int) -> dict[str, float]:
    """The 50,000-row listbox of tests/fixtures/readers.md: when it is ready, and the
    longest main-thread task while the page loads and while a reader uses it (End, Page
    Up, scrolling, a search). Goal: no task over 50 ms."""
    from playwright.sync_api import sync_playwright

    from site_builder.build import build
    from site_builder.config import load_config
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_folder, write_site

    article = (ROOT / "tests" / "fixtures" / "readers.md").read_text(encoding="utf-8")
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = write_site(Path(tmp) / "readers", {"content/readers.md": article})
        build(load_config(root))
        server, url = serve_folder(root / "_site")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(runs):
                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                ctx.add_init_script(LONGEST_TASK)
                page = ctx.new_page()
                page.goto(url + "readers/")
                page.wait_for_selector(".xw-rows[data-xw-ready]", state="attached")
                results.setdefault("rows50k_ready_ms", []).append(
                    page.evaluate("performance.now()")
                )
                results.setdefault("rows50k_longest_task_ms_load", []).append(
                    page.evaluate("window.__longestTask")
                )
                page.evaluate("window.__longestTask = 0")
                page.focus("[role=listbox]")
                for key in ("End", "PageUp", "ArrowUp", "Home", "PageDown"):
                    page.keyboard.press(key)
                page.mouse.move(400, 500)
                for _ in range(10):
                    page.mouse.wheel(0, 5000)
                page.fill(".xw-rows-search input", "person 4999")
                page.fill(".xw-rows-search input", "")
                page.wait_for_timeout(300)
                results.setdefault("rows50k_longest_task_ms_use", []).append(
                    page.evaluate("window.__longestTask")
                )
                results.setdefault("rows50k_options_in_dom", []).append(
                    page.locator("[role=option]").count()
                )
                ctx.close()
            browser.close()
        server.shutdown()
    return {k: statistics.median(v) for k, v in results.items()}


# One article, with and without a typical set of small pure-Python packages from PyPI that
# its browser code imports and uses (each also pulls in what it depends on).
PACKAGE_SET = ["python-dateutil", "humanize", "tabulate"]
PACKAGE_ARTICLE = """---
title: Packages
{packages}
---

```python exec
import datetime
{imports}

def describe(n):
    n = int(n)
    return {expression}
```

```widget
inputs:
  n: {{type: range, min: 0, max: 100, step: 1, value: 3, label: n}}
outputs:
  - value: describe(n)
    label: described
```
"""


def bench_packages(runs: int) -> dict[str, float]:
    """Ready time of a page whose Python uses PACKAGE_SET against the same page without
    packages (cold: a fresh profile; warm: its second visit), and the bytes they add."""
    import gzip

    from playwright.sync_api import sync_playwright

    from site_builder.build import build
    from site_builder.config import load_config
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, saved_snapshots, serve_folder, write_site

    variants = {
        "without": PACKAGE_ARTICLE.format(
            packages="",
            imports="",
            expression="str(datetime.date(2024, 1, 1) + datetime.timedelta(days=30 * n))",
        ),
        "with": PACKAGE_ARTICLE.format(
            packages=f"packages: {json.dumps(PACKAGE_SET)}",
            imports="import humanize, tabulate\nfrom dateutil.relativedelta import relativedelta",
            expression="humanize.intword(10 ** n) + tabulate.tabulate([[datetime.date(2024, "
            "1, 31) + relativedelta(months=n)]])",
        ),
    }
    results: dict[str, list[float]] = {}
    report: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        urls = {}
        servers = []
        for name, text in variants.items():
            root = write_site(Path(tmp) / name, {"content/p.md": text})
            build(load_config(root))
            server, urls[name] = serve_folder(root / "_site")
            servers.append(server)
            # What a first visit downloads besides the page without packages: the image
            # (gzip, as the worker fetches it).
            folder = root / "_site" / "_pyodide"
            if name == "with":
                images = list(folder.rglob("image.*.bin"))
                report["packages_image_kb"] = sum(p.stat().st_size for p in images) / 1024
                report["packages_image_kb_gzip"] = (
                    sum(len(gzip.compress(p.read_bytes(), 6)) for p in images) / 1024
                )
        with sync_playwright() as pw:
            for _ in range(runs):
                for name, url in urls.items():
                    profile = tempfile.mkdtemp()
                    ctx = pw.chromium.launch_persistent_context(
                        profile, executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--headless"]
                    )
                    for visit in ("cold", "warm"):
                        page = ctx.new_page()
                        page.goto(url + "p/")
                        page.wait_for_selector(
                            "html[data-xw-state=ready]", state="attached", timeout=120_000
                        )
                        ready = page.evaluate(
                            "performance.getEntriesByName('xw-ready')[0].startTime"
                        )
                        results.setdefault(f"packages_{name}_ready_ms_{visit}", []).append(ready)
                        saved_snapshots(page)
                        page.close()
                    ctx.close()
                    shutil.rmtree(profile, ignore_errors=True)
        for server in servers:
            server.shutdown()
    report.update({k: statistics.median(v) for k, v in results.items()})
    for visit in ("cold", "warm"):
        report[f"packages_ready_ratio_{visit}"] = (
            report[f"packages_with_ready_ms_{visit}"] / report[f"packages_without_ready_ms_{visit}"]
        )
    return report


def page_weight(site: Path) -> dict[str, float]:
    """Bytes (gzip -6) of the article page with what it links, without and with the
    runtime files a first visit fetches (bench_network counts them on a server)."""
    import gzip
    import re

    html = (site / "neural-network-math" / "index.html").read_bytes()
    refs = re.findall(rb'(?:href|src|data-xw-spec|data-xw-worker|data-xw-stdlib)="(/[^" ]+)', html)
    linked = [site / r.decode().lstrip("/") for r in set(refs)]
    pyodide_dir = site / "_pyodide" / "314.0.7"
    runtime = [pyodide_dir / n for n in ("pyodide.mjs", "pyodide.asm.mjs", "pyodide-lock.json")]
    runtime.append(pyodide_dir / "pyodide.asm.wasm")

    def kb(files: list[Path]) -> float:
        return sum(len(gzip.compress(p.read_bytes(), 6)) for p in files if p.is_file()) / 1024

    page = [site / "neural-network-math" / "index.html", *linked]
    return {
        "page_kb_gzip_without_runtime": kb([p for p in page if "_pyodide" not in p.parts]),
        "page_kb_gzip_with_runtime": kb(page + runtime),
    }


# Chromium DevTools' network profiles (throughput ×0.9 and latency ×2.75 / ×3.75 are
# DevTools' own adjustments): "Fast 4G" (9 Mbit/s, 60 ms RTT → 165 ms) and "Slow 4G",
# which is Lighthouse's mobile profile (1.6 Mbit/s, 150 ms RTT → 562.5 ms).
PROFILES = {
    "unthrottled": None,
    "fast4g": {"down": 9e6, "up": 1.5e6, "latency": 60 * 2.75},
    "slow4g": {"down": 1.6e6, "up": 750e3, "latency": 150 * 3.75},
}
# What a host compresses (gzip, when the browser accepts it): every response, or text types
# only, as GitHub Pages does (it sends .wasm, .bin and .zip as they are).
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")


def throttle(context: Any, page: Any, conditions: dict[str, float] | None) -> None:
    """Chromium's network emulation on *page* (a PROFILES entry; None: unthrottled)."""
    if not conditions:
        return
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": conditions["latency"],
            "downloadThroughput": conditions["down"] * 0.9 / 8,
            "uploadThroughput": conditions["up"] * 0.9 / 8,
        },
    )


def counting_server(folder: Path, mode: str) -> tuple[Any, str, list[int]]:
    """Serve *folder* on 127.0.0.1, gzipping what a host in *mode* ("all" or "text")
    would, with GitHub Pages' ten-minute cache lifetime; return (server, URL, a one-item
    list holding the bytes sent so far, which the caller may reset)."""
    import gzip
    import http.server
    import threading

    from site_builder.serve import SiteHandler

    sent = [0]
    lock = threading.Lock()

    class Host(SiteHandler):
        def log_message(self, *args: object) -> None:
            pass

        def send_head(self) -> Any:  # http.server API: headers sent, the body returned
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file():
                self.send_error(404)
                return None
            body = path.read_bytes()
            kind = self.guess_type(str(path))
            if "gzip" in self.headers.get("Accept-Encoding", "") and (
                mode == "all" or kind.startswith(TEXT_TYPES)
            ):
                body = gzip.compress(body, 6, mtime=0)
                self.send_response(200)
                self.send_header("Content-Encoding", "gzip")
            else:
                self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=600")
            self.end_headers()
            with lock:
                sent[0] += len(body)
            return io.BytesIO(body)

        def handle(self) -> None:
            with contextlib.suppress(ConnectionError):
                super().handle()

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Host, directory=str(folder))
    )
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/", sent


def bench_network(runs: int) -> dict[str, float]:
    """A first visit to the example article on a real host: bytes transferred and time
    until Python is ready, on hosts that compress everything or text types only, without
    throttling and with Chromium's Fast 4G and Slow 4G profiles, beside a bare
    ``loadPyodide()`` worker page (BARE) measured the same way in the same run; and the
    second visit, which starts from the snapshot the first saved."""
    from playwright.sync_api import sync_playwright

    from site_builder.build import build
    from site_builder.config import load_config
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, saved_snapshots

    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "_site"
        build(load_config(ROOT, {"output_dir": str(site), "cache_dir": str(Path(tmp) / "c")}))
        (site / "bare.html").write_text(BARE)
        hosts = {mode: counting_server(site, mode) for mode in ("all", "text")}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--headless"]
            )
            for profile, conditions in PROFILES.items():
                for _ in range(min(runs, 3) if profile == "slow4g" else runs):
                    for mode, (_, url, sent) in hosts.items():
                        for label, path in (
                            ("article", "neural-network-math/"),
                            ("bare", "bare.html"),
                        ):
                            context = browser.new_context()  # nothing cached
                            visits = ("first", "second") if label == "article" else ("first",)
                            for visit in visits:
                                page = context.new_page()
                                throttle(context, page, conditions)
                                sent[0] = 0
                                page.goto(url + path)
                                # A connection the browser calls 3G or slower: the page waits
                                # for the reader to ask for Python; ask at once.
                                if label == "article" and profile == "slow4g":
                                    with contextlib.suppress(Exception):
                                        page.click(".xw-status .xw-load", timeout=3000)
                                page.wait_for_selector(
                                    "html[data-xw-state=ready]", state="attached", timeout=300_000
                                )
                                ready = page.evaluate(
                                    "performance.getEntriesByName('xw-ready')[0].startTime"
                                )
                                key = f"{profile}_{mode}_{label}_{visit}"
                                print(
                                    f"{key}: {ready:.0f} ms, {sent[0] / 1e6:.2f} MB",
                                    file=sys.stderr,
                                )
                                results.setdefault(f"net_{key}_ready_ms", []).append(ready)
                                results.setdefault(f"net_{key}_mb", []).append(sent[0] / 1e6)
                                if label == "article" and visit == "first":
                                    saved_snapshots(page)
                                page.close()
                            context.close()
            browser.close()
        for server, _, _ in hosts.values():
            server.shutdown()
    report = {k: statistics.median(v) for k, v in results.items()}
    for profile in PROFILES:
        for mode in ("all", "text"):
            ours = report[f"net_{profile}_{mode}_article_first_ready_ms"]
            bare = report[f"net_{profile}_{mode}_bare_first_ready_ms"]
            report[f"net_{profile}_{mode}_ready_ratio_to_bare"] = ours / bare
    return report


RUNAWAY_ARTICLE = """---
title: Runaway
browser_time_limit: 2
---

```python exec
def spin(v):
    while v == 7:
        pass
    return v
```

```widget
inputs:
  a: {type: range, min: 0, max: 10, step: 1, value: 0, label: a}
outputs:
  - value: spin(a)
  - value: a + 100
```
"""


def bench_runaway(runs: int) -> dict[str, float]:
    """An output that never returns, on a page with a 2 s limit: the time from the input
    to the output saying it was stopped, and to the page answering again (another input
    moved and its figure updated); on a first visit and a later one (goal: limit + 1 s)."""
    from playwright.sync_api import sync_playwright

    from site_builder.build import build
    from site_builder.config import load_config
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, saved_snapshots, serve_folder, write_site

    move = (
        "(v) => { const e = document.querySelector('#xw-in-a'); e.value = v;"
        " e.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = write_site(Path(tmp) / "site", {"content/r.md": RUNAWAY_ARTICLE})
        build(load_config(root))
        server, url = serve_folder(root / "_site")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--headless"]
            )
            for _ in range(runs):
                context = browser.new_context()
                for _visit in ("first", "later"):
                    page = context.new_page()
                    page.goto(url + "r/")
                    page.wait_for_selector("html[data-xw-state=ready]", state="attached")
                    saved_snapshots(page)
                    start = time.monotonic()
                    page.evaluate(move, 7)
                    page.wait_for_selector("[data-xw-output=w0o0] .xw-error", timeout=30_000)
                    stopped = time.monotonic() - start
                    page.wait_for_selector(
                        "html[data-xw-interactive=true]", state="attached", timeout=30_000
                    )
                    page.evaluate(move, 4)
                    page.wait_for_function(
                        "() => document.querySelector('[data-xw-output=w0o1] .xw-result')"
                        ".textContent === '104'",
                        polling=5,
                        timeout=30_000,
                    )
                    usable = time.monotonic() - start
                    results.setdefault("runaway_stopped_ms", []).append(stopped * 1000)
                    results.setdefault("runaway_usable_ms", []).append(usable * 1000)
                    page.close()
                context.close()
            browser.close()
        server.shutdown()
    report = {k: statistics.median(v) for k, v in results.items()}
    report["runaway_limit_ms"] = 2000
    return report


VOCABULARY_ARTICLE = """---
title: Vocabulary bench
---

```python exec
import math
def wave(z):
    return [(i / 100, math.sin(i / 100 + z)) for i in range(1000)]
```

The value {py:.4f}`math.sin(z)` follows the slider.

```widget
inputs:
  z: {type: range, min: 0, max: 6.3, step: 0.01, value: 0, label: z, play: {every: 33, loop: true}}
outputs:
  - chart:
      - scatter: wave(z)
    x: {domain: [0, 10], label: x}
    y: {domain: [-1.2, 1.2], label: y}
```
"""

# Input -> DOM: the time from a slider's input event to the mutation of an output's result.
LATENCY = """async ([selector, count]) => {
  const target = document.querySelector(selector);
  const input = document.querySelector("#xw-in-z");
  const times = [];
  for (let i = 1; i <= count; i++) {
    const done = new Promise((resolve) => {
      const seen = new MutationObserver(() => { seen.disconnect(); resolve(performance.now()); });
      seen.observe(target, { childList: true, subtree: true, characterData: true });
    });
    const start = performance.now();
    input.value = String((i * 0.37) % 6.3);
    input.dispatchEvent(new Event("input"));
    times.push((await done) - start);
    await new Promise((r) => setTimeout(r, 20));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length * 0.95) - 1];
}"""


def bench_vocabulary(runs: int) -> dict[str, float]:
    """The explorable vocabulary's goals: input -> DOM p95 for a chart of 1,000 points and
    for a live value in the prose; updates per second while a range plays (every 33 ms)
    and the longest main-thread task meanwhile; what the flagship's 714-point scatter
    adds to its page (gzip)."""
    import gzip
    import re

    from playwright.sync_api import sync_playwright

    from site_builder.build import build
    from site_builder.config import load_config
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_folder, write_site

    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = write_site(Path(tmp) / "vocab", {"content/v.md": VOCABULARY_ARTICLE})
        build(load_config(root))
        server, url = serve_folder(root / "_site")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(runs):
                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                ctx.add_init_script(LONGEST_TASK)
                page = ctx.new_page()
                page.goto(url + "v/")
                page.wait_for_selector(
                    "html[data-xw-state=ready]", state="attached", timeout=90_000
                )
                results.setdefault("chart1000_input_to_dom_p95_ms", []).append(
                    page.evaluate(LATENCY, [".xw-chart-box, [data-xw-output=w0o0] .xw-result", 40])
                )
                results.setdefault("prose_input_to_dom_p95_ms", []).append(
                    page.evaluate(LATENCY, ["span.xw-inline .xw-result", 40])
                )
                page.evaluate("window.__longestTask = 0")
                page.evaluate(
                    "() => { window.__updates = 0; new MutationObserver(() => window.__updates++)"
                    ".observe(document.querySelector('[data-xw-output=w0o0] .xw-result'),"
                    " {childList: true}); }"
                )
                page.click(".xw-play")
                page.wait_for_timeout(3000)
                page.click(".xw-play")
                results.setdefault("play_updates_per_s", []).append(
                    page.evaluate("window.__updates") / 3
                )
                results.setdefault("play_longest_task_ms", []).append(
                    page.evaluate("window.__longestTask")
                )
                ctx.close()
            browser.close()
        server.shutdown()
    report = {k: statistics.median(v) for k, v in results.items()}
    flagship = ROOT / "_site" / "neural-network-math" / "index.html"
    if flagship.is_file():
        scatter = re.findall(r'<svg class="xw-plot xw-chart".*?</svg>', flagship.read_text(), re.S)
        if scatter:
            report["flagship_scatter_kb_gzip"] = len(gzip.compress(scatter[0].encode())) / 1024
    return report


# The first answer after an input made at first paint: the slider is moved by the keyboard
# as soon as the page has painted (or, where only Python answers, as soon as it can move),
# and the time runs until the value output shows its new value.
FIRST_ANSWER = """async (delay) => {
  const input = document.querySelector("#xw-in-x");
  if (delay) {  // a reader who scrolls to the figure, and moves it a moment later
    input.scrollIntoView({ block: "center" });
    await new Promise((r) => setTimeout(r, delay));
  }
  const out = document.querySelector("[data-xw-output=w0o1] .xw-result");
  const paints = performance.getEntriesByType("paint");
  const painted = paints.find((e) => e.name === "first-contentful-paint");
  while (input.disabled) await new Promise((r) => setTimeout(r, 10));
  const before = out.textContent;
  const done = new Promise((resolve) => {
    const seen = new MutationObserver(() => {
      if (out.textContent !== before) { seen.disconnect(); resolve(performance.now()); }
    });
    seen.observe(out, { childList: true, subtree: true, characterData: true });
  });
  const start = performance.now();
  input.dispatchEvent(new PointerEvent("pointerover", { bubbles: true }));
  input.focus();
  input.value = "1.5";
  input.dispatchEvent(new Event("input", { bubbles: true }));
  const end = await done;
  return [end - start, end - (painted ? painted.startTime : 0)];
}"""

# Input -> DOM for an output answered from its table: moves of the slider, each timed from
# the input event to the output's mutation, once its table is in.
TABLE_LATENCY = """async ([inputSel, outputSel, count, lo, hi]) => {
  const input = document.querySelector(inputSel);
  const target = document.querySelector(outputSel);
  const times = [];
  for (let i = 1; i <= count; i++) {
    const done = new Promise((resolve) => {
      const seen = new MutationObserver(() => { seen.disconnect(); resolve(performance.now()); });
      seen.observe(target, { childList: true, subtree: true, characterData: true });
    });
    const start = performance.now();
    input.value = String(lo + ((i * 0.37) % (hi - lo)));
    input.dispatchEvent(new Event("input", { bubbles: true }));
    times.push((await done) - start);
    await new Promise((r) => setTimeout(r, 20));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length * 0.95) - 1];
}"""


# An article whose cells take seconds: three independent cells integrate a projectile with
# drag (RK4, ~1.7 s each here), for three drag coefficients; a slider reads them.
SLOW_ARTICLE = """---
title: How far does it fly?
---

A ball leaves the ground at 30 m/s. Air pushes back in proportion to the square of its
speed; how far it flies depends on the angle and on the drag.

```python build export=angles,light
import math

angles = list(range(15, 80, 10))


def flight(v0, degrees, k, dt=4e-5):
    a = math.radians(degrees)
    s = [0.0, 0.0, v0 * math.cos(a), v0 * math.sin(a)]

    def f(s):
        x, y, vx, vy = s
        v = math.hypot(vx, vy)
        return [vx, vy, -k * v * vx, -9.81 - k * v * vy]

    while True:
        k1 = f(s)
        k2 = f([p + dt / 2 * q for p, q in zip(s, k1)])
        k3 = f([p + dt / 2 * q for p, q in zip(s, k2)])
        k4 = f([p + dt * q for p, q in zip(s, k3)])
        n = [p + dt / 6 * (a + 2 * b + 2 * c + d) for p, a, b, c, d in zip(s, k1, k2, k3, k4)]
        if n[1] < 0:
            return round(s[0], 2)
        s = n


light = [flight(30, d, 0.01) for d in angles]
```

```python build export=middle
middle = [flight(30, d, 0.02) for d in angles]
```

```python build export=heavy
heavy = [flight(30, d, DRAG) for d in angles] if (DRAG := 0.04) else []
```

```widget
inputs:
  angle: {type: range, min: 15, max: 75, step: 10, value: 45, label: Angle}
outputs:
  - value: light[angles.index(angle)]
  - value: heavy[angles.index(angle)]
```

With light drag the best angle is near 45°.
"""


def bench_authoring(runs: int) -> dict[str, float]:
    """The author's loop on an article whose cells take seconds (issue: a prose edit runs
    no Python; an output's edit computes that output; a cell's edit runs the cells it
    reaches): seconds from a save to the dev server's "reload" event, the cells each
    rebuild ran (from its notes), and a new `site-builder build` process after a prose
    edit."""
    import re

    from tests.conftest import write_site

    report: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = write_site(Path(tmp) / "site", {"content/fly/index.md": SLOW_ARTICLE})
        target = root / "content" / "fly" / "index.md"
        log_path = Path(tmp) / "serve.log"
        proc, events = start_serve(root, "fly/index.html", log_path)
        try:
            first = re.findall(r"ran its Python in ([\d.]+) s", log_path.read_text())
            report["authoring_first_run_s"] = float(first[0])
            time.sleep(1)

            def save(text: str) -> tuple[float, str]:
                seen = len(log_path.read_text())
                t = time.perf_counter()
                target.write_text(text)
                while not events.readline().startswith(b"event: reload"):
                    pass
                took = time.perf_counter() - t
                time.sleep(0.3)
                notes = log_path.read_text()[seen:]
                ran = re.findall(
                    r"ran its Python in [\d.]+ s \(([^)]*(?:\([^)]*\))?[^)]*)\)", notes
                )
                return took, ran[0] if ran else "no Python"

            kinds = {"prose": [], "output": [], "cell": []}
            said: dict[str, str] = {}
            for i in range(runs):
                text = target.read_text()
                edits = {
                    "prose": text.replace("near 45°.", f"near 45° (save {i}).", 1)
                    if "near 45°." in text
                    else re.sub(r"\(save \d+\)", f"(save {i})", text),
                    "output": None,
                    "cell": None,
                }
                took, said["prose"] = save(edits["prose"])
                kinds["prose"].append(took)
                text = target.read_text()
                took, said["output"] = save(
                    re.sub(
                        r"  - value: heavy\[[^\n]*",
                        f"  - value: heavy[angles.index(angle)] + {i}",
                        text,
                    )
                )
                kinds["output"].append(took)
                text = target.read_text()
                took, said["cell"] = save(re.sub(r"DRAG := [\d.]+", f"DRAG := 0.04{i + 1}", text))
                kinds["cell"].append(took)
            for kind, times in kinds.items():
                report[f"authoring_{kind}_edit_serve_s"] = statistics.median(times)
                print(f"a {kind} edit ran: {said[kind]}", file=sys.stderr)
            # what the last edit of each kind ran, counted from the dev server's notes
            counted = re.search(r"(\d+) of 3 cells", said["cell"])
            report["authoring_cell_edit_cells_ran"] = float(counted[1]) if counted else 3.0
            counted = re.search(r"(\d+) of 2 outputs", said["output"])
            report["authoring_output_edit_outputs_computed"] = float(counted[1]) if counted else 2
            report["authoring_prose_edit_cells_ran"] = 0.0 if said["prose"] == "no Python" else 3
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        builds = []
        for i in range(runs):  # a new process after a prose edit: the cell cache answers
            target.write_text(target.read_text().replace("Air pushes", f"Air ({i}) pushes", 1))
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "site_builder.cli", "build"],
                cwd=root,
                env=PYTHON_ENV | {"PYTHONPATH": str(ROOT)},
                check=True,
                capture_output=True,
            )
            builds.append(time.perf_counter() - t)
        report["authoring_prose_edit_new_build_s"] = statistics.median(builds)
    return report


def bench_answers(runs: int) -> dict[str, float]:
    """Answers before Python (site_builder/answers.py), against the goals: the first
    correct answer after an input made at first paint on the flagship, on a host that
    compresses text, unthrottled, Fast 4G and Slow 4G, with its tables and, in the same
    run, the same site built without them (Python answers); input -> DOM p95 of answered
    outputs (the sigmoid explorer, and a 1,000-point chart whose slider is answered); the
    flagship's tables' weight and how many widgets answer with the runtime blocked; the
    build's CPU time with and without them."""
    import gzip
    import re
    import resource

    from playwright.sync_api import sync_playwright

    from site_builder.build import build
    from site_builder.config import load_config
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_folder, write_site

    def cpu() -> float:
        own, kids = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    results: dict[str, list[float]] = {}
    report: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sites = {}
        for label, limit in (("tables", None), ("python", 0)):
            out = Path(tmp) / label
            before = cpu()
            overrides = {"output_dir": str(out / "_site"), "cache_dir": str(out / "cache")}
            config = load_config(ROOT, overrides)
            if limit is not None:
                config = dataclasses.replace(
                    config, runtime=dataclasses.replace(config.runtime, precompute=limit)
                )
            build(config)
            report[f"answers_build_cpu_s_{label}"] = cpu() - before
            sites[label] = out / "_site"
        html = (sites["tables"] / "neural-network-math" / "index.html").read_text()
        spec = json.loads(re.search(r'data-xw-answers="([^"]*)"', html)[1].replace("&#34;", '"'))
        files = [sites["tables"] / u.lstrip("/") for u in spec["files"]]
        report["answers_flagship_kb_gzip"] = (
            sum(len(gzip.compress(f.read_bytes(), 6)) for f in files) / 1000
        )
        widgets = re.findall(
            r'<figure class="xw-widget[^"]*" id="([^"]+)"(.*?)</figure>', html, re.S
        )
        report["answers_flagship_widgets"] = len(widgets)

        def answered(widget: str) -> bool:
            """Its inputs all move from tables, or (an output-only widget) its outputs
            are all tabled."""
            names = re.findall(r'data-xw-input="([^"]+)"', widget)
            if names:
                return all(n in spec["inputs"] for n in names)
            ids = re.findall(r'data-xw-output="([^"]+)"', widget)
            return bool(ids) and all(i in spec["outputs"] for i in ids)

        report["answers_flagship_widgets_answered"] = sum(answered(w) for _, w in widgets)
        vocab = write_site(
            Path(tmp) / "vocab",
            {
                "content/v.md": VOCABULARY_ARTICLE.replace(
                    "title: Vocabulary bench", "title: V\nprecompute: {bytes: 50000000}"
                )
            },
        )
        build(load_config(vocab))
        hosts = {k: counting_server(v, "text") for k, v in sites.items()}
        vocab_server, vocab_url = serve_folder(vocab / "_site")
        blocked = (re.compile(r".*/_pyodide/.*"), lambda route: route.abort())
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--headless"]
            )
            for profile, conditions in PROFILES.items():
                cases = [(label, host, 0) for label, host in hosts.items()]
                cases.append(("tables", hosts["tables"], 1000))  # the input a second later
                for label, (_, url, sent), delay in cases:
                    slow = profile == "slow4g" and label == "python"
                    for _ in range(1 if slow else min(runs, 3)):
                        context = browser.new_context()
                        page = context.new_page()
                        throttle(context, page, conditions)
                        sent[0] = 0
                        page.goto(url + "neural-network-math/", wait_until="commit")
                        deadline = time.monotonic() + 120
                        while not page.evaluate(
                            "performance.getEntriesByType('paint').length > 1"
                            " && document.readyState !== 'loading'"
                        ):
                            assert time.monotonic() < deadline
                            time.sleep(0.005)
                        if label == "python" and profile == "slow4g":  # the page waits to be asked
                            with contextlib.suppress(Exception):
                                page.click(".xw-status .xw-load", timeout=3000)
                        after_input, after_paint = page.evaluate(FIRST_ANSWER, delay)
                        key = f"answers_first_{profile}_{label}" + ("_1s" if delay else "")
                        print(
                            f"{key}: {after_input:.0f} ms after the input, "
                            f"{after_paint:.0f} ms after first paint",
                            file=sys.stderr,
                        )
                        results.setdefault(f"{key}_after_input_ms", []).append(after_input)
                        results.setdefault(f"{key}_after_paint_ms", []).append(after_paint)
                        context.close()
            for _ in range(runs):
                context = browser.new_context()
                context.route(*blocked)
                page = context.new_page()
                page.goto(hosts["tables"][1] + "neural-network-math/")
                page.hover("#xw-in-x")
                page.wait_for_timeout(500)
                results.setdefault("answers_sigmoid_input_to_dom_p95_ms", []).append(
                    page.evaluate(
                        TABLE_LATENCY, ["#xw-in-x", "[data-xw-output=w0o2] .xw-result", 40, -20, 20]
                    )
                )
                page.goto(vocab_url + "v/")
                page.hover("#xw-in-z")
                page.wait_for_timeout(1500)
                results.setdefault("answers_chart1000_input_to_dom_p95_ms", []).append(
                    page.evaluate(
                        TABLE_LATENCY, ["#xw-in-z", "[data-xw-output=w0o0] .xw-result", 40, 0, 6.3]
                    )
                )
                context.close()
            browser.close()
        for server, _, _ in hosts.values():
            server.shutdown()
        vocab_server.shutdown()
        chart = re.search(
            r'data-xw-answers="([^"]*)"', (vocab / "_site" / "v" / "index.html").read_text()
        )
        if chart:
            found = json.loads(chart[1].replace("&#34;", '"'))
            report["answers_chart1000_kb_gzip"] = (
                sum(
                    len(gzip.compress((vocab / "_site" / u.lstrip("/")).read_bytes(), 6))
                    for u in found["files"]
                )
                / 1000
            )
    report.update({k: statistics.median(v) for k, v in results.items()})
    report["answers_build_cpu_s_added"] = (
        report["answers_build_cpu_s_tables"] - report["answers_build_cpu_s_python"]
    )
    return report


LONGEST_TASK = """
window.__longestTask = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    window.__longestTask = Math.max(window.__longestTask, e.duration);
}).observe({type: "longtask", buffered: true});
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--only",
        help="run one browser bench: browser, rows, packages, vocabulary, network, runaway, "
        "answers, navigation, authoring",
    )
    parser.add_argument(
        "--peers", action="store_true", help="builds side by side with Hugo and Eleventy (peers.py)"
    )
    args = parser.parse_args()
    report: dict[str, float] = {}
    benches = {
        "browser": bench_browser,
        "rows": bench_rows,
        "packages": bench_packages,
        "vocabulary": bench_vocabulary,
        "network": bench_network,
        "runaway": bench_runaway,
        "answers": bench_answers,
        "navigation": bench_navigation,
        "authoring": bench_authoring,
    }
    if args.peers:
        from scripts.peers import main as peers

        sys.argv = [sys.argv[0], "--sizes", args.sizes, "--runs", str(args.runs)]
        raise SystemExit(peers())
    if args.only:
        report.update(benches[args.only](args.runs))
    else:
        for n in (int(s) for s in args.sizes.split(",") if s):
            report.update(bench_build(n, args.runs))
        if not args.no_browser:
            for bench in benches.values():
                report.update(bench(args.runs))
    print(json.dumps(report, indent=2))
    for key, value in report.items():
        print(f"{key:36} {value:10.3f}")


if __name__ == "__main__":
    main()
