"""runtime/reactive.py: a page's outputs computed from its inputs, the same on both sides:
only the outputs an input reaches recompute, and an error stays with its output."""

import json

from site_builder.runtime.reactive import Page

INPUTS = [{"name": "x", "type": "range", "value": 0}, {"name": "y", "type": "range", "value": 1}]


def page(outputs):
    ns = {"__name__": "__main__"}
    exec("def f(v):\n    return 10 / v\n", ns)
    return Page(ns, INPUTS, outputs)


def test_only_dependent_outputs_recompute():
    p = page(
        [
            {"id": "a", "type": "value", "expr": "x * 2", "deps": ["x"]},
            {"id": "b", "type": "value", "expr": "y + 1", "deps": ["y"], "format": ".1f"},
        ]
    )
    assert p.render_all() == {"a": {"ok": True, "value": "0.0"}, "b": {"ok": True, "value": "2.0"}}
    assert json.loads(p.update('{"x": "2.5"}')) == {"outputs": {"a": {"ok": True, "value": "5.0"}}}
    assert json.loads(p.update('{"x": "2.5"}')) == {"outputs": {}}


def test_an_error_stays_with_its_output():
    p = page(
        [
            {"id": "a", "type": "value", "expr": "f(x)", "deps": ["x"]},
            {"id": "b", "type": "value", "expr": "x + 1", "deps": ["x"]},
            {"id": "c", "type": "html", "expr": "42", "deps": []},
        ]
    )
    result = p.render_all()
    assert result["a"] == {"ok": False, "error": "ZeroDivisionError: float division by zero"}
    assert result["b"] == {"ok": True, "value": "1.0"}
    assert result["c"] == {
        "ok": False,
        "error": "TypeError: an html output must return a str, got int",
    }
    assert json.loads(p.update('{"x": 5}'))["outputs"]["a"] == {"ok": True, "value": "2.0"}


def test_bad_input_value_is_reported_not_raised():
    p = page([])
    assert json.loads(p.update('{"x": "NaN"}'))["error"].startswith("ValueError")
