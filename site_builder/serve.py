"""Development server: build, serve on 127.0.0.1, watch sources, rebuild and live-reload.

Sources are watched with the operating system's file events (watchfiles). Pages get a
small script (only in this mode) that listens on ``/__dev/events`` (Server-Sent
Events): "reload" after a good build, or the diagnostics of a failed one, shown as an
overlay while the server keeps running and serving the last good site.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from .build import Known, build, preview_dir
from .config import CONFIG_NAME, SiteConfig, load_config
from .content import is_editor_file
from .errors import BuildError
from .warm import Pool

log = logging.getLogger(__name__)

LIVERELOAD_JS = """\
(() => {
  const source = new EventSource("/__dev/events");
  let box = null;
  source.addEventListener("reload", () => location.reload());
  source.addEventListener("failed", (e) => {
    if (!box) {
      box = document.createElement("pre");
      box.className = "dev-overlay";
      box.setAttribute("role", "alert");
      document.body.append(box);
    }
    const lines = JSON.parse(e.data).join("\\n");
    box.textContent = "Build failed; showing the last good build.\\n\\n" + lines;
  });
})();
"""
OVERLAY_CSS = (
    ".dev-overlay{position:fixed;inset:auto 1rem 1rem 1rem;max-height:60vh;overflow:auto;"
    "background:#2b0b0b;color:#ffd7d7;padding:1rem;border-radius:8px;z-index:99;"
    "font:13px/1.45 ui-monospace,monospace;white-space:pre-wrap}"
)


class DevState:
    """What the server shares between the watcher and request threads."""

    def __init__(self) -> None:
        self.generation = 0
        self.errors: list[str] = []
        self.changed = threading.Condition()
        self.known: Known | None = None  # the sources the last good build found
        # The articles' warm runners (warm.py): processes, started when Python first runs.
        self.warm = Pool()

    def publish(self, errors: list[str]) -> None:
        with self.changed:
            self.generation += 1
            self.errors = errors
            self.changed.notify_all()


def _moved_on(state: DevState, generation: int) -> bool:
    return state.generation != generation


def wait_for_config(root: Path, overrides: dict[str, str], interval: float = 0.3) -> SiteConfig:
    """The project's configuration; while site.toml is broken, print why and wait for a
    save that fixes it (Ctrl-C stops waiting)."""
    path = root / CONFIG_NAME
    while True:
        try:
            return load_config(root, overrides)
        except BuildError as exc:
            print("\n".join(d.format() for d in exc.diagnostics), flush=True)
            print(f"waiting for {CONFIG_NAME} to be fixed…", flush=True)
        seen = _stamp(path)
        while _stamp(path) == seen:
            time.sleep(interval)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _identity(folder: Path) -> tuple[int, int] | None:
    """Which folder is at *folder* now (device and inode), or None when there is none."""
    try:
        found = folder.stat()
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def rebuild(
    root: Path, state: DevState, drafts: bool, base_url: str, modified: set[str] | None = None
) -> SiteConfig | None:
    """Build once; publish a reload or the diagnostics. Never raises. *modified*: the
    files that changed, when only existing sources' files did (else the build looks)."""
    start = time.perf_counter()
    known = state.known.after(modified) if state.known and modified is not None else None
    state.known = None  # until this build succeeds
    try:
        config = load_config(root, {"base_url": base_url})
        result = build(
            config, drafts=drafts, dev=True, waiting=_waiting, known=known, warm=state.warm
        )
        state.known = result.sources
    except BuildError as exc:
        errors = [d.format() for d in exc.diagnostics]
        print("\n".join(errors), flush=True)
        print("build failed; still serving the last good build", flush=True)
        state.publish(errors)
        return None
    except Exception as exc:  # a bug of ours must not stop the author's loop
        log.exception("build crashed")
        state.publish([f"internal error: {exc!r}"])
        return None
    for note in result.notes:
        print(note, flush=True)
    print(f"rebuilt in {time.perf_counter() - start:.2f} s", flush=True)
    state.publish([])
    return config


WARM_UP = 3  # articles whose Python the dev server runs ahead, for their first edit
LOOKED_AT = 30  # of the most recently changed sources


def warm_up(config: SiteConfig, state: DevState, drafts: bool) -> None:
    """After the first build: the most recently changed articles with Python whose runs
    came from the cache get a warm runner (cells.warm_up), so that the first edit to one
    of them runs only what it reaches, like the edits after it."""
    from . import cells
    from .articles import parse_article
    from .content import find_sources
    from .errors import Collector

    try:
        sources = find_sources(config.root, config.path("content_dir"), Collector())
        sources.sort(key=lambda s: _stamp(s.path) or (0, 0), reverse=True)
        chosen = []
        for source in sources[:LOOKED_AT]:  # a glance at the text first: parsing costs more
            try:
                text = source.path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if not any(mark in text for mark in ("```python", "```widget", "{py", "~~~python")):
                continue
            article, _ = parse_article(source, drafts, config.csp, config.permalink)
            if article is not None and (article.cells or article.widgets or article.inlines):
                chosen.append(article)
            if len(chosen) == WARM_UP:
                break
        for note in cells.warm_up(config, chosen, state.warm):
            print(note, flush=True)
    except Exception:  # a bug of ours must not stop the author's loop
        log.exception("warming up failed")


def _waiting(holder: str) -> None:
    print(f"waiting for another build of this project (pid {holder}) to finish…", flush=True)


def watch(
    root: Path,
    state: DevState,
    drafts: bool,
    base_url: str,
    stop: threading.Event,
    step_ms: int = 30,
    ready: threading.Event | None = None,
) -> None:
    """Wait for the operating system to report a change to a source, then rebuild once.

    File events (watchfiles: inotify, FSEvents, ReadDirectoryChangesW), not polling, so
    an idle server costs nothing however many sources there are. Changes that arrive
    within *step_ms* of each other (a branch switch, an editor's save dance) make one
    rebuild. Editors' lock, swap and backup files, ``.git`` and caches are ignored; only
    ``site.toml``, which editors may replace rather than rewrite, is checked by its stamp,
    and the watched folders by theirs: a folder removed and made again (a branch switch, a
    restored backup) is watched again, and rebuilt from. *ready* is set once the events
    are being watched (the server's first build waits for it, so no save is missed).
    """
    from watchfiles import Change, DefaultFilter
    from watchfiles import watch as file_events

    class Sources(DefaultFilter):
        def __call__(self, change: Any, path: str) -> bool:
            return super().__call__(change, path) and not is_editor_file(Path(path).name)

    config = load_config(root)
    folders = [config.path(n) for n in ("content_dir", "templates_dir", "static_dir")]
    content = str(folders[0]) + os.sep
    settings = root / CONFIG_NAME
    seen = _stamp(settings)
    owed = False  # a rebuild owed since a folder moved: made once the folders are watched again
    while not stop.is_set():
        identities = [_identity(f) for f in folders]
        for changes in file_events(
            *[f for f in folders if f.is_dir()] or [root],
            watch_filter=Sources(),
            step=step_ms,
            debounce=2000,
            stop_event=stop,
            rust_timeout=500,
            yield_on_timeout=True,
            recursive=any(f.is_dir() for f in folders),
        ):
            if ready is not None:
                ready.set()
            if [_identity(f) for f in folders] != identities:
                # Watch the folders as they are now first, then rebuild (on the new watch's
                # first report): a save made meanwhile is in that build or reported after.
                owed = True
                break
            now = _stamp(settings)
            if changes or now != seen or owed:
                # Files of the content folder that were only modified: the next build need
                # not look for sources (a file added, deleted or elsewhere: it does).
                modified: set[str] | None = {path for _, path in changes}
                if (
                    now != seen
                    or owed
                    or any(
                        kind != Change.modified
                        or not path.startswith(content)
                        or os.path.isdir(path)
                        for kind, path in changes
                    )
                ):
                    modified = None
                seen, owed = now, False
                rebuild(root, state, drafts, base_url, modified)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a built site with the content types browsers insist on for the runtime."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",  # WebAssembly.instantiateStreaming needs it
        ".mjs": "text/javascript",  # module scripts and workers need a script type
        ".js": "text/javascript",
    }


LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def host_allowed(header: str | None, host: str) -> bool:
    """Whether a request's ``Host`` header names this server as the author reaches it: a
    loopback name, or the address it was started on. A page on another site that points
    its own domain at 127.0.0.1 (DNS rebinding) sends its own name, and is refused; with
    ``--host 0.0.0.0`` the machine's addresses (IP literals) are allowed too."""
    if not header:
        return False
    name = header.strip().lower()
    if name.startswith("["):
        name = name[: name.find("]") + 1]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name in LOOPBACK or name == host.lower():
        return True
    if host in ("0.0.0.0", "::", ""):
        import ipaddress

        with contextlib.suppress(ValueError):
            ipaddress.ip_address(name.strip("[]"))
            return True
    return False


def make_handler(
    directory: Path, state: DevState, host: str = "127.0.0.1"
) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(SiteHandler):
        def log_message(self, format: str, *args: object) -> None:
            log.debug(format, *args)

        def do_HEAD(self) -> None:  # http.server API
            if self._host_checked():
                super().do_HEAD()

        def _host_checked(self) -> bool:
            if host_allowed(self.headers.get("Host"), host):
                return True
            self.send_error(403, "this preview answers only to localhost (Host header)")
            return False

        def do_GET(self) -> None:  # http.server API
            if not self._host_checked():
                return
            if self.path == "/__dev/livereload.js":
                self._send(LIVERELOAD_JS.encode(), "text/javascript")
            elif self.path == "/__dev/overlay.css":
                self._send(OVERLAY_CSS.encode(), "text/css")
            elif self.path == "/__dev/events":
                self._events()
            else:
                super().do_GET()

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            with state.changed:
                generation = state.generation
                errors = list(state.errors)
            try:
                if errors:
                    self._event("failed", errors)
                while True:
                    with state.changed:
                        state.changed.wait_for(functools.partial(_moved_on, state, generation), 15)
                        if state.generation == generation:
                            self.wfile.write(b": keep-alive\n\n")
                            self.wfile.flush()
                            continue
                        generation, errors = state.generation, list(state.errors)
                    self._event("failed" if errors else "reload", errors)
            except (BrokenPipeError, ConnectionResetError):
                return

        def _event(self, name: str, data: list[str]) -> None:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

    return functools.partial(Handler, directory=str(directory))  # type: ignore[return-value]


def serve(
    config: SiteConfig,
    host: str = "127.0.0.1",
    port: int = 8000,
    drafts: bool = True,
    stop: threading.Event | None = None,
) -> int:
    """Build, then serve and rebuild until interrupted (or *stop* is set). Articles'
    Python runs in warm runners (warm.py): an edit runs only what it reaches."""
    state = DevState()
    folder = config.root / preview_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    server = http.server.ThreadingHTTPServer((host, port), make_handler(folder, state, host))
    # Locally the site is served at the root, whatever base path it is published under.
    base_url = f"http://{host}:{server.server_address[1]}/"
    stop = stop or threading.Event()
    watching = threading.Event()
    threading.Thread(
        target=watch,
        args=(config.root, state, drafts, base_url, stop),
        kwargs={"ready": watching},
        daemon=True,
    ).start()
    watching.wait(5)  # a save made during the first build is then seen, and built
    rebuild(config.root, state, drafts, base_url)
    threading.Thread(target=warm_up, args=(config, state, drafts), daemon=True).start()
    server.daemon_threads = True
    print(
        f"serving a preview with drafts on http://{host}:{server.server_address[1]}/ "
        "(Ctrl-C to stop)",
        flush=True,
    )

    def stop_when_asked() -> None:
        stop.wait()
        server.shutdown()

    threading.Thread(target=stop_when_asked, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        stop.set()
        server.server_close()
        state.warm.close()
    return 0
