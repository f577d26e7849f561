"""Math typeset at build time as MathML, by Temml (the reference renderer), in Node.

Temml is fetched once from npm, pinned and checked like the Pyodide runtime. Each build
worker process starts one Node process (``tex.mjs``) the first time it meets a formula not
in the cache, and talks to it line by line; results are remembered in the cache folder
under a hash of the TeX, the mode, Temml's version and the script.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .cache import entry_path, read_entry, write_entry
from .npm import FetchFailed, ensure_npm_files

TEMML_VERSION = "0.13.5"
# The npm registry's published integrity of the package: changes only with the version.
TEMML_INTEGRITY = (
    "sha512-aPkDDgunanpLNL0ql32HbolqLep+w8DRcVXRql7rWrMt/"
    "PhczdLgL4UBYYVU3BYjCNjkGq4EqwIicu/zWr1iOg=="
)
SCRIPT = Path(__file__).with_name("tex.mjs")


def ensure_temml(cache_root: Path) -> Path:
    """The pinned ``temml.cjs``, fetched from npm when missing or damaged."""
    folder = cache_root / f"temml-{TEMML_VERSION}"
    ensure_npm_files(folder, "temml", TEMML_VERSION, TEMML_INTEGRITY, ("dist/temml.cjs",))
    return folder / "temml.cjs"


@dataclass(frozen=True)
class TexError:
    """Why a formula could not be typeset; *position* is an index into its TeX."""

    reason: str
    position: int | None


class Typesetter:
    """TeX → MathML for one process, through one long-lived Node process."""

    def __init__(self, temml: Path, cache: Path | None) -> None:
        self.temml = temml
        self.cache = cache
        self.proc: subprocess.Popen[str] | None = None
        self.pid = os.getpid()
        self.tag = hashlib.sha256(SCRIPT.read_bytes()).hexdigest()[:16]

    def typeset(self, tex: str, display: bool) -> str | TexError:
        key = hashlib.sha256(repr((TEMML_VERSION, self.tag, tex, display)).encode()).hexdigest()
        path = entry_path(self.cache, key, ".json") if self.cache else None
        if path and (cached := read_entry(path, key)) is not None:
            answer = json.loads(cached)
        else:
            answer = self._ask(tex, display)
            if path:
                write_entry(path, key, json.dumps(answer).encode())
        if "mathml" in answer:
            return str(answer["mathml"])
        return TexError(str(answer["error"]), answer.get("position"))

    def _ask(self, tex: str, display: bool) -> dict[str, object]:
        if self.proc is None or self.proc.poll() is not None or self.pid != os.getpid():
            # A forked worker never shares its parent's pipe: it starts its own Node.
            if shutil.which("node") is None:
                raise FetchFailed("Node.js is needed to typeset math (Temml)")
            self.pid = os.getpid()
            self.proc = subprocess.Popen(
                ["node", str(SCRIPT), str(self.temml)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        assert self.proc.stdin and self.proc.stdout
        try:
            self.proc.stdin.write(json.dumps([tex, display]) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            answer = json.loads(line)
        except (OSError, ValueError) as exc:
            self.proc.kill()
            raise FetchFailed(f"the math typesetter (Node, Temml) stopped: {exc}") from exc
        assert isinstance(answer, dict)
        return answer


_typesetters: dict[tuple[Path, Path | None], Typesetter] = {}


def typesetter(temml: Path, cache: Path | None) -> Typesetter:
    """This process's typesetter for *temml* (started on first use)."""
    key = (temml, cache)
    if key not in _typesetters:
        _typesetters[key] = Typesetter(temml, cache)
    return _typesetters[key]


_STYLE_IN_MATH = re.compile(r"""\sstyle="([^"]*)\"""")
_MATH_ELEMENT = re.compile(r"<math\b.*?</math>", re.S)


def style_hashes(page: str) -> list[str]:
    """CSP sources for the ``style`` attributes of the MathML on *page*: Temml spaces
    table columns and colours with them, and the page's policy allows exactly those
    declarations ('unsafe-hashes' with their SHA-256) and no others."""
    import base64

    found: set[str] = set()
    for element in _MATH_ELEMENT.finditer(page):
        for style in _STYLE_IN_MATH.findall(element[0]):
            found.add(html.unescape(style))
    return sorted(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in found
    )
