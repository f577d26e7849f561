"""runtime/views.py: the small views both sides draw: numbers as coordinates and labels,
round ticks, inline values, sparklines, plots and tables, always escaped."""

import math

import pytest

from site_builder.runtime.views import (
    HTML,
    inline_value,
    label,
    line_plot,
    nice_ticks,
    num,
    sparkline,
    table_html,
)


def test_plot_marks_the_input_and_escapes_labels():
    svg = line_plot(lambda v: v * v, [-1, 1], marker=0.5, x_label="<x>", y_label="y")
    assert 'class="marker"' in svg and "&lt;x&gt;" in svg and "<x>" not in svg
    assert "at &lt;x&gt; = 0.50, y = 0.2500" in svg


def test_table_escapes_everything():
    html = table_html([{"name": "<script>alert(1)</script>", "age": None}])
    assert "<script>" not in html and "&lt;script&gt;" in html and "—" in html


def test_numbers_for_drawings_and_for_readers():
    assert [num(v) for v in (1.0, -0.001, 2.5, 1 / 3)] == ["1", "0", "2.5", "0.33"]
    assert [label(v) for v in (3.0, 1 / 3, math.nan, -math.inf, "a")] == [
        "3",
        "0.3333",
        "none",
        "−∞",
        "a",
    ]
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0.13, 1.01, 4) == [0.25, 0.5, 0.75, 1.0]
    assert len(nice_ticks(1e15, 1e15 + 1e3, 1000)) <= 50  # never more than MAX_TICKS
    assert nice_ticks(math.nan, 1) == []


def test_inline_values_are_text_unless_markup():
    assert inline_value(0.123456, ".2f") == "0.12" and inline_value(7) == "7"
    assert isinstance(inline_value(HTML("<b>x</b>")), HTML)
    spark = inline_value([1, 3, 2, math.nan, 4, 5], "spark")
    assert spark.startswith('<svg class="xw-spark"') and spark.count("<polyline") == 2
    assert 'aria-label="6 values from 1 to 5, lowest 1, highest 5"' in spark
    assert "no values" in sparkline([math.nan])
    with pytest.raises(TypeError, match="spark needs a sequence of numbers"):
        sparkline(["a", "b"])
