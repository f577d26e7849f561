"""Python packages for the reader's browser: declared, resolved once, locked, verified, shipped.

An article (front matter ``packages:``) or the site (``[runtime] packages``) names
requirements. Each distinct set of them is resolved once and written to
``packages-lock.json`` beside ``site.toml`` (committed: a fresh machine ships the same bytes):

- a name Pyodide's own distribution has (numpy, pandas, … — the runtime's
  ``pyodide-lock.json``, or a local distribution folder's lock) comes from there, with the
  SHA-256 that lock gives, its dependencies with it;
- any other name is resolved by pip for the runtime's Python (3.14) and a pure-Python
  platform (``py3-none-any`` wheels only) and downloaded with pip's hash checking;
- a package published only as a source distribution is built into a wheel here (from the
  sdist whose SHA-256 the lock records, with a fixed SOURCE_DATE_EPOCH) and used when that
  wheel is pure Python.

Every file is kept in ``.cache/packages`` and checked against the lock whenever it is used;
one that differs is refused. Pages get a ``pyodide-lock.json`` (the runtime's, with these
wheels added, as ``pyodide lockfile add-wheels`` would write it) and load the wheels from
the site with Pyodide's ``loadPackage``, which checks each file's SHA-256 again.
At build time the same pure-Python wheels, unpacked, come first on the cells' ``sys.path``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .cache import write_atomically
from .errors import Collector
from .npm import file_sha256
from .paths import UnsafeName, file_name, hex_digest
from .pyodide import PYODIDE_VERSION

log = logging.getLogger(__name__)

LOCK_NAME = "packages-lock.json"
IMAGE_SCRIPT = Path(__file__).with_name("packages.mjs")
IMAGE_PYTHON = Path(__file__).with_name("in_pyodide") / "package_image.py"  # what it runs
LOCK_VERSION = 1
# Pyodide's own distribution of the pinned version: where compiled packages come from.
DISTRIBUTION_URL = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
# pip's view of the browser: pure-Python wheels for the runtime's CPython.
PURE = ["--only-binary=:all:", "--implementation", "py", "--abi", "none", "--platform", "any"]


class PackageError(Exception):
    """A declaration that cannot be resolved, fetched or verified."""


@dataclass(frozen=True)
class Wheel:
    """One file of a package set, as the lock records it."""

    name: str  # canonical (PEP 503) name
    version: str
    file_name: str
    sha256: str
    source: str  # "pypi", "pyodide", or "sdist" (built here from a verified sdist)
    depends: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()

    @property
    def site_path(self) -> str:
        """Where the site ships it: a folder named by its content, the file name intact
        (Pyodide's installer reads the wheel's name)."""
        return f"_pyodide/packages/{self.sha256[:16]}/{self.file_name}"


@dataclass(frozen=True)
class PackageSet:
    """The resolved files of one declaration (a page's packages)."""

    requirements: tuple[str, ...]
    wheels: tuple[Wheel, ...]

    @property
    def key(self) -> str:
        return hashlib.sha256(" ".join(w.sha256 for w in self.wheels).encode()).hexdigest()[:16]

    @property
    def compiled(self) -> list[str]:
        """Packages Pyodide's loader installs (their wheels hold compiled libraries)."""
        return [w.name for w in self.wheels if not _pure(w)]

    @property
    def imports(self) -> list[str]:
        return sorted({i for w in self.wheels for i in w.imports})


MANIFEST = ".complete"  # in an unpacked wheel's folder: {path: SHA-256} of its files
MAX_UNPACKED = 500_000_000  # bytes a wheel may unpack to


def _manifest(folder: Path) -> dict[str, str] | None:
    """{path: SHA-256} of every file under *folder* (but the manifest), or None."""
    if not folder.is_dir():
        return None
    return {
        p.relative_to(folder).as_posix(): file_sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def _read_manifest(folder: Path) -> dict[str, str] | None:
    try:
        found = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _read_sets(data: dict[str, Any]) -> dict[tuple[str, ...], PackageSet]:
    """The package sets a lock file records, every name and hash checked before it can
    become a path (paths.file_name): a lock is data, and may have been edited."""
    files = {}
    for f, w in dict(data.get("files", {})).items():
        if not isinstance(w, dict):
            raise TypeError(f"file {f!r}: expected a mapping")
        strings = ("name", "version", "sha256", "source")
        if any(not isinstance(w[k], str) for k in strings):
            raise TypeError(f"file {f!r}: name, version, sha256 and source must be text")
        files[file_name(f, "file")] = Wheel(
            w["name"],
            w["version"],
            f,
            hex_digest(w["sha256"], f"{f}'s sha256"),
            w["source"],
            tuple(str(d) for d in w["depends"]),
            tuple(str(i) for i in w["imports"]),
        )
    sets = {}
    for entry in data.get("sets", []):
        requirements = tuple(str(r) for r in entry["requirements"])
        sets[requirements] = PackageSet(requirements, tuple(files[n] for n in entry["files"]))
    return sets


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def normalize(requirements: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Requirements as one sorted tuple of PEP 508 strings; PackageError for a bad one."""
    from packaging.requirements import InvalidRequirement, Requirement

    found = set()
    for text in requirements:
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise PackageError(f"{text!r} is not a requirement ({exc})") from None
        if req.url:
            raise PackageError(f"{text!r}: a URL requirement cannot be locked; name a version")
        req.name = canonical(req.name)
        found.add(str(req))
    return tuple(sorted(found))


class Distribution:
    """Pyodide's packages: the runtime's lock, plus a local distribution folder's lock
    (wheels built with pyodide-build and added with ``pyodide lockfile add-wheels``)."""

    def __init__(self, runtime_lock: Path, source: str, root: Path) -> None:
        data = json.loads(runtime_lock.read_text(encoding="utf-8"))
        self.info: dict[str, Any] = data["info"]
        self.entries: dict[str, dict[str, Any]] = dict(data["packages"])
        self.runtime_entries = dict(self.entries)
        self.added: set[str] = set()  # packages only a local folder's lock has
        self.url = source or DISTRIBUTION_URL
        self.folder: Path | None = None
        if source and not re.match(r"https?://", source):
            self.folder = (root / source).resolve()
            lock = self.folder / "pyodide-lock.json"
            if lock.is_file():  # else a plain folder of the distribution's files
                self._add(str(lock), lock.read_bytes())
        elif source:  # a mirror or a distribution of your own: its lock, when it has one
            try:
                with urllib.request.urlopen(source + "pyodide-lock.json", timeout=30) as r:
                    self._add(source + "pyodide-lock.json", r.read())
            except OSError as exc:  # offline: what the project's lock records still builds
                log.info("no pyodide-lock.json from %s (%s)", source, exc)

    def _add(self, lock: str, text: bytes) -> None:
        """The entries a distribution's own lock adds to the runtime's."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PackageError(f"{lock} is not JSON ({exc})") from None
        for key in ("abi_version", "platform", "python"):
            if data.get("info", {}).get(key) != self.info.get(key):
                raise PackageError(
                    f"{lock}: made for {key} {data.get('info', {}).get(key)!r}, but the "
                    f"runtime (Pyodide {PYODIDE_VERSION}) is {self.info.get(key)!r}"
                )
        try:
            entries = dict(data["packages"])
            for name, entry in entries.items():  # names from the lock become file paths
                file_name(entry["file_name"], f"{lock}: {name}'s file_name")
                hex_digest(entry["sha256"], f"{lock}: {name}'s sha256")
        except (KeyError, TypeError, ValueError) as exc:
            raise PackageError(
                f"{lock}: not a pyodide-lock.json this build can use ({exc})"
            ) from None
        for name, entry in entries.items():
            ours = self.runtime_entries.get(name)
            if ours and ours["sha256"] != entry["sha256"]:
                raise PackageError(
                    f"{lock}: {name} differs from the runtime's own lock (SHA-256 "
                    f"{entry['sha256'][:12]}… vs {ours['sha256'][:12]}…); refused"
                )
            if not ours:
                self.entries[name] = entry
                self.added.add(name)

    def compiled(self, name: str) -> bool:
        """Does this distribution build *name* (a wheel that is not pure Python)?"""
        entry = self.entries.get(name)
        return entry is not None and not entry["file_name"].endswith("-none-any.whl")

    def serves(self, name: str) -> bool:
        """Is *name* taken from this distribution? Its compiled packages, and everything a
        local folder's own lock adds; pure-Python packages otherwise come from PyPI."""
        return self.compiled(name) or name in self.added

    def placeholders(self, folder: Path) -> Path:
        """An empty wheel per compiled package, named with the distribution's version: on
        a find-links path they let pip's resolver accept a pure-Python package that
        depends on numpy (say) at exactly the version the distribution ships."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, entry in self.entries.items():
            if not self.compiled(name) or not entry["file_name"].endswith(".whl"):
                continue
            dist = re.sub(r"[-.]+", "_", name)
            info = f"{dist}-{entry['version']}.dist-info"
            with zipfile.ZipFile(folder / f"{dist}-{entry['version']}-py3-none-any.whl", "w") as z:
                z.writestr(
                    f"{info}/METADATA",
                    f"Metadata-Version: 2.1\nName: {name}\nVersion: {entry['version']}\n",
                )
                z.writestr(
                    f"{info}/WHEEL",
                    "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
                )
                z.writestr(f"{info}/RECORD", "")
        return folder

    def closure(self, names: list[str]) -> list[Wheel]:
        """These packages and everything they depend on, as the distribution's lock says."""
        seen: dict[str, Wheel] = {}
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            entry = self.entries[name]
            seen[name] = Wheel(
                name,
                entry["version"],
                entry["file_name"],
                entry["sha256"],
                "pyodide",
                tuple(entry.get("depends", ())),
                tuple(entry.get("imports", ())),
            )
            todo.extend(entry.get("depends", ()))
        return sorted(seen.values(), key=lambda w: w.name)

    def fetch(self, wheel: Wheel, target: Path) -> None:
        """Copy or download *wheel* from the distribution to *target* (verified later)."""
        file_name(wheel.file_name, "a wheel's file name")
        if self.folder is not None:
            path = self.folder / wheel.file_name
            if not path.is_file():
                raise PackageError(f"{wheel.file_name} is not in {self.folder}")
            shutil.copyfile(path, target)
            return
        url = self.url + wheel.file_name
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
                target.write_bytes(response.read())
        except OSError as exc:
            raise PackageError(
                f"could not download {wheel.file_name} from {self.url} ({exc}); set "
                "[runtime] packages_source to a folder holding Pyodide's packages (the "
                "distribution's pyodide-lock.json and wheels)"
            ) from None


class Packages:
    """The project's lock, its cache of verified files, and resolution of new sets."""

    def __init__(
        self,
        root: Path,
        runtime_lock: Path,
        source: str,
        remote: bool = False,
        relock: bool = False,
    ):
        """*remote*: pages load compiled packages from the distribution's server (CDN
        mode), which checks them; the build then needs only their lock entries. *relock*:
        resolve every set anew (`site-builder lock`); the file is replaced only when the
        build that does it succeeds."""
        self.path = root / LOCK_NAME
        self.cache = root / ".cache" / "packages"
        self.dist = Distribution(runtime_lock, source, root)
        self.remote = remote and self.dist.folder is None
        self.sets: dict[tuple[str, ...], PackageSet] = {}
        self.changed = False
        self.used: set[tuple[str, ...]] = set()
        if relock:
            self.changed = True
        else:
            self._read()

    def _read(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            raise PackageError(f"{LOCK_NAME} is not readable JSON ({exc})") from None
        if not isinstance(data, dict):
            raise PackageError(f"{LOCK_NAME} is not a lock file site-builder wrote")
        if data.get("version") != LOCK_VERSION or data.get("pyodide") != PYODIDE_VERSION:
            log.info("%s was written for another runtime; resolving again", LOCK_NAME)
            self.changed = True
            return
        try:
            self.sets = _read_sets(data)
        except UnsafeName as exc:
            raise PackageError(f"{LOCK_NAME}: {exc}; refused") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PackageError(
                f"{LOCK_NAME} is not a lock file site-builder wrote (a hand or merge edit? "
                f"{type(exc).__name__}: {exc}); fix it, or delete it and build again"
            ) from None
        for found in self.sets.values():
            for w in found.wheels:
                if w.source == "pyodide":
                    self._check_pyodide(w)

    def _check_pyodide(self, wheel: Wheel) -> None:
        entry = self.dist.runtime_entries.get(wheel.name)
        if entry and entry["sha256"] != wheel.sha256:
            raise PackageError(
                f"{LOCK_NAME}: {wheel.file_name} is not the file Pyodide {PYODIDE_VERSION}'s "
                "distribution has; run `site-builder lock` to resolve again"
            )

    def save(self) -> None:
        """Write the lock if this build resolved something new or dropped unused sets."""
        if not self.changed:
            return
        files: dict[str, Any] = {}
        sets = []
        for requirements, found in sorted(self.sets.items()):
            sets.append(
                {"requirements": list(requirements), "files": [w.file_name for w in found.wheels]}
            )
            for w in found.wheels:
                entry = asdict(w)
                del entry["file_name"]
                entry["depends"], entry["imports"] = list(w.depends), list(w.imports)
                files[w.file_name] = entry
        data = {
            "comment": "Written by site-builder: the exact files pages load in the browser. "
            "Commit it; `site-builder lock` resolves every set again.",
            "version": LOCK_VERSION,
            "pyodide": PYODIDE_VERSION,
            "python": self.dist.info["python"],
            "sets": sets,
            "files": dict(sorted(files.items())),
        }
        write_atomically(self.path, json.dumps(data, indent=1, sort_keys=False) + "\n")
        self.changed = False

    def prune(self) -> None:
        """Forget the sets no article asked for (after a build that saw every article)."""
        for requirements in set(self.sets) - self.used:
            del self.sets[requirements]
            self.changed = True

    # -- resolution ------------------------------------------------------------------------

    def get(self, requirements: tuple[str, ...]) -> PackageSet:
        """The locked set for these requirements, resolving it when it is new; every file
        is then in the cache and verified."""
        self.used.add(requirements)
        found = self.sets.get(requirements)
        if found is None:
            found = self._resolve(requirements)
            self.sets[requirements] = found
            self.changed = True
        for wheel in found.wheels:
            if _pure(wheel) or not self.remote:
                self.file(wheel)
        return found

    def _resolve(self, requirements: tuple[str, ...]) -> PackageSet:
        from packaging.requirements import Requirement

        ours, theirs = [], []
        for text in requirements:
            req = Requirement(text)
            if self.dist.serves(req.name):
                version = self.dist.entries[req.name]["version"]
                if req.specifier and not req.specifier.contains(version, prereleases=True):
                    raise PackageError(
                        f"{text}: Pyodide {PYODIDE_VERSION}'s distribution has "
                        f"{req.name} {version} only"
                    )
                ours.append(req.name)
            else:
                theirs.append(text)
        wheels = {w.name: w for w in self.dist.closure(ours)}
        pure, needed = self._pip(theirs) if theirs else ([], [])
        wheels.update({w.name: w for w in self.dist.closure(needed)})
        for wheel in pure:
            wheels.setdefault(wheel.name, wheel)
        return PackageSet(requirements, tuple(sorted(wheels.values(), key=lambda w: w.name)))

    def _pip(self, requirements: list[str]) -> tuple[list[Wheel], list[str]]:
        """Resolve with pip for the browser's Python and a pure-Python platform: (the pure
        wheels, the distribution's compiled packages they depend on)."""
        python = ".".join(self.dist.info["python"].split(".")[:2])
        requirements = for_the_browser(requirements, self.dist.info["python"])
        if not requirements:
            return [], []
        with tempfile.TemporaryDirectory(prefix="site-builder-pip-") as tmp:
            report = Path(tmp) / "report.json"
            stand_ins = self.dist.placeholders(Path(tmp) / "compiled")
            built = _Built(Path(tmp) / "built")
            while True:
                proc = _pip_run(
                    ["install", "--dry-run", "--ignore-installed", "--target", f"{tmp}/t"]
                    + ["--find-links", str(stand_ins), "--find-links", str(built.folder)]
                    + ["--report", str(report), "--python-version", python, *PURE]
                    + requirements
                )
                if proc.returncode == 0:
                    break
                # A package with no wheel at all but a source distribution: build it here,
                # then resolve again with its wheel beside the index (once per package).
                missing = re.search(r"No matching distribution found for (\S+)", proc.stderr)
                wheel = self._from_sdist(missing[1], built) if missing else None
                if wheel is None:
                    raise PackageError(self._explain(requirements, proc.stderr, python))
            installs = json.loads(report.read_text(encoding="utf-8"))["install"]
            wheels, needed = [], []
            for item in installs:
                name = canonical(item["metadata"]["name"])
                url = item["download_info"]["url"]
                if url.startswith(stand_ins.as_uri()):
                    needed.append(name)
                    continue
                version = item["metadata"]["version"]
                file_name = url.rsplit("/", 1)[-1].split("#")[0]
                if url.startswith(built.folder.as_uri()):
                    wheels.append(built.wheels[file_name])
                    continue
                digest = item["download_info"].get("archive_info", {}).get("hashes", {})
                sha = digest.get("sha256", "")
                wheels.append(Wheel(name, version, file_name, sha, "pypi"))
            self._download([w for w in wheels if w.source == "pypi"])
            names = {w.name for w in wheels} | set(needed)
            return [self._described(w, names) for w in wheels], needed

    def _from_sdist(self, requirement: str, built: _Built) -> Wheel | None:
        """The pure-Python wheel built from *requirement*'s source distribution, stored in
        the cache and in *built*; None when the index has no sdist for it or it was built
        already. A build that makes a compiled wheel is refused (the browser can't use it)."""
        from packaging.requirements import Requirement

        name = canonical(Requirement(requirement).name)
        if name in built.names:
            return None
        built.names.add(name)
        with tempfile.TemporaryDirectory(prefix="site-builder-sdist-") as tmp:
            # Wheels for other machines but none pure: compiled code; never build it here.
            wheels = _pip_run(
                ["install", "--dry-run", "--no-deps", "--only-binary", ":all:", "-q"]
                + ["--ignore-installed", "--target", f"{tmp}/t", requirement]
            )
            if wheels.returncode == 0:
                return None
            proc = _pip_run(
                ["download", "--no-deps", "--no-binary", ":all:", "-q", "-d", f"{tmp}/src"]
                + [requirement]
            )
            sources = sorted(Path(tmp, "src").glob("*")) if proc.returncode == 0 else []
            if len(sources) != 1:
                return None
            log.info("%s has no wheel: building one from %s", name, sources[0].name)
            made = _wheel_of(sources[0], Path(tmp) / "wheel")
            version = made.name.split("-")[1]
            wheel = Wheel(name, version, made.name, file_sha256(sources[0]), "sdist")
            self._keep_built(wheel, made)
        shutil.copyfile(self._cache_path(wheel), built.folder / wheel.file_name)
        built.wheels[wheel.file_name] = wheel
        return wheel

    def _cache_path(self, wheel: Wheel) -> Path:
        """Where *wheel*'s file is kept (a folder named by the hash the lock records)."""
        return self.cache / wheel.sha256[:16] / wheel.file_name

    def _keep_built(self, wheel: Wheel, made: Path) -> Path:
        """Store a wheel built from *wheel*'s sdist, with its digest beside it: the digest
        is checked on every use (a built wheel has no digest in the lock to check)."""
        return _with_digest(_place(made, self._cache_path(wheel)))

    def _rebuilt(self, wheel: Wheel) -> Path:
        """The wheel built from the sdist the lock records: the sdist is downloaded with
        pip's hash checking, then built as at lock time."""
        path = self._cache_path(wheel)
        if _intact(path):
            return path
        if path.is_file():
            log.warning("%s in the package cache is damaged; building it again", path)
        with tempfile.TemporaryDirectory(prefix="site-builder-sdist-") as tmp:
            sdist = f"{wheel.name} {wheel.version}'s source distribution"
            _download_locked([wheel], Path(tmp) / "src", ["--no-binary", ":all:"], sdist)
            [source] = Path(tmp, "src").glob("*")
            made = _wheel_of(source, Path(tmp) / "wheel")
            if made.name != wheel.file_name:
                raise PackageError(
                    f"{wheel.name}'s sdist built {made.name}, not the {wheel.file_name} "
                    f"{LOCK_NAME} records; run `site-builder lock`"
                )
            return self._keep_built(wheel, made)

    def _explain(self, requirements: list[str], stderr: str, python: str) -> str:
        match = re.search(r"No matching distribution found for (\S+)", stderr)
        if not match:
            lines = [s for s in stderr.splitlines() if s.startswith("ERROR")]
            return f"pip could not resolve {', '.join(requirements)}: " + (
                " ".join(lines)[-400:] or stderr.strip()[-400:]
            )
        missing = match[1]
        # Is there any wheel or source for this machine? Then it ships compiled code.
        with tempfile.TemporaryDirectory(prefix="site-builder-pip-") as tmp:
            probe = _pip_run(
                ["install", "--dry-run", "--no-deps", "--ignore-installed", "-q"]
                + ["--target", f"{tmp}/t", missing]
            )
        exists = probe.returncode == 0
        if exists:
            return (
                f"{missing} has no pure-Python wheel (py3-none-any) for Python {python}: it "
                f"needs a compiled extension, and Pyodide {PYODIDE_VERSION}'s distribution "
                "does not have it. Compiled packages come only from a Pyodide distribution: "
                "build its wheel with pyodide-build, add it to a folder's pyodide-lock.json "
                "(`pyodide lockfile add-wheels`) and set [runtime] packages_source to that "
                "folder"
            )
        return f"no package {missing} for Python {python} on the package index"

    def _download(self, wheels: list[Wheel]) -> None:
        """Fetch these PyPI wheels into the cache with pip's hash checking."""
        missing = [w for w in wheels if not self._cached(w)]
        if not missing:
            return
        python = ".".join(self.dist.info["python"].split(".")[:2])
        with tempfile.TemporaryDirectory(prefix="site-builder-pip-") as tmp:
            names = ", ".join(w.file_name for w in missing)
            pure = ["--python-version", python, *PURE]
            _download_locked(missing, Path(tmp) / "d", pure, names)
            for w in missing:
                self._store(w, Path(tmp) / "d" / w.file_name)

    def _described(self, wheel: Wheel, names: set[str]) -> Wheel:
        """*wheel* with the dependencies (among *names*) and top-level modules it declares."""
        from packaging.requirements import Requirement

        env = _browser_markers(self.dist.info["python"])
        depends, imports = set(), set()
        with zipfile.ZipFile(self._cached(wheel) or "") as z:
            files = z.namelist()
            meta = next(f for f in files if f.endswith(".dist-info/METADATA"))
            for line in z.read(meta).decode("utf-8", "replace").splitlines():
                if line.startswith("Requires-Dist:"):
                    req = Requirement(line.partition(":")[2].strip())
                    if (not req.marker or req.marker.evaluate(env)) and canonical(
                        req.name
                    ) in names:
                        depends.add(canonical(req.name))
            for f in files:
                top = f.split("/")[0]
                if top.endswith((".dist-info", ".data")) or top.startswith("_"):
                    continue
                if "/" in f or top.endswith(".py"):
                    imports.add(top.removesuffix(".py"))
        return Wheel(
            wheel.name,
            wheel.version,
            wheel.file_name,
            wheel.sha256,
            wheel.source,
            tuple(sorted(depends)),
            tuple(sorted(i for i in imports if i.isidentifier())),
        )

    # -- the cache of verified files --------------------------------------------------------

    def _cached(self, wheel: Wheel) -> Path | None:
        path = self._cache_path(wheel)
        return path if path.is_file() else None

    def _store(self, wheel: Wheel, downloaded: Path) -> Path:
        digest = file_sha256(downloaded)
        if digest != wheel.sha256:
            raise PackageError(
                f"{wheel.file_name}: SHA-256 {digest[:16]}… is not the {wheel.sha256[:16]}… "
                f"the lock records; refused"
            )
        return _place(downloaded, self._cache_path(wheel))

    def file(self, wheel: Wheel) -> Path:
        """The verified file of *wheel*, fetched into the cache when missing; a cached file
        whose bytes changed is fetched again."""
        if wheel.source == "sdist":
            return self._rebuilt(wheel)
        path = self._cached(wheel)
        if path and file_sha256(path) == wheel.sha256:
            return path
        if path:
            log.warning("%s in the package cache is damaged; fetching it again", path)
            path.unlink()
        if wheel.source == "pypi":
            self._download([wheel])
            return self.file(wheel)
        with tempfile.TemporaryDirectory(prefix="site-builder-fetch-") as tmp:
            target = Path(tmp) / wheel.file_name
            self.dist.fetch(wheel, target)
            return self._store(wheel, target)

    def unpacked(self, wheel: Wheel) -> Path:
        """The wheel unpacked once (a pure-Python wheel is importable as its files). Its
        files are checked against the manifest written when it was unpacked every time it
        is used: a file changed, added or removed in the cache unpacks it again."""
        folder = self.cache / "unpacked" / wheel.sha256[:16]
        recorded = _read_manifest(folder)
        if recorded is None or _manifest(folder) != recorded:
            log.info("unpacking %s", wheel.file_name)
            staging = folder.with_name(f".{folder.name}.{os.getpid()}")
            shutil.rmtree(staging, ignore_errors=True)
            with zipfile.ZipFile(self.file(wheel)) as z:
                size = sum(i.file_size for i in z.infolist())
                if size > MAX_UNPACKED:
                    raise PackageError(
                        f"{wheel.file_name} unpacks to {size / 1e6:,.0f} MB (at most "
                        f"{MAX_UNPACKED / 1e6:,.0f} MB); refused"
                    )
                z.extractall(staging)  # zipfile drops '..' and leading '/' from names
            (staging / MANIFEST).write_text(json.dumps(_manifest(staging)), encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(staging, folder)
        return folder

    def image(self, found: PackageSet, runtime: Path) -> Path | None:
        """The set's pure-Python wheels installed and compiled by the runtime's CPython,
        as one file the page writes into site-packages (packages.mjs), made once."""
        wheels = [w for w in found.wheels if _pure(w)]
        if not wheels:
            return None
        script = IMAGE_SCRIPT.read_bytes() + IMAGE_PYTHON.read_bytes()
        tag = hashlib.sha256(script + PYODIDE_VERSION.encode()).hexdigest()
        key = hashlib.sha256((tag + found.key).encode()).hexdigest()[:16]
        path = self.cache / "images" / f"image-{key}.bin"
        if _intact(path):
            return path  # checked on every use: a damaged image is made again, never shipped
        if path.is_file():
            log.warning("%s in the package cache is damaged; making it again", path)
        args = [str(IMAGE_SCRIPT), str(runtime), "", *[str(self.file(w)) for w in wheels]]
        return _with_digest(_made_by_node(path, args, "compiling the packages"))

    def build_env(self, found: PackageSet) -> dict[str, Any]:
        """What the build-time runner needs: the unpacked pure-Python wheels (first on
        sys.path) and every module name the set provides (allowed by the browser check)."""
        paths = [str(self.unpacked(w)) for w in found.wheels if _pure(w)]
        return {"paths": paths, "imports": found.imports, "key": found.key}

    def page_lock(self, found: PackageSet, absolute: dict[str, str]) -> bytes:
        """The runtime's pyodide-lock.json with this set's compiled wheels added (the
        loader Pyodide needs for their libraries); file names are relative to the site's
        package folder, or absolute URLs (*absolute*: name -> URL)."""
        data = {"info": self.dist.info, "packages": dict(self.dist.runtime_entries)}
        compiled = set(found.compiled)
        for w in found.wheels:
            if _pure(w):
                continue  # in the set's image instead
            entry = dict(self.dist.entries.get(w.name, {}))
            entry.update(
                name=w.name,
                version=w.version,
                file_name=absolute.get(w.name) or w.site_path.removeprefix("_pyodide/packages/"),
                sha256=w.sha256,
                depends=[d for d in w.depends if d in compiled],  # the rest: in the image
                imports=list(w.imports),
                install_dir="site",
                package_type="package",
            )
            entry.setdefault("unvendored_tests", False)
            data["packages"][w.name] = entry
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def node_error(stderr: str) -> str:
    """What went wrong, from what Node printed: a Python traceback's last line, or the
    line naming the JavaScript error; never a slice of the minified runtime it quotes."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    python = [ln for ln in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b", ln)]
    if python:
        return python[-1][:400]
    thrown = [ln for ln in lines if re.search(r"\b\w*Error\b:", ln) and len(ln) < 400]
    if thrown:
        return thrown[-1]
    short = [ln for ln in lines if len(ln) < 200 and not ln.startswith("at ")]
    return (short[-1] if short else "Node stopped without a message")[:400]


def _made_by_node(path: Path, args: list[str], what: str) -> Path:
    """Run ``node`` with *args* (the "" among them is the output file) to make *path*,
    written to a temporary name first so a failed run leaves nothing; return *path*."""
    if shutil.which("node") is None:
        raise PackageError(f"Node.js is needed for {what}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    proc = subprocess.run(["node", *[a or str(tmp) for a in args]], capture_output=True, text=True)
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise PackageError(f"{what} failed: {node_error(proc.stderr)}")
    os.replace(tmp, path)
    return path


def imported_modules(found: PackageSet, code: list[str]) -> list[str]:
    """The modules of *found* worth importing ahead (before the page's snapshot is made,
    static/js/worker.js): the top-level modules
    of the packages asked for by name, and every module of the set that *code* (the
    page's browser code) imports by an absolute import."""
    from packaging.requirements import Requirement

    from .pyodide import imports_of

    asked = {Requirement(r).name for r in found.requirements}
    names = {i for w in found.wheels if w.name in asked for i in w.imports}
    names |= imports_of(code, dotted=True)
    provided = set(found.imports)
    return sorted(n for n in names if n.partition(".")[0] in provided)


class _Built:
    """Wheels built from sdists during one resolution: a find-links folder for pip."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.names: set[str] = set()
        self.wheels: dict[str, Wheel] = {}


def _wheel_of(sdist: Path, folder: Path) -> Path:
    """Build *sdist* into a wheel in *folder* (reproducibly: a fixed SOURCE_DATE_EPOCH);
    refuse one that is not pure Python."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800"}  # 1980, the first ZIP date
    proc = _pip_run(["wheel", "--no-deps", "-q", "-w", str(folder), str(sdist)], env)
    made = sorted(folder.glob("*.whl")) if folder.is_dir() else []
    if proc.returncode != 0 or len(made) != 1:
        tail = " ".join(s for s in proc.stderr.splitlines() if "ERROR" in s or "rror:" in s)
        raise PackageError(f"{sdist.name} has no wheel, and building one failed: {tail[-400:]}")
    if not made[0].name.endswith("-none-any.whl"):
        raise PackageError(
            f"{sdist.name} has no wheel, and the one it builds ({made[0].name}) holds compiled "
            "code: compiled packages come only from a Pyodide distribution "
            "([runtime] packages_source)"
        )
    return made[0]


def _pure(wheel: Wheel) -> bool:
    return wheel.file_name.endswith("-none-any.whl")


def _differences(found: PackageSet) -> list[str]:
    """The compiled packages of *found* the build's own Python has at another version (or
    not at all): its cells run that one, the browser the distribution's."""
    import importlib.metadata as metadata

    found_here = []
    for wheel in found.wheels:
        if _pure(wheel):
            continue  # unpacked for the build: the same files on both sides
        try:
            here = metadata.version(wheel.name)
        except metadata.PackageNotFoundError:
            here = "not installed"
        if here != wheel.version:
            found_here.append(f"{wheel.name} {wheel.version} (the build has {here})")
    return found_here


def for_the_browser(requirements: list[str], python: str) -> list[str]:
    """*requirements* as they hold in the browser: each marker evaluated for Pyodide's
    Python (pip would evaluate it for the build machine), those that do not hold left out."""
    from packaging.requirements import Requirement

    env = _browser_markers(python)
    kept = []
    for text in requirements:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        req.marker = None
        kept.append(str(req))
    return kept


def _browser_markers(python: str) -> dict[str, str]:
    """PEP 508 marker values of Pyodide's CPython in a browser."""
    short = ".".join(python.split(".")[:2])
    return {
        "implementation_name": "cpython",
        "implementation_version": python,
        "os_name": "posix",
        "platform_machine": "wasm32",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Emscripten",
        "platform_version": "",
        "python_full_version": python,
        "python_version": short,
        "sys_platform": "emscripten",
        "extra": "",
    }


def _pip_run(
    args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        env=env,
    )


def _download_locked(wheels: list[Wheel], folder: Path, args: list[str], names: str) -> None:
    """Download the files *wheels* record (name, version, SHA-256) into *folder* with pip's
    hash checking; *args* say which kind (pure wheels for the browser, or sdists)."""
    reqs = folder.with_name(folder.name + "-requirements.txt")
    reqs.write_text("".join(f"{w.name}=={w.version} --hash=sha256:{w.sha256}\n" for w in wheels))
    proc = _pip_run(
        ["download", "--no-deps", "--require-hashes", "-q", "-d", str(folder), *args]
        + ["-r", str(reqs)]
    )
    if proc.returncode == 0:
        return
    if "DO NOT MATCH THE HASHES" in proc.stderr:
        raise PackageError(
            f"{names}: what the package index serves does not match the SHA-256 "
            f"{LOCK_NAME} records; refused (run `site-builder lock` only if the "
            "new files are trusted)"
        )
    tail = " ".join(s for s in proc.stderr.splitlines() if "ERROR" in s)[-400:]
    raise PackageError(f"pip could not download {names}: {tail}")


def _place(source: Path, path: Path) -> Path:
    """Copy *source* to *path* whole or not at all (a temporary name, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    shutil.copyfile(source, tmp)
    os.replace(tmp, path)
    return path


def _with_digest(path: Path) -> Path:
    """Record *path*'s SHA-256 beside it (a file the build made: the lock has no digest
    of it to check)."""
    write_atomically(path.with_name(path.name + ".sha256"), file_sha256(path) + "\n")
    return path


def _intact(path: Path) -> bool:
    """Is *path* there with the bytes _with_digest recorded? Checked on every use."""
    digest = path.with_name(path.name + ".sha256")
    return (
        path.is_file()
        and digest.is_file()
        and file_sha256(path) == digest.read_text(encoding="utf-8").strip()
    )


def front_matter_line(path: Path, key: str) -> int:
    """The line of ``key:`` in a Markdown file's front matter (1 when not found)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    for number, line in enumerate(lines[1:], 2):
        if line.strip() in ("---", "..."):
            break
        if re.match(rf"{re.escape(key)}\s*:", line):
            return number
    return 1


def resolve_articles(
    config: Any,
    articles: list[Any],
    full: bool,
    problems: Collector,
    drafts: list[tuple[str, ...]] | None = None,
) -> tuple[Packages | None, dict[str, PackageSet]]:
    """The package set of every article with Python (the site's packages plus its own),
    resolved or read from the lock; a problem names the declaration's file and line.
    A *full* build saw every article: sets nobody uses leave the lock, but for those of
    *drafts* (their requirements: a build without drafts keeps what they will need).
    ``[runtime] relock`` (`site-builder lock`): every set is resolved anew."""
    from .config import CONFIG_NAME, config_line
    from .npm import FetchFailed
    from .pyodide import ensure_pyodide

    site = config.runtime.packages
    wanted = [a for a in articles if (site or a.meta.packages) and (a.cells or a.widgets)]
    lock_path = config.root / LOCK_NAME
    if not wanted and not (full and lock_path.is_file()):
        return None, {}

    def where(article: Any) -> tuple[str, int]:
        if article is not None and article.meta.packages:
            return article.source.rel, front_matter_line(article.source.path, "packages")
        return CONFIG_NAME, config_line(config.root, "packages", "runtime")

    try:
        runtime = ensure_pyodide(config.root / ".cache")
        cdn = config.runtime.source == "cdn"
        lock = runtime / "pyodide-lock.json"
        packages = Packages(
            config.root, lock, config.runtime.packages_source, cdn, config.runtime.relock
        )
    except (FetchFailed, PackageError) as exc:
        problems.error(*where(wanted[0] if wanted else None), str(exc))
        return None, {}
    sets: dict[str, PackageSet] = {}
    for article in wanted:
        try:
            requirements = normalize([*site, *article.meta.packages])
            sets[article.source.slug] = found = packages.get(requirements)
        except PackageError as exc:
            problems.error(*where(article), str(exc))
            continue
        if differ := _differences(found):
            problems.warn(
                *where(article),
                "the browser gets " + ", ".join(differ) + ": build-time values may differ",
                hint="install those versions for the build (pip install NAME==VERSION)",
            )
    if full and not problems.errors:
        packages.used.update(normalize([*site, *d]) for d in drafts or [])
        packages.prune()
    return packages, sets
