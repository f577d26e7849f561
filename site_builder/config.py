"""Site configuration: ``site.toml`` at the project root, validated into a typed SiteConfig."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .answers import COMBINATIONS, PAGE_BYTES, SECONDS
from .content import MAX_TIMEOUT, is_editor_file, is_time_limit
from .errors import Collector
from .pyodide import CDN_URL

CONFIG_NAME = "site.toml"
RUNTIME_SOURCES = ("self-hosted", "cdn", "none")


def _source(value: Any) -> bool:
    return value in RUNTIME_SOURCES


def _http_folder(value: Any) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return bool(parts and parts.scheme in ("http", "https") and value.endswith("/"))


def _setting(default: Any, check: Any, expected: str, **kwargs: Any) -> Any:
    """A field of the configuration with its validator and what it expects, in words."""
    return field(default=default, metadata={"check": check, "expected": expected}, **kwargs)


PERMALINK_PLACEHOLDERS = {
    *("year", "short_year", "month", "i_month", "day", "i_day", "slug", "title", "categories")
}


def _permalink(value: Any) -> bool:
    """A permalink pattern the build can publish: folders only (pages are index.html)."""
    if not isinstance(value, str):
        return False
    return value in ("", "pretty") or (
        value.startswith("/")
        and value.endswith("/")
        and set(re.findall(r":([a-z_]+)", value)) <= PERMALINK_PLACEHOLDERS
        and re.fullmatch(r"[/\w:.-]*", value) is not None
    )


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(default: str) -> Any:
    return _setting(default, lambda v: isinstance(v, str), "a string")


@dataclass(frozen=True)
class RuntimeConfig:
    """The ``[runtime]`` table: where the browser gets Pyodide, and how long build-time
    cells may run."""

    # "self-hosted": copied into the site; "cdn": jsDelivr with SRI; "none": no live widgets.
    source: str = _setting("self-hosted", _source, "one of " + ", ".join(RUNTIME_SOURCES))
    # Seconds a single article's build-time Python may run before the build fails.
    timeout: float = _setting(
        30.0, is_time_limit, f"a number of seconds above 0, at most {MAX_TIMEOUT:,}"
    )
    # Seconds one output's Python may run in the reader's browser; past it the page stops
    # Python, says so at that output (with "Try again") and restarts it for the others.
    browser_time_limit: float = _setting(
        5.0, is_time_limit, f"a number of seconds above 0, at most {MAX_TIMEOUT:,}"
    )
    # Where "cdn" mode loads the runtime from (the same npm package, so the same bytes).
    cdn_url: str = _setting(CDN_URL, _http_folder, "an http(s) URL ending in '/'")
    # Later visits start Python from a memory snapshot the reader's browser saved on the
    # first one (static/js/worker.js): in about a third of the time, with nothing to download.
    snapshot: bool = _setting(True, lambda v: isinstance(v, bool), "true or false")
    # Python packages every page loads in the browser (requirements such as "attrs>=23");
    # articles add their own with `packages:` in the front matter. Locked in
    # packages-lock.json (see packages.py).
    packages: tuple[str, ...] = _setting(
        (),
        lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        'a list of requirements such as ["attrs>=23"]',
    )
    # Where Pyodide's compiled packages (numpy, …) come from: "" = the official
    # distribution of the pinned version, or an http(s) URL prefix, or a local folder.
    packages_source: str = _text("")
    # Answers before Python (answers.py): an output whose inputs have at most this many
    # combinations is computed for each at build time and answered from that table at
    # first paint; 0 turns it off. Front matter `precompute:` sets it per article.
    precompute: int = _setting(
        COMBINATIONS, lambda v: _whole(v) and v <= 10_000_000, "a whole number from 0"
    )
    # The most a page's tables may weigh, gzip-compressed, in bytes.
    precompute_bytes: int = _setting(PAGE_BYTES, _whole, "a whole number of bytes")
    # Bytes a first visit may download to start Python on a page (the runtime, the
    # standard library's core, the page's packages) before the build warns.
    first_visit_budget: int = _setting(8_000_000, _whole, "a whole number of bytes")
    # Seconds of build time an article may spend on them (within its `timeout`).
    precompute_seconds: float = _setting(
        SECONDS, is_time_limit, f"a number of seconds above 0, at most {MAX_TIMEOUT:,}"
    )
    # Not a setting: `site-builder lock` asks the build to resolve every package set anew.
    relock: bool = False


@dataclass(frozen=True)
class SiteConfig:
    """Everything ``site.toml`` can set; each field documents itself."""

    root: Path
    # Shown in the header, the <title> and the feed.
    title: str = _text("Explorable explanations")
    description: str = _text("")
    author: str = _text("")
    # BCP 47 language tag for <html lang>.
    language: str = _text("en")
    # Absolute URL the site is published at, e.g. https://user.github.io/repo/ .
    # Its path is the prefix of every generated URL (GitHub Pages project sites live under /repo/).
    base_url: str = _text("http://127.0.0.1:8000/")
    content_dir: str = _text("content")
    templates_dir: str = _text("templates")
    static_dir: str = _text("static")
    output_dir: str = _text("_site")
    cache_dir: str = _text(".site-cache")
    # Folders (or files) at the project root published as they are, at the same paths:
    # a migrated blog's images/, js/, CNAME. Links to them get the base path like any other.
    passthrough: tuple[str, ...] = _setting(
        (),
        lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        'a list of folders or files at the project root, e.g. ["images", "CNAME"]',
    )
    # Where articles are published: "" (at /<slug>/), or a pattern of Jekyll's
    # placeholders ending in "/", such as "/:year/:month/:day/:slug/" (or "pretty");
    # an article's own `slug:` wins.
    permalink: str = _setting(
        "", _permalink, "a pattern like /:year/:month/:day/:slug/ (or pretty)"
    )
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    # [csp]: sources every page's Content-Security-Policy adds (csp.py).
    csp: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def path(self, name: str) -> Path:
        """Resolve one of the *_dir settings against the project root."""
        return self.root / getattr(self, name)


def passthrough_files(config: SiteConfig) -> list[tuple[str, Path]]:
    """(site path, file) of everything ``passthrough`` publishes, in order: the files of
    the listed folders and the listed files, editor and hidden files left out."""
    from .paths import linked_inside

    found = []
    for entry in config.passthrough:
        path = config.root / entry.strip("/")
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            # A link out of its folder (or into .git) is never published (paths.py);
            # _check_passthrough says so when the configuration is read.
            if not linked_inside(file, path if path.is_dir() else config.root, config.root):
                continue
            rel = file.relative_to(config.root).as_posix()
            if not is_editor_file(file.name) and not any(
                part.startswith(".") for part in rel.split("/")
            ):
                found.append((rel, file))
    return found


def _settings(cls: type) -> dict[str, Any]:
    """The settings of a configuration dataclass: name -> field (with check, expected)."""
    return {f.name: f for f in fields(cls) if "check" in f.metadata}


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
    text, data = _read_toml(root / CONFIG_NAME, problems)
    problems.raise_if_errors()
    data.update(overrides or {})
    raw_runtime = data.pop("runtime", {})
    csp: Any = ()
    if "csp" in data:
        from .csp import check_extension

        csp, wrong = check_extension(data.pop("csp"))
        if csp is None:
            line = next((n for n, t in enumerate(text.splitlines(), 1) if t.strip() == "[csp]"), 0)
            problems.error(CONFIG_NAME, line or _line_of(text, "csp"), f"'csp': expected {wrong}")
            csp = ()
    values = _checked(data, SiteConfig, text, None, problems)
    _check_base_url(values.get("base_url", SiteConfig.base_url), text, problems)
    _check_passthrough(root, values, text, problems)
    if not isinstance(raw_runtime, dict):
        problems.error(CONFIG_NAME, _line_of(text, "runtime"), "'runtime' must be a table")
        raw_runtime = {}
    runtime = RuntimeConfig(**_checked(raw_runtime, RuntimeConfig, text, "runtime", problems))
    problems.raise_if_errors()
    return SiteConfig(root=root, runtime=runtime, csp=csp, **values)


def _read_toml(path: Path, problems: Collector) -> tuple[str, dict[str, Any]]:
    if not path.exists():
        return "", {}
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except UnicodeDecodeError as exc:
        problems.error(CONFIG_NAME, 1, f"not UTF-8 text ({exc.reason})")
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(match[1]), int(match[2])) if match else (0, 0)
        message = re.sub(r"\s*\(at line.*\)", "", str(exc))
        problems.error(CONFIG_NAME, line, f"invalid TOML: {message}", col)
    return "", {}


def _checked(
    data: dict[str, Any], cls: type, text: str, section: str | None, problems: Collector
) -> dict[str, Any]:
    """The values of *data* that *cls*'s settings accept; a problem for every other."""
    settings = _settings(cls)
    prefix = f"{section}." if section else ""
    known = sorted([*settings, *(["runtime", "csp"] if section is None else [])])
    values = {}
    for key, value in data.items():
        line = _line_of(text, key, section)
        if key not in settings:
            problems.error(
                CONFIG_NAME,
                line,
                f"unknown key '{prefix}{key}'",
                hint="known keys: " + ", ".join(known),
            )
        elif not settings[key].metadata["check"](value):
            expected = settings[key].metadata["expected"]
            problems.error(
                CONFIG_NAME, line, f"'{prefix}{key}': expected {expected}, got {value!r}"
            )
        else:
            if settings[key].type in ("float", float):
                value = float(value)
            elif isinstance(value, list):
                value = tuple(value)
            values[key] = value
    return values


def _check_passthrough(root: Path, values: dict[str, Any], text: str, problems: Collector) -> None:
    """Each passthrough entry: an existing folder or file at the root that is none of the
    project's own folders."""
    own = {
        values.get(name, getattr(SiteConfig, name)).strip("/")
        for name in ("content_dir", "templates_dir", "static_dir", "output_dir", "cache_dir")
    } | {".git", ".cache", ".venv", "node_modules"}
    line = _line_of(text, "passthrough")
    for entry in values.get("passthrough", ()):
        name = entry.strip("/")
        parts = name.split("/")
        if not name or entry.startswith("/") or ".." in parts or "." in parts:
            problem = "a path inside the project, such as images or assets/js"
        elif parts[0] in own:
            problem = f"not one of the project's own folders ({parts[0]} is)"
        elif not (root / name).exists():
            problem = f"something that exists ({name} is not there)"
        elif outside := _links_out(root, root / name):
            problem = f"no symbolic link out of it or into .git ({outside} is one)"
        else:
            continue
        problems.error(CONFIG_NAME, line, f"'passthrough': {entry!r}: expected {problem}")


def _links_out(root: Path, path: Path) -> str:
    """The first file of a passthrough entry that is a link out of it (paths.py), or ""."""
    from .paths import linked_inside

    files = (
        [path]
        if not path.is_dir()
        else sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink())
    )
    for file in files:
        if not linked_inside(file, path if path.is_dir() else root, root):
            return file.relative_to(root).as_posix()
    return ""


def _check_base_url(base_url: str, text: str, problems: Collector) -> None:
    line = _line_of(text, "base_url")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.error(
            CONFIG_NAME,
            line,
            f"'base_url': expected an absolute http(s) URL, got {base_url!r}",
            hint='for a GitHub Pages project site: base_url = "https://USER.github.io/REPO/"',
        )
    elif parts.username is not None or parts.password is not None:
        problems.error(
            CONFIG_NAME,
            line,
            "'base_url' holds a user name or password; it would be published in every "
            "page, the feed and the sitemap",
            hint="remove the 'user:secret@' part",
        )
    elif (
        parts.query
        or parts.fragment
        or not re.fullmatch(r"(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*/?", parts.path)
        or any(unquote(p) in (".", "..") for p in parts.path.split("/"))
        or not re.fullmatch(r"[A-Za-z0-9.-]+(:\d+)?|\[[0-9A-Fa-f:.]+\](:\d+)?", parts.netloc)
    ):
        problems.error(
            CONFIG_NAME,
            line,
            f"'base_url': expected a host and a plain folder like /repo/ (no spaces, '%', "
            f"'..'), got {base_url!r}",
        )
