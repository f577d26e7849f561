"""Imports the standard-library modules left out of the core zip. The first import of
one fetches the rest (a synchronous request, allowed in a worker) and puts it on sys.path;
a module of a package whose other modules are in the core is found by adding the rest's
folder of that package to the package's __path__."""

import sys

REST = frozenset()  # the rest's modules, by dotted name


class RestFinder:
    url = ""  # where the rest is fetched from; "" once it is in place
    path = "/lib/python_stdlib_rest.zip"

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in REST:
            return None
        from importlib.machinery import PathFinder

        if cls.url:
            cls.fetch(name)
        parent = name.rpartition(".")[0]
        if not parent:
            return PathFinder.find_spec(name, [cls.path], target)
        package = sys.modules.get(parent)
        if package is None or not hasattr(package, "__path__"):
            return None
        where = cls.path + "/" + parent.replace(".", "/")
        if where not in package.__path__:
            package.__path__.append(where)
        return PathFinder.find_spec(name, package.__path__, target)

    @classmethod
    def fetch(cls, name):
        import js

        request = js.XMLHttpRequest.new()
        request.open("GET", cls.url, False)
        request.responseType = "arraybuffer"
        request.send()
        if request.status != 200:
            raise ImportError(f"{name}: {cls.url} answered {request.status}", name=name)
        with open(cls.path, "wb") as f:
            f.write(request.response.to_bytes())
        cls.url = ""
        if cls.path not in sys.path:
            sys.path.append(cls.path)


def install(url=""):
    """Find the rest's modules from now on: fetched from *url* when first needed, or
    already written at RestFinder.path (url "")."""
    RestFinder.url = url
    if not url and RestFinder.path not in sys.path:
        sys.path.append(RestFinder.path)
    if RestFinder not in sys.meta_path:
        sys.meta_path.append(RestFinder)
