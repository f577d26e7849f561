"""docs/protocol.md describes the messages and the spec the code really uses."""

import re

from site_builder.runtime.program import Program
from tests.conftest import ROOT, page_script

DOC = (ROOT / "docs" / "protocol.md").read_text()
APP = page_script()
WORKER = (ROOT / "static" / "js" / "worker.js").read_text()


def table(heading: str) -> dict[str, str]:
    """The rows of the table under *heading*: first cell (without backticks) -> the rest."""
    section = DOC.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 2:
            rows[cells[0].strip("`")] = " | ".join(cells[1:])
    return rows


def documented_fields(text: str) -> set[str]:
    """The field names of a row: every `name` that starts the text or follows ', '."""
    return set(re.findall(r"(?:^|, |\band )`(\w+)`", text))


def test_page_to_worker_messages():
    doc = table("Page → worker")
    # Messages the page posts, and the one initMessage returns.
    sent = set(re.findall(r'(?:postMessage\(\{|post\(\{|ask\(\{|return \{)\s*type: "(\w+)"', APP))
    handled = set(re.findall(r'data\.type === "(\w+)"', WORKER))
    assert set(doc) == sent == handled
    init = re.search(r"async function init\(\{([^}]*)\}\)", WORKER)[1]
    read = {part.split(":")[0].strip() for part in init.split(",")}
    posted = re.search(r'type: "init",(.*?)\};', APP, re.S)[1]
    given = set(re.findall(r"^\s*(\w+):", posted, re.M))
    assert read == given == documented_fields(doc["init"].split(" | ")[0])


def test_worker_to_page_messages():
    doc = table("Worker → page")
    posted = set(re.findall(r'post\(\{\s*type: "(\w+)"', WORKER))
    handled = set(re.findall(r'^\s*case "(\w+)":', APP, re.M))
    assert set(doc) == posted == handled
    ready = re.search(r'type: "ready",(.*?)\}\);', WORKER, re.S)[1]
    assert set(re.findall(r"^\s*(\w+)[:,]", ready, re.M)) == documented_fields(
        doc["ready"].split(" | ")[0]
    )


def test_spec_fields():
    program = Program("a.md", None, [], [], [], [], [])
    assert set(table("The spec")) == set(program.for_browser("a.md", {}, {}))
    used = set(re.findall(r"spec\.(\w+)", WORKER))
    assert used <= set(program.for_browser("a.md", {}, {}))
