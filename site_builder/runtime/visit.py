"""One Python for a whole visit: what an article leaves in the interpreter, removed before
the next article of the site runs in it (static/js/worker.js, "open").

An article's globals live in a namespace of their own (reactive.new_namespace), so a new
one starts empty. What else it can leave behind is its bundle's modules in
``sys.modules`` and files under the working folder (its bundle's, and any its cells
wrote): ``forget`` removes both, keeping the files that were there before any article
(the shared package), so the next article sees none of them.

Standard library only: this module ships to the browser with the rest of the package.
"""

from __future__ import annotations

import gc
import json
import os
import sys


def files_under(home: str) -> str:
    """Every file and folder under *home*, as JSON (what ``forget`` keeps)."""
    found = []
    for folder, dirs, files in os.walk(home):
        found += [os.path.join(folder, name) for name in dirs + files]
    return json.dumps(sorted(found))


def forget(home: str, kept_json: str, modules_json: str) -> None:
    """Remove the last article's modules (*modules*: its bundle's files, "helpers.py",
    "pkg/__init__.py") from ``sys.modules``, and every file and folder under *home* that
    is not in *kept* (files_under before any article); then collect what they held."""
    tops = {path.split("/")[0].removesuffix(".py") for path in json.loads(modules_json)}
    for name in list(sys.modules):
        if name.split(".")[0] in tops:
            del sys.modules[name]
    kept = set(json.loads(kept_json))
    for folder, dirs, files in os.walk(home, topdown=False):
        for name in files:
            path = os.path.join(folder, name)
            if path not in kept:
                os.remove(path)
        for name in dirs:
            path = os.path.join(folder, name)
            if path not in kept:
                if os.path.islink(path):
                    os.remove(path)
                else:
                    os.rmdir(path)
    # The folder's finder forgets what it listed (importlib.invalidate_caches would import
    # importlib.metadata, which the browser's core may not hold).
    finder = sys.path_importer_cache.get(home)
    if finder is not None and hasattr(finder, "invalidate_caches"):
        finder.invalidate_caches()
    gc.collect()
