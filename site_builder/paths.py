"""Names and links that come from data, checked before they become paths.

Every file name read from data a project does not fully control (a lock file, a mirror's
lock, a wheel's members, a Jekyll tree's posts) goes through ``file_name`` before it is
joined to a folder; every symbolic link the build or the importer would follow goes
through ``linked_inside``: one policy for content, bundles, passthrough folders and
imported trees.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafeName(ValueError):
    """A name from data that would leave its folder, or is not a file name at all."""


def file_name(name: object, what: str = "file name") -> str:
    """*name* when it is one plain file name: text, not empty, no separator, not '.' or
    '..', no control character, at most 255 bytes. Raises UnsafeName saying why."""
    if not isinstance(name, str) or not name:
        raise UnsafeName(f"{what} {name!r} is not a file name")
    if "/" in name or "\\" in name or name in (".", "..") or _CONTROL.search(name):
        raise UnsafeName(
            f"{what} {name!r} is not a plain file name (a path, or a control character)"
        )
    if len(name.encode("utf-8", "surrogateescape")) > 255:
        raise UnsafeName(f"{what} {name[:40]!r}… is longer than a file name may be")
    return name


def hex_digest(value: object, what: str = "SHA-256") -> str:
    """*value* when it is a SHA-256 in hex (64 lowercase hex digits)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise UnsafeName(f"{what} {value!r} is not 64 hexadecimal digits")
    return value


def linked_inside(path: Path, allowed: Path, project: Path | None = None) -> bool:
    """Whether *path* (a file found in *allowed*, maybe a symbolic link, or inside a linked
    folder) really is inside *allowed*: its target resolves there, and not under a
    ``.git`` folder of *project*. A link out of the folder (to a private key, another
    project) or into the repository's own data is never followed."""
    try:
        real = path.resolve(strict=True)
        root = allowed.resolve(strict=True)
    except (OSError, RuntimeError):  # a broken link, or a loop
        return False
    if not real.is_relative_to(root):
        return False
    if project is not None:
        git = project.resolve() / ".git"
        if real.is_relative_to(git):
            return False
    return ".git" not in real.relative_to(root).parts


def valid_name(name: str) -> bool:
    """Whether *name* (a path from the file system) is text: UTF-8 in the file system,
    not bytes Python kept as surrogates."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def escaped(text: str) -> str:
    """*text* with control characters shown as escapes (a file name printed in a report
    cannot move the cursor or recolour the terminal)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def is_special(path: Path) -> bool:
    """A FIFO, socket or device: opening it could block or read for ever."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return True
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))
