"""Exactly the build's values in the browser: what `build` cells export and what inputs
produce keep their Python types (2.0 stays a float, NaN and ±inf survive, big ints stay
exact), and formatting them gives the same text in Pyodide as at build time.

Hypothesis draws the values and formats; each example is one article (built once) whose
browser render must match the build's, output for output.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import open_ready, serve_folder, write_site

pytestmark = pytest.mark.browser

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
FORMATS = st.sampled_from(["", ".2f", ".3e", "g", ",", "d", "+.1%", ">8", "x", ".0f", "_"])

ARTICLE = """---
title: Parity
---

```python build hide export=cases
import base64, json
cases = json.loads(base64.b64decode("{data}").decode())
```

```python exec
import html


def show(cases, k):
    lines = []
    for value, fmt in cases:
        try:
            text = f"{{format(value, fmt) if fmt else repr(value)}} {{type(value).__name__}}"
        except Exception as exc:
            text = "error " + type(exc).__name__
        lines.append(html.escape(text))
    return "<br>".join(lines) + f"<br>k={{k!r}}"
```

```widget
inputs:
  k: {{type: range, min: 0, max: 10, step: 1, value: 3, label: k}}
outputs:
  - html: show(cases, k)
  - value: k / 4
    format: .3f
```
"""


NASTY = [
    (2.0, ""),
    (float("nan"), ".2f"),
    (float("-inf"), ""),
    ([None, float("nan")], ""),
    (2**64 + 1, ","),
    ({"b": [1.5, (1, 2)], "a": 0}, ""),
    (True, "d"),
    ("é", ">8"),
    (-0.0, ""),
]


@settings(
    max_examples=3,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),  # a failing example is one build: don't shrink
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(cases=NASTY)
@given(cases=st.lists(st.tuples(VALUES, FORMATS), min_size=20, max_size=40))
def test_the_browser_renders_exactly_what_the_build_rendered(tmp_path_factory, browser, cases):
    data = base64.b64encode(json.dumps(cases).encode()).decode()
    root = write_site(
        tmp_path_factory.mktemp("parity"), {"content/parity.md": ARTICLE.format(data=data)}
    )
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    context = browser.new_context()
    page = context.new_page()
    try:
        open_ready(page, url + "parity/")
        built = page.locator("[data-xw-output=w0o0] .xw-result").evaluate("e => e.innerHTML")
        assert "k=3<br>" not in built and built.endswith("k=3")  # an int, as the step is
        live = page.evaluate("xw.renderAll()")["outputs"]
        fresh = page.evaluate(
            "html => { const d = document.createElement('div'); d.innerHTML = html;"
            " return d.innerHTML; }",
            live["w0o0"]["value"],
        )
        differing = [
            (i, a, b)
            for i, (a, b) in enumerate(zip(built.split("<br>"), fresh.split("<br>"), strict=True))
            if a != b
        ]
        assert differing == []  # (case, as built, in the browser)
        assert live["w0o1"]["value"] == "0.750"
    finally:
        context.close()
        server.shutdown()
