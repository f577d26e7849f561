"""Python that runs inside Pyodide under Node at build time, read by the ``.mjs`` scripts
beside this package (``stdlib.mjs``, ``packages.mjs``) rather than written in their
JavaScript strings, so that ruff and mypy check it: the runtime's standard library
compiled to bytecode (``compile_stdlib``, with the finder it installs, ``stdlib_finder``)
and a package set's image (``package_image``). These files are never imported by the
build itself."""
