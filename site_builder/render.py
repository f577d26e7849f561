"""How any page is rendered: the ``RenderContext`` every page of a build shares (templates,
URLs, the hashed names of the assets, the files written), and ``render_page``, which
renders a template with the page's Content-Security-Policy.

What is rendered lives beside it: article pages (``article_pages.py``), the site-wide
pages (``site_pages.py``); the Jinja2 environment is ``templates.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jinja2

from .assets import Assets
from .config import SiteConfig
from .errors import Collector
from .output import FileConflict, SiteFiles
from .pyodide import PYODIDE_VERSION
from .templates import make_environment, template_diagnostic
from .urls import Urls, tag_slug


class MissingAsset(ValueError):
    """A file of static/ that a page names does not exist (a template's asset(), or the
    page script a page with widgets needs)."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"static/{path} does not exist: the site's pages need it (copy it from the tool's "
            "static/ folder; `site-builder init` starts a site with the whole theme)"
        )
        self.path = path


@dataclass
class RenderContext:
    """What rendering any page of this build needs."""

    config: SiteConfig
    urls: Urls
    env: jinja2.Environment
    # What the copy phase made: the files this build writes, the assets' hashed names, how
    # pages reach Pyodide, the shared package's URL, the packages' locks.
    copied: Assets
    renames: dict[str, str]  # site paths as authors write them -> their hashed names
    # slug -> the article's browser packages, and the URL of each set's pyodide-lock.json
    package_sets: dict[str, Any] = field(default_factory=dict)
    packages: Any = None  # packages.Packages, when any article declares packages

    @classmethod
    def make(
        cls,
        config: SiteConfig,
        dev: bool,
        urls: Urls,
        assets: Assets,
        packages: Any = None,
        package_sets: dict[str, Any] | None = None,
    ) -> RenderContext:
        """Set up the templates for pages that use what the copy phase made (*assets*)."""
        names = assets.names
        renames = {f"static/{k}": v for k, v in names.items()}
        cache = config.path("cache_dir") / "templates"
        env = make_environment(config.path("templates_dir"), {}, cache)
        ctx = cls(config, urls, env, assets, renames, package_sets or {}, packages)
        env.globals.update(
            site=config,
            url=urls,
            asset=ctx.asset,  # a file static/ lacks: an error at the template's line
            # An author's link as it goes into a page: base path, hashed static name.
            link=lambda href: urls.prefix(href, renames),
            dev=dev,
            pyodide_version=PYODIDE_VERSION,
            tag_slug=tag_slug,
            # The modules a module imports, to preload with it: <link rel=modulepreload>.
            preloads=lambda p: [urls(names[d]) for d in assets.imports.get(p, [])],
        )
        return ctx

    def asset(self, path: str) -> str:
        """The URL of static/*path* under its hashed name; MissingAsset when it is not there."""
        if path not in self.copied.names:
            raise MissingAsset(path)
        return self.urls(self.copied.names[path])

    @property
    def files(self) -> SiteFiles:
        """What this build writes: the assets copied, then the pages rendered."""
        return self.copied.files


def page_policy(extensions: tuple[Any, ...], origin: str = "", hashes: Any = ()) -> Any:
    """The page's Content-Security-Policy (csp.py) as the value of its meta tag."""
    from markupsafe import Markup, escape

    from .csp import policy

    text = policy(*extensions, origin=origin, style_hashes=hashes)
    return Markup(str(escape(text)).replace("&#39;", "'"))  # quotes readable in content="..."


def with_math_styles(text: str, base: Any, extensions: tuple[Any, ...], origin: str = "") -> str:
    """*text* (a page carrying the policy *base*) with its policy allowing exactly the
    ``style`` attributes of its typeset math (tex.style_hashes)."""
    from .tex import style_hashes

    if "<math" in text and (hashes := style_hashes(text)):
        return text.replace(base, page_policy(extensions, origin, hashes), 1)
    return text


def render_page(
    ctx: RenderContext,
    problems: Collector,
    template: str,
    path: str,
    owner: str,
    *,
    csp: tuple[Any, ...] = (),
    origin: str = "",
    **data: Any,
) -> None:
    """Render one template into the site; a template problem becomes a diagnostic.
    The page's Content-Security-Policy (``{{ csp }}``) is the site's with *csp* (an
    article's additions) and a runtime *origin* added (page_policy)."""
    extensions = (ctx.config.csp, *csp)
    base = page_policy(extensions, origin)
    try:
        text = ctx.env.get_template(template).render(csp=base, **data)
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        templates = ctx.config.path("templates_dir")
        found = template_diagnostic(exc, templates, ctx.config.root, template)
        if found not in problems.errors:  # once, not once for every page it renders
            problems.extend([found])
        return
    text = with_math_styles(text, base, extensions, origin)
    try:
        ctx.files.write(path, text, owner)
    except FileConflict as exc:
        problems.error(owner, 0, str(exc))
