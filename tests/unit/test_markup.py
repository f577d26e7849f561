"""The DOM contract (site_builder/markup.py) holds on both sides: what the page script reads
is listed and written where the contract says; what the build writes is listed."""

import re

from site_builder import markup
from site_builder.widgets import OUTPUT_TYPES
from tests.conftest import ROOT, page_script

SCRIPT = page_script()
WRITERS = [
    *sorted((ROOT / "site_builder").glob("*.py")),
    *sorted((ROOT / "site_builder/runtime").glob("*.py")),
    *sorted((ROOT / "templates").glob("*.html")),
]


def written(path) -> str:
    """The text of a writer of markup; of markup.py, its writers, not its tables."""
    text = path.read_text(encoding="utf-8")
    return text[text.index("# --- the writers") :] if path.name == "markup.py" else text


def kebab(camel: str) -> str:
    return "data-" + re.sub(r"[A-Z]", lambda m: "-" + m[0].lower(), camel)


def read_by_script() -> tuple[set[str], set[str]]:
    """(data attributes, classes) app.js looks for."""
    # (data-xw-bind-${axis}: a name made from parts, each of which is listed in full)
    attributes = {
        m[0].rstrip("-") for m in re.finditer(r"data-xw-[a-z0-9-]+", SCRIPT) if m[0][-1] != "-"
    }
    attributes |= {kebab(m) for m in re.findall(r"\b(?:dataset|data)\.(xw[A-Za-z0-9]+)", SCRIPT)}
    classes = set(re.findall(r"\.(xw-[a-z0-9-]*[a-z0-9])", SCRIPT))
    classes |= set(re.findall(r'classList\.contains\("(xw-[a-z0-9-]+)"', SCRIPT))
    return attributes, classes


def test_every_name_the_script_reads_is_in_the_contract():
    attributes, classes = read_by_script()
    assert attributes - set(markup.ATTRIBUTES) - markup.SCRIPT_STATE == set()
    assert classes - set(markup.CLASSES) - markup.SCRIPT_STATE == set()


def test_every_name_in_the_contract_is_written_where_it_says_and_read():
    attributes, classes = read_by_script()
    for table, read in ((markup.ATTRIBUTES, attributes), (markup.CLASSES, classes)):
        for name, (writer, meaning) in table.items():
            assert meaning
            text = written(ROOT / writer)
            kind = name.removeprefix("xw-") in OUTPUT_TYPES and "xw-{output.type}" in text
            literal = re.search(rf"{re.escape(name)}(?![a-z0-9-])", text)
            assert literal or kind, f"{writer} does not write {name}"
            assert name in read, f"{name}: in the contract, never read by the page script"
    for name in markup.SCRIPT_STATE:
        camel = re.sub(r"-([a-z])", lambda m: m[1].upper(), name.removeprefix("data-"))
        assert name in SCRIPT or f"dataset.{camel}" in SCRIPT, name


def test_every_data_attribute_the_build_writes_is_in_the_contract():
    found = set()
    for path in WRITERS:
        found |= set(re.findall(r"data-xw-[a-z0-9-]*[a-z0-9]", written(path)))
    assert found - set(markup.ATTRIBUTES) == set()
