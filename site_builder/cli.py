"""Command line: build | serve | new | init | check | fetch-runtime | lock | import-jekyll;
the only place that prints."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import re
import sys
import time
from pathlib import Path


def _config(args: argparse.Namespace):
    from .config import load_config

    overrides = {"base_url": args.base_url} if getattr(args, "base_url", None) else {}
    return load_config(Path(args.root).resolve(), overrides)


def cmd_build(args: argparse.Namespace, relock: bool = False) -> int:
    from dataclasses import replace

    from .build import build, preview_dir
    from .errors import BuildError

    start = time.perf_counter()
    try:
        config = _config(args)
        if relock:  # every package set resolved anew; the lock is replaced only on success
            config = replace(config, runtime=replace(config.runtime, relock=True))
        result = build(
            config,
            drafts=args.drafts,
            incremental=not args.full,
            wait=not args.no_wait,
            waiting=_say_waiting,
        )
    except BuildError as exc:
        for d in exc.diagnostics:
            print(d.format(), file=sys.stderr)
        errors = sum(d.severity == "error" for d in exc.diagnostics)
        warned = len(exc.diagnostics) - errors
        also = f" and {warned} warning{'s' * (warned != 1)}" if warned else ""
        print(
            f"build failed: {errors} error{'s' * (errors != 1)}{also}; "
            f"the previous output was left as it was",
            file=sys.stderr,
        )
        return 1
    for w in result.warnings:
        print(w.format(), file=sys.stderr)
    for note in result.notes:
        print(note)
    where = f"{config.output_dir}/"
    if args.drafts:
        where = f"{preview_dir(config)}/ (a preview with drafts, not for deploying)"
    if result.incremental and not result.files_written.files and not result.articles:
        print(
            f"nothing changed: {result.article_count} article(s) in {where} "
            f"({time.perf_counter() - start:.2f} s)"
        )
        return 0
    pages = result.page_count
    how = f"{len(result.articles)} rendered" if result.incremental else "full build"
    print(
        f"built {result.article_count} article(s), {pages} pages into {where} "
        f"({how}) in {time.perf_counter() - start:.2f} s"
    )
    return 0


def _say_waiting(holder: str) -> None:
    who = f" (pid {holder})" if holder else ""
    print(f"waiting for another build of this project{who} to finish…", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    from .build import build
    from .errors import BuildError

    try:
        result = build(_config(args), drafts=args.drafts, write=False)
    except BuildError as exc:
        for d in exc.diagnostics:
            print(d.format(), file=sys.stderr)
        return 1
    print(f"ok: {len(result.files)} files, every internal link and anchor resolves")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve, wait_for_config

    config = wait_for_config(Path(args.root).resolve(), {})
    return serve(config, host=args.host, port=args.port, drafts=True)


def cmd_new(args: argparse.Namespace) -> int:
    from .config import load_config

    config = load_config(Path(args.root).resolve())
    slug = re.sub(r"[^a-z0-9]+", "-", args.title.lower()).strip("-") or "article"
    folder = config.path("content_dir") / slug
    if folder.exists() or folder.with_suffix(".md").exists():
        print(f"error: {folder} already exists", file=sys.stderr)
        return 1
    import json
    import shutil

    from .output import remove_leftovers

    title = json.dumps(args.title, ensure_ascii=False)[1:-1]  # a YAML double-quoted string
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Made beside it and renamed into place: interrupted, nothing half-made is left (and
    # what a killed run left is removed by the next).
    remove_leftovers(folder.parent, f".{slug}.new-")
    staging = folder.with_name(f".{slug}.new-{os.getpid()}")
    staging.mkdir()
    try:
        (staging / "index.md").write_text(
            f'---\ntitle: "{title}"\ndate: {dt.date.today().isoformat()}\nsummary: ""\n'
            f"tags: []\ndraft: true\n---\n\nWrite here. A Python cell that runs at build time "
            f"and in the browser:\n\n```python exec\ndef double(x):\n    return 2 * x\n```\n\n"
            f"```widget\ninputs:\n  x: {{type: range, min: 0, max: 10, step: 1, value: 3}}\n"
            f"outputs:\n  - value: double(x)\n    label: double(x)\n```\n",
            encoding="utf-8",
        )
        os.rename(staging, folder)  # fails if the folder appeared meanwhile
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f"created {folder.relative_to(config.root)}/index.md (a draft: 'make serve' shows it)")
    return 0


def cmd_fetch_runtime(args: argparse.Namespace) -> int:
    from .npm import FetchFailed
    from .pyodide import ensure_pyodide
    from .tex import ensure_temml

    cache = Path(args.root).resolve() / ".cache"
    try:
        folder = ensure_pyodide(cache)
        temml = ensure_temml(cache)
    except FetchFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"pyodide runtime in {folder}; math typesetter in {temml}")
    return 0


def cmd_import_jekyll(args: argparse.Namespace) -> int:
    """Move a Jekyll site's posts, pages, assets and settings into this project."""
    from .importer import import_jekyll

    source = Path(args.source)
    if not (source / "_posts").is_dir() and not (source / "_config.yml").is_file():
        print(f"error: {source} has no _posts/ or _config.yml: not a Jekyll site", file=sys.stderr)
        return 1
    root = Path(args.root).resolve()
    from .errors import BuildError

    content_dir = "content"
    with contextlib.suppress(BuildError):  # a broken site.toml: the import says so itself
        content_dir = _config(args).content_dir
    report = import_jekyll(source, root, content_dir, args.keep_addresses)
    for line in report.lines():
        print(line)
    print("next: `make build` builds it and names, at its line, anything left to do")
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    """Resolve every package set again (the newest versions the requirements allow) with
    a full build. The lock file is replaced only when that build succeeds, in one atomic
    step; a failed or interrupted build leaves it as it was."""
    from .packages import LOCK_NAME

    args.full, args.drafts, args.no_wait = True, False, False
    code = cmd_build(args, relock=True)
    if code != 0:
        print(f"{LOCK_NAME} was left as it was", file=sys.stderr)
    return code


KEEP_HELP = (
    "publish posts at the addresses Jekyll gave them (site.toml permalink) instead of "
    "redirecting those to /<slug>/"
)


def cmd_init(args: argparse.Namespace) -> int:
    """Start a new site in a folder of its own."""
    from .scaffold import CannotStart, init_site

    folder = Path(args.folder).resolve()
    jekyll = Path(args.from_jekyll).resolve() if args.from_jekyll else None
    if jekyll and not ((jekyll / "_posts").is_dir() or (jekyll / "_config.yml").is_file()):
        print(f"error: {jekyll} has no _posts/ or _config.yml: not a Jekyll site", file=sys.stderr)
        return 1
    try:
        made = init_site(folder, args.title, jekyll, args.keep_addresses)
    except CannotStart as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in made:
        print(f"made: {line}" if not line.startswith(("imported:", "left:")) else line)
    print(f"next: site-builder --root {args.folder} serve   (or build)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="site-builder", description=__doc__)
    parser.add_argument("--root", default=".", help="project folder (default: .)")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, help_ in (
        ("build", cmd_build, "build the site into _site/"),
        ("check", cmd_check, "build in memory and check every link; write nothing"),
        ("serve", cmd_serve, "build, serve, rebuild and live-reload on change"),
    ):
        p = sub.add_parser(name, help=help_)
        p.set_defaults(func=func)
        if name != "serve":  # serve shows drafts, at the root of its own address
            p.add_argument("--base-url", help="override base_url from site.toml")
            p.add_argument("--drafts", action="store_true", help="include draft articles")
        if name == "build":
            p.add_argument(
                "--full",
                action="store_true",
                help="rebuild everything, ignoring what the last build saved",
            )
            p.add_argument(
                "--no-wait",
                action="store_true",
                help="fail at once if another build of this project is running",
            )
        if name == "serve":
            p.add_argument("--host", default="127.0.0.1")
            p.add_argument("--port", type=int, default=8000)
    p = sub.add_parser("new", help='scaffold an article: new "Title"')
    p.add_argument("title")
    p.set_defaults(func=cmd_new)
    sub.add_parser("fetch-runtime", help="download the pinned Pyodide runtime").set_defaults(
        func=cmd_fetch_runtime
    )
    p = sub.add_parser("import-jekyll", help="move a Jekyll site's posts and assets in: SRC")
    p.add_argument("source", help="the Jekyll site's folder")
    p.add_argument("--keep-addresses", action="store_true", help=KEEP_HELP)
    p.set_defaults(func=cmd_import_jekyll)
    p = sub.add_parser("init", help="start a new site in a folder of its own")
    p.add_argument("folder", help="where (a new or empty folder)")
    p.add_argument("--title", default="Explorables", help="the site's title")
    p.add_argument("--from-jekyll", metavar="SRC", help="move this Jekyll site in")
    p.add_argument("--keep-addresses", action="store_true", help=KEEP_HELP)
    p.set_defaults(func=cmd_init)
    p = sub.add_parser(
        "lock", help="resolve the browser's Python packages again and rebuild (packages-lock.json)"
    )
    p.add_argument("--base-url", help="override base_url from site.toml")
    p.set_defaults(func=cmd_lock)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except KeyboardInterrupt as exc:
        from .build import InterruptedAfterWrite

        if isinstance(exc, InterruptedAfterWrite):
            print(
                "interrupted after the new site was written; its build state was not saved, "
                "so the next build is a full one",
                file=sys.stderr,
            )
        else:
            print("interrupted; the previous output was left as it was", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
