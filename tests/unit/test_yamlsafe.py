"""yamlsafe.py: YAML read with limits: size, aliases that expand, duplicate keys, depth."""

import yaml

from site_builder.yamlsafe import (
    YAML_MAX_CHARS,
    YAML_MAX_DEPTH,
    Loader,
    structure_problem,
    yaml_too_large,
)


def compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=Loader)


def test_a_billion_laughs_is_refused_without_expanding_it():
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]" for k in range(1, 9)]
    text = "\n".join(lines) + "\n"
    assert "more than 50,000 values" in (yaml_too_large(text, compose(text)) or "")
    assert yaml_too_large("a: [1, 2, 3]\n", compose("a: [1, 2, 3]\n")) is None


def test_size_is_checked_before_parsing():
    text = "a: " + "x" * YAML_MAX_CHARS
    assert "characters long" in (yaml_too_large(text, None) or "")


def test_a_key_given_twice_is_found_at_its_line():
    found = structure_problem(compose("title: A\ntags: [x]\ntitle: B\n"))
    assert found is not None and found[0] == 2 and "title" in found[1]
    assert structure_problem(compose("a: 1\nb: {a: 2}\n")) is None  # other mappings may reuse


def test_nesting_deeper_than_anyone_writes_is_refused():
    deep = "[" * (YAML_MAX_DEPTH + 2) + "]" * (YAML_MAX_DEPTH + 2)
    found = structure_problem(compose(f"a: {deep}\n"))
    assert found is not None and "nested more than" in found[1]
