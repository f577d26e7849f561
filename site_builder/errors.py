"""Diagnostics in the compiler format editors jump to: ``path:line:col: error: message``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


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
        """Render as ``path:line:col: severity: message`` plus an indented hint."""
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        text = f"{where}: {self.severity}: {self.message}"
        if self.hint:
            text += "\n  hint: " + self.hint.replace("\n", "\n        ")
        return text


class BuildError(Exception):
    """Raised with every problem found; the build stops and leaves the output alone."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def rel(path: Path | str, root: Path) -> str:
    """Return *path* relative to *root* for messages, or as given when outside it."""
    absolute = Path(os.path.abspath(path))  # not resolve(): a symlink is named, not followed
    for base in (Path(os.path.abspath(root)), root.resolve()):
        if absolute.is_relative_to(base):
            return absolute.relative_to(base).as_posix()
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
        if self.errors:
            raise BuildError(self.errors)
