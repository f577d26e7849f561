"""Site configuration: ``site.toml`` at the project root, validated into a typed SiteConfig."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .content import MAX_TIMEOUT, is_time_limit
from .errors import Collector
from .pyodide import CDN_URL

CONFIG_NAME = "site.toml"
RUNTIME_SOURCES = ("self-hosted", "cdn", "none")


@dataclass(frozen=True)
class RuntimeConfig:
    """Where the browser gets Pyodide and how long build-time cells may run."""

    # "self-hosted": copied into the site; "cdn": jsDelivr with SRI; "none": no live widgets.
    source: str = "self-hosted"
    # Seconds a single article's build-time Python may run before the build fails.
    timeout: float = 30.0
    # Where "cdn" mode loads the runtime from (the same npm package, so the same bytes).
    cdn_url: str = CDN_URL
    # Ship a memory snapshot of the started interpreter (self-hosted only): readers on fast
    # connections start Python in about a third of the time, at 6 MB (gzip) more download.
    snapshot: bool = True


@dataclass(frozen=True)
class SiteConfig:
    """Everything ``site.toml`` can set; each field documents itself."""

    root: Path
    # Shown in the header, the <title> and the feed.
    title: str = "Explorable explanations"
    description: str = ""
    author: str = ""
    # BCP 47 language tag for <html lang>.
    language: str = "en"
    # Absolute URL the site is published at, e.g. https://user.github.io/repo/ .
    # Its path is the prefix of every generated URL (GitHub Pages project sites live under /repo/).
    base_url: str = "http://127.0.0.1:8000/"
    content_dir: str = "content"
    templates_dir: str = "templates"
    static_dir: str = "static"
    output_dir: str = "_site"
    cache_dir: str = ".site-cache"
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)

    @property
    def base_path(self) -> str:
        """The URL path prefix, always starting and ending with '/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    def path(self, name: str) -> Path:
        """Resolve one of the *_dir settings against the project root."""
        return self.root / getattr(self, name)


_TOP_KEYS = {
    "title": str,
    "description": str,
    "author": str,
    "language": str,
    "base_url": str,
    "content_dir": str,
    "templates_dir": str,
    "static_dir": str,
    "output_dir": str,
    "cache_dir": str,
}


def _line_of(text: str, key: str, section: str | None = None) -> int:
    """Best-effort line of ``key =`` in a TOML file, for diagnostics."""
    in_section = section is None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = section is not None and stripped.strip("[] ") == section
            continue
        if in_section and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return 0


def config_line(root: Path, key: str, section: str | None = None) -> int:
    """The line of ``key =`` in the project's site.toml (0 when not written there)."""
    try:
        return _line_of((root / CONFIG_NAME).read_text(encoding="utf-8"), key, section)
    except (OSError, UnicodeDecodeError):
        return 0


def load_config(root: Path, overrides: dict[str, Any] | None = None) -> SiteConfig:
    """Read and validate ``site.toml`` under *root*; report every problem at once."""
    problems = Collector()
    path = root / CONFIG_NAME
    name = CONFIG_NAME
    text = ""
    data: dict[str, Any] = {}
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except UnicodeDecodeError as exc:
            problems.error(name, 1, f"not UTF-8 text ({exc.reason})")
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
            line, col = (int(match[1]), int(match[2])) if match else (0, 0)
            message = re.sub(r"\s*\(at line.*\)", "", str(exc))
            problems.error(name, line, f"invalid TOML: {message}", col)
    problems.raise_if_errors()
    data.update(overrides or {})

    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "runtime":
            continue
        if key not in _TOP_KEYS:
            problems.error(
                name,
                _line_of(text, key),
                f"unknown key '{key}'",
                hint="known keys: " + ", ".join(sorted([*_TOP_KEYS, "runtime"])),
            )
        elif not isinstance(value, _TOP_KEYS[key]):
            problems.error(
                name,
                _line_of(text, key),
                f"'{key}': expected a string, got {value!r}",
            )
        else:
            values[key] = value

    base_url = values.get("base_url", SiteConfig.base_url)
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.error(
            name,
            _line_of(text, "base_url"),
            f"'base_url': expected an absolute http(s) URL, got {base_url!r}",
            hint='for a GitHub Pages project site: base_url = "https://USER.github.io/REPO/"',
        )
    elif parts.username is not None or parts.password is not None:
        problems.error(
            name,
            _line_of(text, "base_url"),
            "'base_url' holds a user name or password; it would be published in every "
            "page, the feed and the sitemap",
            hint="remove the 'user:secret@' part",
        )
    elif parts.query or parts.fragment or ".." in parts.path.split("/") or "//" in parts.path:
        problems.error(
            name,
            _line_of(text, "base_url"),
            f"'base_url': the path must be a plain folder like /repo/, got {parts.path!r}",
        )

    runtime = RuntimeConfig()
    raw_runtime = data.get("runtime", {})
    if not isinstance(raw_runtime, dict):
        problems.error(name, _line_of(text, "runtime"), "'runtime' must be a table")
        raw_runtime = {}
    for key, value in raw_runtime.items():
        line = _line_of(text, key, "runtime")
        if key == "source":
            if value not in RUNTIME_SOURCES:
                problems.error(
                    name,
                    line,
                    f"'runtime.source': expected one of {', '.join(RUNTIME_SOURCES)}, "
                    f"got {value!r}",
                )
            else:
                runtime = replace(runtime, source=value)
        elif key == "timeout":
            if not is_time_limit(value):
                problems.error(
                    name,
                    line,
                    f"'runtime.timeout': expected a number of seconds above 0, at most "
                    f"{MAX_TIMEOUT:,}, got {value!r}",
                )
            else:
                runtime = replace(runtime, timeout=float(value))
        elif key == "cdn_url":
            parts = urlsplit(value) if isinstance(value, str) else None
            if not parts or parts.scheme not in ("http", "https") or not value.endswith("/"):
                problems.error(
                    name,
                    line,
                    f"'runtime.cdn_url': expected an http(s) URL ending in '/', got {value!r}",
                )
            else:
                runtime = replace(runtime, cdn_url=value)
        elif key == "snapshot":
            if not isinstance(value, bool):
                problems.error(
                    name, line, f"'runtime.snapshot': expected true or false, got {value!r}"
                )
            else:
                runtime = replace(runtime, snapshot=value)
        else:
            problems.error(
                name,
                line,
                f"unknown key 'runtime.{key}'",
                hint="known keys: cdn_url, snapshot, source, timeout",
            )
    problems.raise_if_errors()
    return SiteConfig(root=root, runtime=runtime, **values)
