"""The author's loop: the dev server rebuilds after an edit, signals reload, survives errors."""

import threading
import time
import urllib.request

from site_builder.config import load_config
from site_builder.serve import serve


def read_event(stream) -> tuple[str, str]:
    name = data = ""
    while True:
        line = stream.readline().decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and name:
            return name, data


def test_edit_rebuilds_and_reloads_and_errors_are_survived(make_site):
    root = make_site({"content/a.md": "---\ntitle: Before\n---\nHello\n"})
    stop = threading.Event()
    server = threading.Thread(
        target=serve, args=(load_config(root),), kwargs={"port": 0, "stop": stop}, daemon=True
    )
    # port 0: find the port from the rebuilt pages' base URL
    server.start()
    deadline = time.monotonic() + 20
    while not (root / "_site" / "a" / "index.html").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    html = (root / "_site" / "a" / "index.html").read_text()
    port = html.split('href="http://127.0.0.1:')[1].split("/")[0]
    base = f"http://127.0.0.1:{port}/"
    assert "/__dev/livereload.js" in urllib.request.urlopen(base + "a/").read().decode()
    events = urllib.request.urlopen(base + "__dev/events", timeout=20)
    time.sleep(0.5)
    (root / "content" / "a.md").write_text("---\ntitle: After\n---\nHello\n")
    assert read_event(events) == ("reload", "[]")
    assert "After" in urllib.request.urlopen(base + "a/").read().decode()
    (root / "content" / "a.md").write_text("---\ntitle: [broken\n---\n")
    name, data = read_event(events)
    assert name == "failed" and "content/a.md:2:15: error: invalid YAML" in data
    assert "After" in urllib.request.urlopen(base + "a/").read().decode()  # last good site
    (root / "content" / "a.md").write_text("---\ntitle: Fixed\n---\n")
    assert read_event(events)[0] == "reload"
    stop.set()
