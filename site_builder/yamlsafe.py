"""YAML as front matter and widget blocks use it: safe loaders, dates that report their
key when impossible, and bounds on size and alias expansion. Imported only when a source
is parsed: a build that finds nothing changed never loads PyYAML."""

from __future__ import annotations

import re
from typing import Any

import yaml


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """A YAML date, or the text of an impossible one (2024-13-01), to report it by key."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


class Loader(yaml.SafeLoader):
    """SafeLoader (pure Python: its error messages are the clearer ones)."""


FAST_COMPOSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FastLoader(FAST_COMPOSER):
    """SafeLoader on libyaml's parser, when PyYAML was built with it."""


for _loader in (Loader, FastLoader):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


class WidgetLoader(yaml.SafeLoader):
    """SafeLoader for widget blocks, reading 1e-3 and 2.5e6 as the numbers they are (YAML
    1.2 does; PyYAML's 1.1 wants a dot and a signed exponent, 1.0e-3, and gives text)."""


WidgetLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


# Front matter and widget blocks are YAML: bounded, so that no block (say, an alias that
# refers to itself a billion times over) can take the build's time or memory.
YAML_MAX_CHARS = 256_000
YAML_MAX_VALUES = 50_000


def yaml_too_large(text: str, node: yaml.Node | None) -> str | None:
    """Why a YAML block is refused, or None: its size, or how many values it expands to
    once every alias is followed (counted without expanding anything)."""
    if len(text) > YAML_MAX_CHARS:
        return f"is {len(text):,} characters long (at most {YAML_MAX_CHARS:,})"
    if node is None:
        return None

    def children(n: yaml.Node) -> list[yaml.Node]:
        if isinstance(n, yaml.MappingNode):
            return [part for pair in n.value for part in pair]
        return list(n.value) if isinstance(n, yaml.SequenceNode) else []

    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, finished = stack.pop()
        key = id(current)
        if finished:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children(current))
            if sizes[key] > YAML_MAX_VALUES:
                return (
                    f"expands to more than {YAML_MAX_VALUES:,} values once its aliases are followed"
                )
        elif key in open_nodes:
            return "contains an alias that refers to itself"
        elif key not in sizes:
            open_nodes.add(key)
            stack.append((current, True))
            stack.extend((c, False) for c in children(current) if id(c) not in sizes)
    return None


YAML_MAX_DEPTH = 64  # nesting levels: deeper is no front matter or widget anyone writes


def structure_problem(node: yaml.Node | None) -> tuple[int, str] | None:
    """(line, from 0, and what) of the first mapping holding one key twice (YAML lets the
    later win silently) or of nesting deeper than YAML_MAX_DEPTH; None when neither."""
    if node is None:
        return None
    stack: list[tuple[yaml.Node, int]] = [(node, 1)]
    seen: set[int] = set()
    while stack:
        current, depth = stack.pop()
        if id(current) in seen:  # an alias: checked where it was defined
            continue
        seen.add(id(current))
        if depth > YAML_MAX_DEPTH:
            return current.start_mark.line, f"is nested more than {YAML_MAX_DEPTH} levels deep"
        if isinstance(current, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    line = key.start_mark.line
                    if key.value in keys:
                        return line, (
                            f"has the key {key.value!r} twice (lines {keys[key.value] + 1} and "
                            f"{line + 1} of the block): say it once"
                        )
                    keys[key.value] = line
                stack += [(key, depth + 1), (value, depth + 1)]
        elif isinstance(current, yaml.SequenceNode):
            stack += [(child, depth + 1) for child in current.value]
    return None
