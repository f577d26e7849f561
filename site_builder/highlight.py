"""Code highlighted by Pygments at build time, remembered by content.

The first time a process highlights a language, Pygments compiles that language's regular
expressions, which takes longer than rendering a whole page (about 40 ms for Python). A
build after an edit would pay that for code that did not change, so each result is kept
in the cache folder under a hash of the code, the language, the options and the Pygments
version.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .cache import entry_path, read_entry, write_entry

# A process's lexers and formatters, made once: Pygments' are reusable, and finding and
# making them costs about a third of highlighting a short block.
_tools: dict[tuple[Any, ...], tuple[Any, Any]] = {}


def highlight(
    code: str,
    lang: str | None,
    cache: Path | None,
    *,
    css_class: str = "highlight",
    wrapcode: bool = True,
    hl_lines: tuple[int, ...] = (),
) -> str:
    """*code* as highlighted HTML (plain text when the language is unknown or not given)."""
    import pygments

    key = hashlib.sha256(
        repr((pygments.__version__, code, lang, css_class, wrapcode, hl_lines)).encode()
    ).hexdigest()
    path = entry_path(cache, key, ".html") if cache else None
    if path and (cached := read_entry(path, key)) is not None:
        return cached.decode("utf-8")
    tools = (lang, css_class, wrapcode, hl_lines)
    if tools not in _tools:
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import TextLexer, get_lexer_by_name
        from pygments.util import ClassNotFound

        try:
            lexer = get_lexer_by_name(lang) if lang else TextLexer()
        except ClassNotFound:
            lexer = TextLexer()
        formatter = HtmlFormatter(cssclass=css_class, wrapcode=wrapcode, hl_lines=list(hl_lines))
        _tools[tools] = (lexer, formatter)
    lexer, formatter = _tools[tools]
    result = pygments.highlight(code, lexer, formatter)
    if path:
        write_entry(path, key, result.encode("utf-8"))
    return result
