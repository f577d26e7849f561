"""Python-Markdown's inline pass, without trying patterns that cannot match.

Python-Markdown tries every inline pattern (code spans, escapes, links, images, HTML,
entities, emphasis…: fifteen with our extensions) on every text of the page, and each try
costs a Python call even when the text holds none of the characters the pattern starts
with. Most texts are plain sentences, so most tries are wasted: skipping them converts
ordinary articles about a fifth faster.

``QuickInline`` replaces the "inline" tree processor with one that first asks a single
character-class search whether the text, from where the pattern would search, holds a
character a match of that pattern can begin with. Those characters are read from the
pattern's own regular expression (``start_chars``); a pattern whose matches could begin
with anything, or be empty, is always tried. Where the search finds nothing the
pattern could not have matched, so the result is Python-Markdown's, byte for byte (the
tests convert pages both ways and compare).
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from markdown import util
from markdown.treeprocessors import InlineProcessor

_RANGE_MAX = 128  # a character range wider than this counts as "anything"


def _first(items: Any) -> tuple[set[str] | None, bool]:
    """The characters a match of the parsed sequence *items* can start with (None: any),
    and whether it can match the empty string."""
    found: set[str] = set()
    for op, av in items:
        chars, empty = _first_of(op, av)
        if chars is None:
            return None, False
        found |= chars
        if not empty:
            return found, False
    return found, True


def _first_of(op: Any, av: Any) -> tuple[set[str] | None, bool]:
    if op is sre.LITERAL:
        return {chr(av)}, False
    if op is sre.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is sre.LITERAL:
                chars.add(chr(value))
            elif kind is sre.RANGE and value[1] - value[0] <= _RANGE_MAX:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            else:  # a negated set, a category (\s, \w) or a wide range
                return None, False
        return chars, False
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, items = av
        if add_flags or del_flags:  # (?i:…) and the like: don't guess
            return None, False
        return _first(items)
    if op is sre.ATOMIC_GROUP:
        return _first(av)
    if op is sre.BRANCH:
        chars, empty = set(), False
        for items in av[1]:
            more, could_be_empty = _first(items)
            if more is None:
                return None, False
            chars |= more
            empty = empty or could_be_empty
        return chars, empty
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _high, items = av
        repeated, empty = _first(items)
        return repeated, empty or low == 0
    if op in (sre.ASSERT, sre.ASSERT_NOT, sre.AT):
        return set(), True  # look-arounds and anchors consume nothing
    return None, False  # any character, back-references, conditionals…


def start_chars(pattern: re.Pattern[str]) -> set[str] | None:
    """The characters every match of *pattern* begins with, or None when a match could
    begin with any character or be empty (then the pattern must always be tried)."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - a pattern this reader can't read is always tried
        return None
    chars, empty = _first(parsed)
    if chars is None or empty:
        return None
    if parsed.state.flags & re.IGNORECASE:
        if not all(c.isascii() for c in chars):
            return None
        chars |= {c.swapcase() for c in chars}
    return chars


# The two private methods QuickInline builds on (Python-Markdown 3.x); without them the
# extension keeps Python-Markdown's own inline pass.
USABLE = all(
    callable(getattr(InlineProcessor, f"_InlineProcessor__{name}", None))
    for name in ("handleInline", "applyPattern")
)


class QuickInline(InlineProcessor):
    """The "inline" tree processor, trying a pattern only where it could match."""

    def __init__(self, md: Any) -> None:
        super().__init__(md)
        self._starts: dict[Any, re.Pattern[str] | None] = {}  # by pattern object

    def _start(self, pattern: Any) -> re.Pattern[str] | None:
        if pattern not in self._starts:
            compiled = getattr(pattern, "compiled_re", None)
            chars = start_chars(compiled) if isinstance(compiled, re.Pattern) else None
            self._starts[pattern] = (
                re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")
                if chars
                else None
            )
        return self._starts[pattern]

    def run(self, tree: Any, ancestors: list[str] | None = None) -> Any:
        self._patterns = list(self.inlinePatterns)  # once, not a registry lookup per try
        return super().run(tree, ancestors)

    # Python-Markdown's private __handleInline, the same loop with the test added.
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        if isinstance(data, util.AtomicString):
            return data
        patterns = self._patterns
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        start, count = 0, len(patterns)
        while patternIndex < count:
            pattern = patterns[patternIndex]
            first = self._start(pattern)
            if first is not None and first.search(data, start) is None:
                patternIndex, start = patternIndex + 1, 0  # as a try that found nothing
                continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data
