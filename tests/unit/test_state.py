"""The build state in SQLite (site_builder/state.py)."""

import os

from site_builder.links import Link, Scan
from site_builder.state import Changes, Kept, State, Summary, create


def test_state_round_trip_and_damaged_outputs(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.html").write_text("a")
    st = os.stat(site / "a.html")
    summary = Summary("key", {"content/a.md": (1, 2)}, {}, 1, 1, [])
    changes = Changes(
        summary,
        sources={"content/a.md": Kept(("packed",), "a", ["a.html"])},
        files={"a.html": ("content/a.md", st.st_mtime_ns, st.st_size)},
        scans={"a.html": Scan([Link("/b/", "b/index.html", "")], {"top"})},
    )
    create(tmp_path / "cache", changes)
    state = State.open(tmp_path / "cache", "key")
    assert state is not None and state.summary == summary
    assert State.open(tmp_path / "cache", "another key") is None
    assert state.kept(["content/a.md"])["content/a.md"].outputs == ["a.html"]
    assert state.referrers({"b/index.html"}) == {"a.html"}
    assert state.damaged_outputs(site) == {}
    (site / "a.html").write_text("edited by hand")
    assert state.damaged_outputs(site) == {"a.html": "content/a.md"}
    state.close()
