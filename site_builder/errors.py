"""Diagnostics in the compiler format editors jump to: ``path:line:col: error: message``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Characters a terminal would act on rather than show (escape sequences, carriage returns,
# bidirectional overrides), and lone surrogates (bytes of a file name that is not UTF-8).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match[0])
    if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """*text* with control characters and undecodable bytes shown as escapes."""
    return _UNPRINTABLE.sub(_visible, text)


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one file, with an optional hint on how to fix it."""

    path: str
    line: int = 0
    col: int = 0
    message: str = ""
    hint: str = ""
    severity: str = "error"

    def format(self) -> str:
        """Render as ``path:line:col: severity: message`` plus an indented hint; text that
        came from the author's files cannot drive the terminal (see printable)."""
        where = printable(self.path)
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        text = f"{where}: {self.severity}: {printable(self.message)}"
        if self.hint:
            text += "\n  hint: " + printable(self.hint).replace("\n", "\n        ")
        return text


class BuildError(Exception):
    """Raised with every problem found; the build stops and leaves the output alone."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        found = list(diagnostics)  # errors first, each kind in file order
        self.diagnostics = sorted(d for d in found if d.severity != "warning") + sorted(
            d for d in found if d.severity == "warning"
        )
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def rel(path: Path | str, root: Path) -> str:
    """Return *path* relative to *root* for messages, or as given when outside it."""
    absolute = Path(os.path.abspath(path))  # not resolve(): a symlink is named, not followed
    for base in (Path(os.path.abspath(root)), root.resolve()):
        if absolute.is_relative_to(base):
            return absolute.relative_to(base).as_posix()
    return str(path)


def resolved_rel(path: Path, root: Path) -> str:
    """*path*, symlinks followed, relative to *root* resolved; as given when outside it
    (a template, or a bundle file a link points at, named where it really is)."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


class Collector:
    """Accumulate diagnostics across a phase, then fail once."""

    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def error(self, path: str, line: int = 0, message: str = "", col: int = 0, hint: str = ""):
        self.errors.append(Diagnostic(path, line, col, message, hint))

    def warn(self, path: str, line: int = 0, message: str = "", col: int = 0, hint: str = ""):
        self.warnings.append(Diagnostic(path, line, col, message, hint, "warning"))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for d in diagnostics:
            (self.warnings if d.severity == "warning" else self.errors).append(d)

    def raise_if_errors(self) -> None:
        """Stop the build when there are errors; the warnings go with them (a failed build
        still tells the author everything it found)."""
        if self.errors:
            raise BuildError(self.errors + self.warnings)
