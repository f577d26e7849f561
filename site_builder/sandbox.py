"""The box build-time cells run in (Linux): writes confined, every process accounted for.

Cells are the author's own code, trusted like a Makefile; the box is there to catch
mistakes and keep builds reproducible, not to contain an attacker. It has three parts:

- **Landlock** (Linux 5.13 and later, no privileges needed): the cell process and every
  process it starts may create, change or remove files only inside its scratch folder and
  its private temporary folder, whatever route they take (Python, ``os.open``, renames,
  links, SQLite, ctypes, a subprocess). From Landlock ABI 6 on, they also cannot signal
  processes outside the box (the build itself).
- **A process limit**: a ``pids`` cgroup with a ``pids.max`` when one can be made (root, or
  a delegated cgroup), otherwise ``RLIMIT_NPROC`` (which Linux does not apply to root), so
  a fork loop is contained.
- **A supervisor** (``Supervisor``): the runner becomes a child subreaper and starts the
  cells in a process group of their own; at the time limit, at the end of the run, or when
  the build is interrupted, it kills that group, every descendant that left it, and the
  cgroup's members, then reaps them.

Where Landlock is missing (another OS, an old kernel, a container that blocks it), only the
runner's audit hook checks Python's own file functions; ``landlock_abi()`` returns 0 and
the build says so. Standard library only: this runs in the cell's child process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import secrets
import signal
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from site_builder.output import process_alive

# Landlock access rights for files (linux/landlock.h)
_WRITE_FILE = 1 << 1
_REMOVE_DIR = 1 << 4
_REMOVE_FILE = 1 << 5
_MAKE_CHAR = 1 << 6
_MAKE_DIR = 1 << 7
_MAKE_REG = 1 << 8
_MAKE_SOCK = 1 << 9
_MAKE_FIFO = 1 << 10
_MAKE_BLOCK = 1 << 11
_MAKE_SYM = 1 << 12
_REFER = 1 << 13  # ABI 2
_TRUNCATE = 1 << 14  # ABI 3
_IOCTL_DEV = 1 << 15  # ABI 5
_SCOPE_SIGNAL = 1 << 1  # ABI 6
_SYS_CREATE, _SYS_ADD_RULE, _SYS_RESTRICT = 444, 445, 446  # the same on every architecture
_PR_SET_NO_NEW_PRIVS, _PR_SET_CHILD_SUBREAPER, _PR_SET_PDEATHSIG = 38, 36, 1
# Files any program may write: writing to them changes nothing on disk.
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty")
MAX_PROCESSES = 256  # processes a cell may have at once (its own included)
CGROUP_PREFIX = "site-builder-"


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is not available (or turned off
    with SITE_BUILDER_NO_LANDLOCK=1, to test the fallback)."""
    libc = _libc()
    if libc is None or os.environ.get("SITE_BUILDER_NO_LANDLOCK") == "1":
        return 0
    version = libc.syscall(_SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def confine_writes(folders: list[str]) -> int:
    """Allow this process and all it starts to write only inside *folders* (and to the
    harmless DEVICES). Return the Landlock ABI used, or 0 when unavailable."""
    abi = landlock_abi()
    libc = _libc()
    if not abi or libc is None:
        return 0
    handled = (
        _WRITE_FILE
        | _REMOVE_DIR
        | _REMOVE_FILE
        | _MAKE_CHAR
        | _MAKE_DIR
        | _MAKE_REG
        | _MAKE_SOCK
        | _MAKE_FIFO
        | _MAKE_BLOCK
        | _MAKE_SYM
    )
    file_rights = _WRITE_FILE
    if abi >= 2:
        handled |= _REFER
    if abi >= 3:
        handled |= _TRUNCATE
        file_rights |= _TRUNCATE
    if abi >= 5:
        handled |= _IOCTL_DEV
        file_rights |= _IOCTL_DEV
    attr = _RulesetAttr(handled, 0, _SCOPE_SIGNAL if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(_SYS_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        return 0
    try:
        rules = [(f, handled) for f in folders] + [(d, file_rights) for d in DEVICES]
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                rule = _PathBeneath(rights, fd)
                if libc.syscall(_SYS_ADD_RULE, ruleset, 1, ctypes.byref(rule), 0) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"landlock_add_rule({path}): {os.strerror(err)}")
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return 0
        if libc.syscall(_SYS_RESTRICT, ruleset, 0) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


def die_with_parent(parent: int) -> None:
    """Get SIGTERM when the process that started this one ends (Linux), so a build that
    is killed outright does not leave its cells running; exit now if it is gone already."""
    libc = _libc()
    if libc is not None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        sys.exit(130)


def _cgroup_parent() -> Path | None:
    """A writable cgroup folder with the pids controller, under this process's own."""
    try:
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
        own = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in mounts:
        left, _, right = line.partition(" - ")
        fields, kind = left.split(), right.split()
        if len(fields) < 5 or len(kind) < 3:
            continue
        mount_point, fstype, options = fields[4], kind[0], kind[2]
        if fstype == "cgroup" and "pids" in options.split(","):
            wanted = [p for _, c, p in (x.split(":", 2) for x in own) if "pids" in c.split(",")]
        elif fstype == "cgroup2":
            controllers = Path(mount_point, "cgroup.controllers")
            with contextlib.suppress(OSError):
                if "pids" not in controllers.read_text().split():
                    continue
            wanted = [p for h, c, p in (x.split(":", 2) for x in own) if h == "0" and c == ""]
        else:
            continue
        if wanted:
            folder = Path(mount_point + wanted[0].rstrip("/"))
            if os.access(folder, os.W_OK):
                return folder
    return None


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, process group) of every process this one can see."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (command) "
        found[int(entry)] = (int(fields[1]), int(fields[2]))
    return found


def _members(cgroup: Path) -> list[int]:
    """The processes in a cgroup (none when it is gone)."""
    try:
        return [int(p) for p in (cgroup / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def _kill(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


class Supervisor:
    """Run a function in a child process in its own process group and process limit;
    end it at a deadline; leave no process behind."""

    def __init__(self) -> None:
        self.cgroup: Path | None = None
        self.stopping = False
        self.ended: dict[int, int] = {}

    def _make_cgroup(self) -> None:
        parent = _cgroup_parent()
        if parent is None:
            return
        for stale in parent.glob(CGROUP_PREFIX + "*"):  # left by a killed build
            owner = re.match(r"\d+", stale.name[len(CGROUP_PREFIX) :])
            if owner and not process_alive(int(owner[0])):
                self._empty(stale)
        folder = parent / f"{CGROUP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            folder.mkdir()
            (folder / "pids.max").write_text(str(MAX_PROCESSES))
            self.cgroup = folder
        except OSError:
            with contextlib.suppress(OSError):
                folder.rmdir()

    @staticmethod
    def _empty(folder: Path) -> None:
        for _ in range(200):
            pids = _members(folder)
            if not pids:
                break
            _kill(pids)
            time.sleep(0.005)
        with contextlib.suppress(OSError):
            folder.rmdir()

    def run(self, child: object, limit: float) -> int:
        """Fork; the child calls *child*() and exits with its return value. Return the
        child's exit status, or -1 when it passed *limit* seconds (it is then killed)."""
        if sys.platform.startswith("linux"):
            libc = _libc()
            if libc is not None:
                libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
            self._make_cgroup()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop)
        pid = os.fork()
        if pid == 0:  # the cells' process
            status = 70
            try:
                os.setpgid(0, 0)
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    signal.signal(sig, signal.SIG_DFL)
                self._enter_limit()
                libc = _libc()
                if libc is not None:  # die with the supervisor, however it ends
                    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                status = int(child())  # type: ignore[operator]
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        try:
            return self._wait(pid, limit)
        finally:
            self.stop_all(pid)

    def _enter_limit(self) -> None:
        if self.cgroup is not None:
            with contextlib.suppress(OSError):
                (self.cgroup / "cgroup.procs").write_text(str(os.getpid()))
                return
        import resource

        if os.getuid() != 0:  # RLIMIT_NPROC counts all of the user's processes
            mine = sum(1 for _ in _processes())
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NPROC, (mine + MAX_PROCESSES,) * 2)

    def _stop(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _wait(self, pid: int, limit: float) -> int:
        deadline = time.monotonic() + limit
        while True:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # collected by _reap below
                return self.ended.get(pid, 70)
            if done:
                return os.waitstatus_to_exitcode(status)
            if self.stopping:
                return -2
            if time.monotonic() > deadline:
                return -1
            self._reap()
            time.sleep(0.01)

    def _reap(self) -> None:
        """Collect descendants that ended after being handed to us (we are a subreaper),
        keeping each one's exit status: the cells' own process may be among them."""
        while True:
            try:
                done, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if not done:
                return
            self.ended[done] = os.waitstatus_to_exitcode(status)

    def stop_all(self, group: int) -> None:
        """Kill process group *group*, every descendant of this process and the cgroup's
        members, until none is left."""
        me = os.getpid()
        for _ in range(500):
            with contextlib.suppress(OSError):
                os.killpg(group, signal.SIGKILL)
            table = _processes()
            children: dict[int, list[int]] = {}
            for pid, (ppid, _) in table.items():
                children.setdefault(ppid, []).append(pid)
            doomed = {pid for pid, (_, pgid) in table.items() if pgid == group and pid != me}
            todo = list(children.get(me, []))
            while todo:
                pid = todo.pop()
                doomed.add(pid)
                todo.extend(children.get(pid, []))
            if self.cgroup is not None:
                doomed.update(_members(self.cgroup))
            doomed.discard(me)
            if not doomed:
                break
            _kill(doomed)
            time.sleep(0.002)
            self._reap()
        self._reap()
        if self.cgroup is not None:
            self._empty(self.cgroup)
