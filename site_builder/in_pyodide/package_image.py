"""A package set's image (run by packages.mjs in Pyodide): the files of pure-Python
wheels as they lie in site-packages, their bytecode compiled by the runtime's CPython.
Format: a 4-byte little-endian header length, the header (JSON ``[[path, size], ...]``,
sorted), then the files' bytes in that order."""

import compileall
import json
import os
import py_compile
import site
import zipfile


def main(count: int) -> bytes:
    """The image of the wheels written at ``/tmp/wheel-0.whl`` … ``/tmp/wheel-{count-1}``."""
    root, target = "/image", site.getsitepackages()[0]
    for i in range(count):
        with zipfile.ZipFile(f"/tmp/wheel-{i}.whl") as wheel:
            for info in wheel.infolist():
                parts = info.filename.split("/")
                if info.is_dir():
                    continue
                if parts[0].endswith(".data"):  # NAME.data/purelib/... installs at the root
                    if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                        continue
                    parts = parts[2:]
                path = os.path.join(root, *parts)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(wheel.read(info))
    compileall.compile_dir(
        root,
        ddir=target,
        quiet=2,
        workers=1,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    files = sorted(
        os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names
    )
    blobs = []
    for name in files:
        with open(os.path.join(root, name), "rb") as built:
            blobs.append(built.read())
    listing = [[f, len(b)] for f, b in zip(files, blobs, strict=True)]
    header = json.dumps(listing, separators=(",", ":")).encode()
    return len(header).to_bytes(4, "little") + header + b"".join(blobs)
