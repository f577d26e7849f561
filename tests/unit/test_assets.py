"""What the site ships besides pages (site_builder/assets.py): static files under
content-hashed names, JavaScript modules with their imports rewritten to those names."""

import tempfile
from pathlib import Path

import pytest

from site_builder.assets import ModuleCycle, copy_static
from site_builder.config import load_config
from site_builder.output import SiteFiles
from tests.conftest import write_site

MODULES = {
    "static/js/app.js": 'import { b } from "./b.js";\nimport("./lazy/c.js");\nb();\n',
    "static/js/b.js": 'import { c } from "./lazy/c.js";\nexport const b = () => c;\n',
    "static/js/lazy/c.js": 'import x from "https://example.org/x.js";\nexport const c = 1;\n',
    "static/css/site.css": "body {}\n",
}


def copied(files):
    """(the files written, names, imports) of copying a site with *files*."""
    root = write_site(Path(tempfile.mkdtemp()), files)
    out = SiteFiles()
    return out, *copy_static(load_config(root), out)


def test_modules_import_each_other_by_their_hashed_names():
    out, names, imports = copied(MODULES)
    app, b, c = (out.read(names[k]).decode() for k in ("js/app.js", "js/b.js", "js/lazy/c.js"))
    b_name, c_name = names["js/b.js"].rsplit("/", 1)[1], names["js/lazy/c.js"].rsplit("/", 2)
    assert f'from "./{b_name}"' in app and f'import("./lazy/{c_name[2]}")' in app
    assert f'from "./lazy/{c_name[2]}"' in b
    assert 'from "https://example.org/x.js"' in c  # not one of ours: as written
    assert imports["js/app.js"] == ["js/b.js", "js/lazy/c.js"]  # each once, in order
    assert imports["js/lazy/c.js"] == [] and "css/site.css" not in imports


def test_a_changed_module_renames_those_that_import_it_and_no_other():
    _, before, _ = copied(MODULES)
    _, after, _ = copied({**MODULES, "static/js/lazy/c.js": "export const c = 2;\n"})
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"js/lazy/c.js", "js/b.js", "js/app.js"}
    _, again, _ = copied({**MODULES, "static/js/app.js": MODULES["static/js/app.js"] + "\n"})
    assert {k for k in before if before[k] != again[k]} == {"js/app.js"}


def test_modules_that_import_each_other_are_an_error():
    cycle = {
        "static/js/a.js": 'import "./b.js";\n',
        "static/js/b.js": 'import "./a.js";\n',
    }
    with pytest.raises(
        ModuleCycle, match=r"static/ modules import each other: js/a.js → js/b.js → js/a.js"
    ):
        copied(cycle)


def test_stylesheets_name_the_files_they_use_by_their_hashed_names():
    css = (
        '@font-face { src: url("../fonts/m.woff2") format("woff2"); }\n'
        "a { background: url(../img/i.svg), url(data:image/png;base64,AA), "
        "url('https://example.org/x.png'), url(/abs.png); }\n"
    )
    files = {
        "static/css/site.css": css,
        "static/fonts/m.woff2": "font",
        "static/img/i.svg": "<svg/>",
    }
    out, names, _ = copied(files)
    text = out.read(names["css/site.css"]).decode()
    font, svg = (names[k].rsplit("/", 1)[1] for k in ("fonts/m.woff2", "img/i.svg"))
    assert f'url("../fonts/{font}")' in text and f"url(../img/{svg})" in text
    assert "url(data:image/png;base64,AA)" in text and "url('https://example.org/x.png')" in text
    assert "url(/abs.png)" in text  # site-absolute: the page's base path is not known here
    _, renamed, _ = copied({**files, "static/fonts/m.woff2": "another font"})
    assert renamed["css/site.css"] != names["css/site.css"]
