"""The author's loop: the dev server rebuilds after an edit, signals reload, survives errors."""

import urllib.request

from tests.conftest import dev_server, read_event


def test_edit_rebuilds_and_reloads_and_errors_are_survived(make_site):
    root = make_site({"content/a.md": "---\ntitle: Before\n---\nHello\n"})
    with dev_server(root, "a/index.html") as (base, events):
        assert "/__dev/livereload.js" in urllib.request.urlopen(base + "a/").read().decode()
        (root / "content" / "a.md").write_text("---\ntitle: After\n---\nHello\n")
        assert read_event(events) == ("reload", "[]")
        assert "After" in urllib.request.urlopen(base + "a/").read().decode()
        (root / "content" / "a.md").write_text("---\ntitle: [broken\n---\n")
        name, data = read_event(events)
        assert name == "failed" and "content/a.md:2:15: error: invalid YAML" in data
        assert "After" in urllib.request.urlopen(base + "a/").read().decode()  # last good site
        (root / "content" / "a.md").write_text("---\ntitle: Fixed\n---\n")
        assert read_event(events)[0] == "reload"
