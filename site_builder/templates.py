"""The Jinja2 environment for the project's ``templates/``: autoescape, StrictUndefined
(a missing variable is an error, never blank), compiled templates kept in the cache, and a
template's problem reported at the template's own ``file:line``."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import jinja2

from .cache import entry_path, read_entry, write_entry
from .errors import Diagnostic, resolved_rel


def make_environment(
    templates: Path, globals_: dict[str, Any], cache: Path | None = None
) -> jinja2.Environment:
    """Return the template environment; a missing variable is an error, never blank.

    With *cache*, compiled templates are kept there (by a hash of their source), so a
    process that renders one page does not compile every template first.
    """
    env = jinja2.Environment(
        bytecode_cache=TemplateCache(cache) if cache is not None else None,
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(globals_)
    env.filters["isodate"] = lambda d: d.isoformat() if d else ""
    env.filters["longdate"] = lambda d: f"{d:%B} {d.day}, {d.year}" if d else ""
    return env


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates kept as checksummed cache entries: a damaged one is recompiled."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, bucket: jinja2.bccache.Bucket) -> tuple[Path, str]:
        key = hashlib.sha256(bucket.key.encode()).hexdigest()
        return entry_path(self.folder, key, ".jinja"), key

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        path, key = self._path(bucket)
        payload = read_entry(path, key)
        if payload is not None:
            try:
                bucket.load_bytecode(io.BytesIO(payload))
            except (ValueError, EOFError, TypeError):  # another Python's marshal format
                bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        path, key = self._path(bucket)
        data = io.BytesIO()
        bucket.write_bytecode(data)
        write_entry(path, key, data.getvalue())


def template_diagnostic(exc: Exception, templates: Path, root: Path, name: str) -> Diagnostic:
    """Report a template problem at the template's own file:line."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        path = Path(exc.filename) if exc.filename else templates / (exc.name or name)
        return Diagnostic(
            resolved_rel(path, root), exc.lineno or 0, 0, f"template syntax: {exc.message}"
        )
    if isinstance(exc, jinja2.TemplateNotFound):
        return Diagnostic(
            resolved_rel(templates / name, root), 0, 0, f"template not found: {exc.name}"
        )
    line, path = 0, templates / name
    tb = exc.__traceback__
    while tb is not None:  # Jinja maps template frames onto the template's file and line
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(str(templates)):
            path, line = Path(filename), tb.tb_lineno
        tb = tb.tb_next
    message = str(exc)
    if isinstance(exc, jinja2.UndefinedError):
        message = f"undefined variable: {message}"
    return Diagnostic(resolved_rel(path, root), line, 0, message)
