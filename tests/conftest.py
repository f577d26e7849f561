"""Shared fixtures: tiny sites in temporary folders, the built example site, a static server
on 127.0.0.1, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from site_builder.build import build
from site_builder.config import load_config
from site_builder.serve import SiteHandler

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def write_site(root: Path, files: dict) -> Path:
    """Create a project at *root* with the real templates and static files plus *files*
    (text, bytes, or ("symlink", target))."""
    shutil.copytree(ROOT / "templates", root / "templates", dirs_exist_ok=True)
    shutil.copytree(ROOT / "static", root / "static", dirs_exist_ok=True)
    (root / "content").mkdir(parents=True, exist_ok=True)
    cache = root / ".cache"
    if not cache.exists() and (ROOT / ".cache").is_dir():
        cache.symlink_to(ROOT / ".cache")  # share the downloaded Pyodide runtime
    write_files(
        root, {"site.toml": 'title = "Test site"\nbase_url = "http://127.0.0.1:8000/"\n', **files}
    )
    return root


def write_files(root: Path, files: dict) -> None:
    """Write *files* under *root*: text (dedented), bytes, or ("symlink", target)."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, tuple):
            path.symlink_to(data[1])
        elif isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data).lstrip("\n"), encoding="utf-8")


@pytest.fixture
def make_site(tmp_path: Path):
    """Return a function that writes a small site and returns its root."""
    return lambda files: write_site(tmp_path / "site", files)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under *folder* by relative path, for byte-for-byte comparisons."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class Handler(SiteHandler):
    def log_message(self, *args: object) -> None:
        pass

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError):  # the browser closed a connection
            super().handle()


@contextlib.contextmanager
def dev_server(root: Path, page: str) -> Iterator[tuple[str, Any]]:
    """Run `site-builder serve` for *root* on a free port; yield (base URL, event stream).

    The port is read from *page* once the first build has written it.
    """
    from site_builder.serve import serve

    stop = threading.Event()
    threading.Thread(
        target=serve, args=(load_config(root),), kwargs={"port": 0, "stop": stop}, daemon=True
    ).start()
    built = root / ".site-cache" / "preview" / "site" / page  # previews never touch _site/
    deadline = time.monotonic() + 20
    while not built.exists():
        assert time.monotonic() < deadline, "the dev server never built the site"
        time.sleep(0.05)
    port = built.read_text().split('href="http://127.0.0.1:')[1].split("/")[0]
    base = f"http://127.0.0.1:{port}/"
    events = urllib.request.urlopen(base + "__dev/events", timeout=30)
    time.sleep(0.4)  # subscribed before the test's first save
    try:
        yield base, events
    finally:
        stop.set()


def read_event(stream: Any, seconds: float = 30) -> tuple[str, str]:
    """The next Server-Sent Event from the dev server: (name, data); a test fails when none
    comes within *seconds* (the server's keep-alives would otherwise wait for ever)."""
    name, deadline = "", time.monotonic() + seconds
    while True:
        assert time.monotonic() < deadline, f"no event from the dev server in {seconds} s"
        line = stream.readline().decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: ") and name:
            return name, line[6:]


# The policy a host could send as a header, which (unlike the pages' <meta> policy) also
# binds the worker: no 'unsafe-eval', so nothing may evaluate JavaScript from a string.
STRICT_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'self'"
)


class StrictHandler(Handler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", STRICT_POLICY)
        super().end_headers()


def page_script() -> str:
    """The page script's source: static/js/app.js and the modules it imports (every module
    of static/js but the worker), one after the other."""
    js = ROOT / "static" / "js"
    return "\n".join(
        p.read_text(encoding="utf-8") for p in sorted(js.glob("*.js")) if p.name != "worker.js"
    )


def policy_refusals(page: Any) -> list[str]:
    """A list that fills with the console's reports of what a Content-Security-Policy
    refused, in the page or its worker."""
    refused: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    return refused


def serve_folder(folder: Path, strict: bool = False) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve *folder* on 127.0.0.1 at a free port; return (server, base URL). With
    *strict*, every response carries `STRICT_POLICY` as a header."""
    handler = StrictHandler if strict else Handler
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
    )
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's own example site, built from scratch (fresh cell cache)."""
    out = tmp_path_factory.mktemp("example")
    config = load_config(ROOT, {"output_dir": str(out / "_site"), "cache_dir": str(out / "cache")})
    build(config)
    return out / "_site"


@pytest.fixture(scope="session")
def example_url(example_site: Path) -> Iterator[str]:
    server, url = serve_folder(example_site)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextlib.contextmanager
def open_page(browser: Any, route: tuple[Any, Any] | None = None, **options: Any) -> Iterator[Any]:
    """A fresh page in its own context (made with *options*: a phone's viewport, touch)
    that records uncaught errors in ``page.errors``; with *route* (pattern, handler) the
    context answers those requests itself."""
    context = browser.new_context(**options)
    if route:
        context.route(*route)
    p = context.new_page()
    p.errors = []
    p.on("pageerror", lambda exc: p.errors.append(str(exc)))
    try:
        yield p
    finally:
        context.close()


@pytest.fixture
def page(browser):
    """A fresh page that records uncaught errors in ``page.errors``."""
    with open_page(browser) as p:
        yield p


READY = "html[data-xw-state=ready]"


def open_ready(page: Any, url: str) -> None:
    """Open *url* and wait until its Python is ready for the reader."""
    page.goto(url)
    page.wait_for_selector(READY, state="attached", timeout=90_000)


SAVED_SNAPSHOTS = """async () => {
  const cache = await caches.open("xw-python-snapshots");
  return (await cache.keys()).map((r) => r.url);
}"""


def saved_snapshots(page: Any, timeout: float = 30.0) -> list[str]:
    """The keys of the memory snapshots the page's browser saved, once there is one."""
    deadline = time.monotonic() + timeout
    while not (keys := page.evaluate(SAVED_SNAPSHOTS)):
        assert time.monotonic() < deadline, "no snapshot was saved"
        time.sleep(0.1)
    return keys


def seen(page: Any, selector: str, timeout: float = 5.0) -> str:
    """The text a reader sees at *selector* once scrolled to it.

    The theme lets Chromium skip laying out sections off screen (``content-visibility``),
    and skipped text has no ``innerText`` until the reader gets near it, so read it the
    way a reader does: scroll there first, then read what is rendered.
    """
    element = page.locator(selector).first
    element.scroll_into_view_if_needed()
    deadline = time.monotonic() + timeout
    while True:
        shown = element.inner_text()
        if shown.strip() or not (element.text_content() or "").strip():
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} has text but it was never rendered")
        time.sleep(0.02)
