"""``site-builder import-jekyll SRC``: the mechanical part of moving a Jekyll site here.

Posts (``_posts/2019-03-04-title.md``, ``.markdown`` too) and drafts become
``content/<slug>.md`` with their date (and a title, when Jekyll took it from the file name)
written into the front matter; root pages such as ``about.md`` come along under their
permalink; asset folders and files at the site root (``images/``, ``js/``, ``CNAME``) are
copied and published as they are (``passthrough``); ``_config.yml`` gives the title,
description, author and ``base_url``. Nothing in the project is overwritten: a file that is
there already is reported and left. The body of each post is copied byte for byte: the
build reads Liquid and kramdown conventions itself (jekyll.py) and warns at the line of
anything it cannot. What is left for the author is printed at the end.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import write_atomically
from .content import ALIAS_RE, DATED_NAME, url_slug
from .errors import Collector
from .output import remove_leftovers
from .paths import escaped, is_special, linked_inside

MARKDOWN = (".md", ".markdown", ".mdown", ".mkd")
STAGING = ".import-"  # a passthrough folder being copied: .import-PID-NAME in the project
INLINE_STYLE = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.S)
# Made by this builder from templates (or not needed): not copied, said so.
GENERATED = {
    "index.html",
    "index.md",
    "404.html",
    "404.md",
    "feed.xml",
    "sitemap.xml",
    "robots.txt",
    "atom.xml",
    "search.json",
}
# Jekyll's own files and the tools around it: neither content nor assets.
TOOLING = {
    "Gemfile",
    "Gemfile.lock",
    "_config.yml",
    "_config.yaml",
    "package.json",
    "package-lock.json",
    "Rakefile",
    "README.md",
    "README",
    "LICENSE",
    "LICENSE.md",
    "node_modules",
    "vendor",
    "_site",
    ".jekyll-cache",
    ".sass-cache",
    "Makefile",
}
LEFT_FOLDERS = {
    "_layouts": "layouts: port what you need into templates/ (Jinja2; see templates/base.html)",
    "_includes": "includes: each {% include %} is reported at its line by `make build`; paste "
    "the markup or move it into a template",
    "_sass": "Sass: compile it to CSS and put the result under static/ (linked from a template)",
    "_data": "data files: read them in a ```python build cell instead of site.data",
    "_plugins": "plugins: not run here; find what each did and do it in a build cell or template",
}


@dataclass
class Report:
    """What an import did and what it left."""

    done: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    passthrough: list[str] = field(default_factory=list)
    liquid: dict[str, int] = field(default_factory=dict)  # post -> constructs not run
    styles: dict[str, int] = field(default_factory=dict)  # post -> inline style= attributes

    def lines(self) -> list[str]:
        """The report, a line each; text from file names with control characters escaped."""
        out = [f"imported: {line}" for line in self.done]
        if self.liquid:
            total = sum(self.liquid.values())
            out.append(
                f"left: {total} Liquid construct(s) the build does not run, in "
                f"{len(self.liquid)} post(s) ({', '.join(sorted(self.liquid))}); "
                "`make build` names each at its line"
            )
        out += [f"left: {line}" for line in self.left]
        if self.styles:  # what to do next, with the exact lines to paste
            out.append(
                f"next: {sum(self.styles.values())} inline style= attribute(s) in "
                f"{len(self.styles)} post(s) are blocked by the pages' Content-Security-Policy; "
                "to keep them working, add to site.toml:"
            )
            out += ["  [csp]", "  style-src-attr = [\"'unsafe-inline'\"]"]
        return [escaped(line) for line in out]


def _front_matter(text: str) -> tuple[dict[str, Any], int] | None:
    """(front matter, index of its closing line) of a Jekyll file, or None without one."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return None
    data = _yaml("\n".join(lines[1:end]))
    return (data if isinstance(data, dict) else {}), end


def _yaml(text: str) -> Any:
    """YAML as the build reads it: bounded in size and in what its aliases expand to
    (yamlsafe), None when it is not YAML or too large."""
    import yaml

    from .yamlsafe import Loader, yaml_too_large

    try:
        if yaml_too_large(text, None):
            return None
        node = yaml.compose(text, Loader=Loader)
        if node is None or yaml_too_large(text, node):
            return None
        return Loader(text).construct_document(node)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _with_keys(text: str, end: int, added: dict[str, str]) -> str:
    """*text* with ``key: value`` lines added at the end of its front matter."""
    if not added:
        return text
    lines = text.split("\n")
    lines[end:end] = [f"{key}: {value}" for key, value in added.items()]
    return "\n".join(lines)


# Jekyll's named permalink styles (its docs, "Permalinks"); "date" is its default.
PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


def _address_here(pattern: str, data: dict[str, Any], slug: str) -> str:
    """Where the build publishes a post with site.toml's ``permalink`` *pattern*
    (articles.permalinked), from its Jekyll front matter and slug."""
    import datetime as dt
    from types import SimpleNamespace

    from .articles import permalinked
    from .content import written_date

    tags: list[str] = []
    for key in ("categories", "category", "tags"):
        value = data.get(key)
        tags += value.split() if isinstance(value, str) else [str(v) for v in value or []]
    when = data.get("date")
    if isinstance(when, dt.datetime):
        when = when.date()
    elif isinstance(when, str):
        when = written_date(when)
    if not isinstance(when, dt.date):
        dated = DATED_NAME.match(data.get("_stem", ""))
        when = dt.date(int(dated[1]), int(dated[2]), int(dated[3])) if dated else None
    return permalinked(pattern, SimpleNamespace(date=when, tags=list(dict.fromkeys(tags))), slug)


def jekyll_address(style: str, data: dict[str, Any], stem: str, page: bool = False) -> str | None:
    """The address Jekyll published a post (or, *page*, a root page) at: from the site's
    permalink *style* (a name or a pattern), the file's front matter (its own
    ``permalink``, ``categories``, ``date``, ``slug``) and its file name; None when it
    cannot be known (a post without a date, a placeholder this does not know)."""
    import datetime as dt

    own = data.get("permalink")
    pattern = PERMALINK_STYLES.get(style, style) or PERMALINK_STYLES["date"]
    if isinstance(own, str) and own:
        if ":" not in own:
            return own if own.startswith("/") else "/" + own
        pattern = own
    if page:  # a page keeps its path: /about.html, or /about/ in a style ending with /
        return f"/{stem}/" if pattern.endswith("/") else f"/{stem}.html"
    dated = DATED_NAME.match(stem)
    # Jekyll's :title: its slugify "pretty" mode, case kept (Utils.slugify, cased: true).
    title = str(data.get("slug") or (dated[4] if dated else stem))
    title = re.sub(r"[^\w.~!$&'()+,;=@]+", "-", title).strip("-")
    when = data.get("date")
    if isinstance(when, dt.datetime):
        when = when.date()
    if not isinstance(when, dt.date):
        when = dt.date(int(dated[1]), int(dated[2]), int(dated[3])) if dated else None
    categories = data.get("categories", data.get("category", []))
    if isinstance(categories, str):
        categories = categories.split()
    if not isinstance(categories, list):
        categories = []
    cats = list(dict.fromkeys(str(c).lower() for c in categories))
    values: dict[str, str] = {
        "categories": "/".join(cats),
        "title": title,
        "slug": url_slug(title),
        "output_ext": ".html",
    }
    if when is not None:
        week = when.isocalendar()
        values |= {
            "year": f"{when.year:04d}",
            "short_year": f"{when.year % 100:02d}",
            "month": f"{when.month:02d}",
            "i_month": str(when.month),
            "day": f"{when.day:02d}",
            "i_day": str(when.day),
            "y_day": f"{when.timetuple().tm_yday:03d}",
            "week": f"{week[1]:02d}",
            "short_day": when.strftime("%a"),
        }
    names = re.findall(r":([a-z_]+)", pattern)
    if any(n not in values for n in names):
        return None
    for name in sorted(set(names), key=len, reverse=True):  # :i_month before :month
        pattern = pattern.replace(f":{name}", values[name])
    return "/" + re.sub(r"/{2,}", "/", pattern).lstrip("/")


def _import_post(
    path: Path,
    content: Path,
    report: Report,
    *,
    draft: bool,
    slugs: dict[str, str],
    style: str = "date",
    page: bool = False,
    kept_style: str = "",
) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
    found = _front_matter(text)
    rel = (
        path.name
        if path.parent.name not in ("_posts", "_drafts")
        else f"{path.parent.name}/{path.name}"
    )
    if found is None:
        report.left.append(f"{rel}: no front matter, so Jekyll copied it as it is; not imported")
        return False
    data, end = found
    stem = path.stem
    dated = DATED_NAME.match(stem)
    slug = url_slug(stem)
    data = {**data, "_stem": stem}
    added: dict[str, str] = {}
    if "title" not in data:  # Jekyll's title from the file name
        words = (dated[4] if dated else stem).replace("-", " ").replace("_", " ")
        added["title"] = _quoted(words.strip().capitalize() or stem)
    if "date" not in data and dated:
        added["date"] = f"{dated[1]}-{dated[2]}-{dated[3]}"
    if draft and "draft" not in data and "published" not in data:
        added["draft"] = "true"
    # Where Jekyll published it: that address redirects here (aliases:), so links to the
    # old blog keep working; any redirect_from it had is kept with it.
    old = None if draft else jekyll_address(style, data, stem, page)
    if isinstance(data.get("permalink"), str) and ":" in data["permalink"]:
        added["slug"] = slug  # a pattern is no address here: the post's own slug is
    kept = data.get("redirect_from") or []
    aliases = [*([kept] if isinstance(kept, str) else kept if isinstance(kept, list) else [])]
    here = f"/{slug}/"
    if kept_style and not page:  # the site publishes at the old pattern (site.toml permalink)
        here = "/" + (_address_here(kept_style, data, slug) or slug) + "/"
    if old and old != here and old not in aliases:
        if ALIAS_RE.fullmatch(old) and ".." not in old.split("/"):
            aliases.append(old)
        else:
            report.left.append(
                f"{rel}: its old address {old} cannot be a static page; not redirected"
            )
    if (
        aliases != (kept if isinstance(kept, list) else [kept] if kept else [])
        and "aliases" not in data
    ):
        import json

        added["aliases"] = json.dumps([str(a) for a in aliases], ensure_ascii=False)
    target = content / f"{slug}.md"
    if slug in slugs:
        report.left.append(f"{rel}: its URL /{slug}/ is {slugs[slug]}'s too; not imported")
        return False
    if target.exists():
        report.left.append(f"{rel}: {target.name} is in content/ already; left as it was")
        return False
    slugs[slug] = rel
    write_atomically(target, _with_keys(text, end, added))
    from .jekyll import convert

    problems = Collector()
    convert(text.split("\n", end + 1)[-1], end + 2, rel, problems)
    if problems.warnings:
        report.liquid[target.name] = len(problems.warnings)
    if styled := len(INLINE_STYLE.findall(text)):
        report.styles[target.name] = styled
    return True


def _site_toml(
    root: Path, config: dict[str, Any], passthrough: list[str], report: Report, permalink: str = ""
) -> None:
    """Add what ``_config.yml`` says to site.toml: keys not set yet go in; the others are
    reported with the value to copy."""
    url = str(config.get("url") or "").rstrip("/")
    base = str(config.get("baseurl") or "").strip("/")
    author = config.get("author")
    if isinstance(author, dict):
        author = author.get("name")
    wanted: dict[str, Any] = {
        "title": config.get("title"),
        "description": config.get("description"),
        "author": author,
        "base_url": f"{url}/{base + '/' if base else ''}" if url.startswith("http") else None,
        "passthrough": passthrough or None,
        "permalink": permalink or None,
    }
    path = root / "site.toml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    import json
    import tomllib

    try:
        have = tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError as exc:
        report.left.append(f"site.toml is not valid TOML ({exc}); nothing added to it")
        return
    lines, added = text.split("\n") if text else [], []
    head = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    for key, value in wanted.items():
        if value in (None, ""):
            continue
        if not (isinstance(value, str) or key == "passthrough"):  # a date, a mapping…
            report.left.append(f"_config.yml {key}: {value!r} is not text; not copied")
            continue
        shown = json.dumps(value, ensure_ascii=False)  # TOML strings and lists of them
        if key in have and have[key] != value:
            report.left.append(f"site.toml: {key} is {have[key]!r}; _config.yml says {shown}")
        elif key not in have:
            added.append(f"{key} = {shown}")
    if added:
        lines[head:head] = added
        write_atomically(path, "\n".join(lines) + ("" if text else "\n"))
        report.done.append(f"site.toml: {', '.join(a.split(' =')[0] for a in added)}")


def _files(folder: Path, source: Path, report: Report) -> list[Path]:
    """The files under *folder*, walked without following links to folders (a loop ends
    nowhere); a link to a file is taken only when it resolves inside the Jekyll site and
    not into .git (paths.py), and FIFOs, sockets and devices are left (reading one could
    block for ever). What is left is reported."""
    import os

    found: list[Path] = []
    if not folder.is_dir():
        return found
    for top, dirs, names in os.walk(folder, followlinks=False):
        for d in list(dirs):
            if (Path(top) / d).is_symlink():
                dirs.remove(d)
                report.left.append(
                    f"{Path(top, d).relative_to(source)}: a link to a folder; not followed"
                )
        dirs.sort()
        for name in sorted(names):
            path = Path(top) / name
            rel = path.relative_to(source)
            if not linked_inside(path, source):
                report.left.append(
                    f"{rel}: a link out of the Jekyll site (or into .git); not copied"
                )
            elif is_special(path):
                report.left.append(f"{rel}: not a regular file (a FIFO or device); not copied")
            else:
                found.append(path)
    return found


def import_jekyll(
    source: Path, root: Path, content_dir: str = "content", keep_addresses: bool = False
) -> Report:
    """Import the Jekyll site at *source* into the project at *root*. *keep_addresses*:
    publish posts at the addresses Jekyll gave them (site.toml's ``permalink``), when its
    style is one of folders; otherwise each old address redirects (``aliases:``)."""
    report = Report()
    remove_leftovers(root, STAGING)  # what an import killed half way was copying
    content = root / content_dir
    content.mkdir(parents=True, exist_ok=True)
    slugs: dict[str, str] = {}
    config: dict[str, Any] = {}
    for name in ("_config.yml", "_config.yaml"):
        entry = source / name
        if entry.is_file() and linked_inside(entry, source) and not is_special(entry):
            loaded = _yaml(entry.read_text(encoding="utf-8", errors="replace"))
            config = loaded if isinstance(loaded, dict) else {}
            if loaded is None:
                report.left.append(f"{name}: not YAML this importer reads (or too large)")
            break
    style = str(config.get("permalink") or "date").strip()
    folders = {"pretty": "pretty"}.get(style, style if style.endswith("/") else "")
    kept = folders if keep_addresses else ""
    if keep_addresses and not kept:
        report.left.append(
            f"--keep-addresses: Jekyll's permalink {style!r} makes .html files, and pages here "
            "are folders; each old address redirects instead (aliases:)"
        )
    for folder, draft in (("_posts", False), ("_drafts", True)):
        posts = []
        for p in _files(source / folder, source, report):
            if p.suffix in MARKDOWN:
                posts.append(p)
        moved = sum(
            _import_post(p, content, report, draft=draft, slugs=slugs, style=style, kept_style=kept)
            for p in posts
        )
        if moved:
            report.done.append(f"{moved} file(s) from {folder}/ into {content_dir}/")
    for entry in sorted(source.iterdir()):
        name = entry.name
        if not linked_inside(entry, source) or (is_special(entry) and not entry.is_dir()):
            report.left.append(f"{name}: a link out of the Jekyll site, or not a file; not copied")
            continue
        if name in ("_config.yml", "_config.yaml"):
            continue  # read first
        elif name in LEFT_FOLDERS and entry.is_dir():
            report.left.append(f"{name}/: {LEFT_FOLDERS[name]}")
        elif name.startswith((".", "_")) or name in TOOLING or name in ("_posts", "_drafts"):
            continue
        elif name in GENERATED:
            report.left.append(f"{name}: made by this builder (templates/); not copied")
        elif entry.is_file() and entry.suffix in MARKDOWN:
            if _import_post(
                entry, content, report, draft=False, slugs=slugs, style=style, page=True
            ):
                report.done.append(f"page {name} into {content_dir}/")
        elif entry.is_file() and entry.suffix == ".html":
            report.left.append(f"{name}: an HTML page (Liquid layout); port it by hand")
        else:
            target = root / name
            if target.exists():
                report.left.append(f"{name}: is in the project already; left as it was")
            else:
                # Copied beside it and renamed into place: an import interrupted half way
                # never leaves a half-copied folder that the next one would keep as it is.
                staging = root / f"{STAGING}{os.getpid()}-{name}"
                shutil.rmtree(staging, ignore_errors=True)
                if entry.is_dir():
                    staging.mkdir()
                    for file in _files(entry, source, report):
                        copied = staging / file.relative_to(entry)
                        copied.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(file, copied)
                else:
                    shutil.copyfile(entry, staging)
                os.replace(staging, target)
            report.passthrough.append(name)
    if report.passthrough:
        report.done.append("published as they are (passthrough): " + ", ".join(report.passthrough))
    _site_toml(root, config, report.passthrough, report, kept)
    for key in ("plugins", "gems"):
        if config.get(key):
            report.left.append(
                f"_config.yml {key}: {', '.join(map(str, config[key]))} (not run here)"
            )
    if style not in ("/:title/", "/:title"):
        report.done.append(
            f"old addresses (permalink {style!r}): each post is at /<slug>/ now, and a page at "
            "its old address redirects there (aliases: in its front matter)"
        )
    if re.search(r"mathjax|katex", str(config), re.I):
        report.left.append("MathJax/KaTeX: not needed, $...$ and $$...$$ are typeset at build")
    return report
