"""The dev server's warm runners: an edit runs only the Python it reaches.

``make build`` runs an article's Python from the start in a new process (cells.py, in a
box: sandbox.py), or reuses the cached run. In ``site-builder serve`` each article whose
Python had to run keeps a *warm runner*: a process tree holding the run's state at each
of its stops (runner.Stops), made by ``fork`` so each state is exactly the one a run from
the start reaches there:

- ``c0`` … ``cN``: after 0 … N cells (``c0`` is the runner's first process itself);
- ``tail``: after the outputs and their answers, with what each output gave and read.

On the next edit the server resumes from the latest stop the new program shares:

- **a cell changed**: from the stop before it, so the cells above it do not run; or, when
  the cells after it do not depend on it (``cells_to_rerun``), from the stop after every
  cell, running only the changed cell and the cells that read what it binds;
- **only outputs changed**: from ``tail``: only the outputs whose spec changed are
  computed and answered for, the others' results are kept;
- **only inline values, rows or inputs changed**: from the stop after every cell.

Each resumed run is a new process forked from that stop: the stop itself is left as it
was, for the edit after. Anything a stop cannot hold exactly sends the article back to a
run from the start in a new warm runner, as a build would: a bundle file other than the
pictures changed, a picture or folder the run read changed, the packages or the tool
changed, a cell wrote a file (a later stop's files would leak into an earlier one's
resumed run), or a cell started a thread (``fork`` copies only the thread that calls it).

The processes: the server starts ``python -m site_builder.warm CONTROL LIFELINE`` in the
scratch copy, with the same environment, box and process limit as a build's runner. It
prints a line saying where ``c0`` listens and becomes ``c0``. Each stop listens on a Unix
socket in CONTROL; the server connects to one and sends a request (a line of JSON: the
program, the time limit, the cells to run again); the stop forks a worker, which answers
on that connection with lines of JSON: ``pid``, ``progress``, ``checkpoint`` (a new stop),
``unsafe`` (a stop not made, and why), ``result``, ``answers`` and ``done``. The server
kills the worker's process group at the time limit. Every process holds the read end of
the LIFELINE pipe, whose write end only the server holds: when the server closes it or
ends, every stop exits.
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.runtime.program import CellCode, Program

log = logging.getLogger(__name__)

KEEP = 6  # articles kept warm at once (the most recently run)


# ---------------------------------------------------------------------------------------
# Which cells an edit reaches


@dataclass
class Effects:
    """What a cell's code does to the article's namespace, read from its syntax."""

    binds: set[str] = field(default_factory=set)  # names it (re)binds or deletes
    reads: set[str] = field(default_factory=set)  # names it reads, in functions too
    mutates: set[str] = field(default_factory=set)  # objects it may change in place
    opaque: bool = False  # uses globals(), exec, a star import...: cannot be told
    # names bound by an import statement at the top level (name -> the statement), and
    # names bound any other way: running an unchanged import again binds the same module
    imports: dict[str, str] = field(default_factory=dict)
    assigned: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)  # names bound to modules (import x)


# Names through which a cell can reach the namespace without naming what it reads.
OPAQUE = {"globals", "locals", "vars", "exec", "eval", "__import__", "importlib", "__main__"}
# State kept inside modules rather than in the namespace: cells naming one of these are
# taken to share it (their order matters), as if they all read and bound one name.
HIDDEN = {
    "random": "<random>",
    "rng": "<random>",
    "seed": "<random>",
    "plt": "<pyplot>",
    "pyplot": "<pyplot>",
    "matplotlib": "<pyplot>",
    "set_printoptions": "<options>",
    "set_option": "<options>",
    "rcParams": "<pyplot>",
    "environ": "<environ>",
    "chdir": "<cwd>",
}


def effects(code: str) -> Effects:
    """The Effects of a cell's *code*."""
    found = Effects()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        found.opaque = True
        return found
    modules: set[str] = set()

    def base(node: ast.AST) -> str | None:
        while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
            node = node.func if isinstance(node, ast.Call) else node.value
        return node.id if isinstance(node, ast.Name) else None

    def visit(node: ast.AST, top: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    found.opaque = True
                name = (alias.asname or alias.name).partition(".")[0]
                if top:
                    found.binds.add(name)
                    found.imports[name] = ast.dump(node)
                if isinstance(node, ast.Import):
                    modules.add(name)
                for part in alias.name.split("."):
                    if part in HIDDEN:
                        found.reads.add(HIDDEN[part])
                        found.binds.add(HIDDEN[part])
        elif isinstance(node, ast.Global | ast.Nonlocal):
            found.binds.update(node.names)
            found.assigned.update(node.names)
        elif isinstance(node, ast.Name):
            if node.id in OPAQUE:
                found.opaque = True
            if isinstance(node.ctx, ast.Load):
                found.reads.add(node.id)
            elif top:
                found.binds.add(node.id)
                found.assigned.add(node.id)
            if node.id in HIDDEN:
                found.reads.add(HIDDEN[node.id])
                found.binds.add(HIDDEN[node.id])
        elif isinstance(node, ast.Attribute) and node.attr in HIDDEN:
            found.reads.add(HIDDEN[node.attr])
            found.binds.add(HIDDEN[node.attr])
        if isinstance(node, ast.Attribute | ast.Subscript) and not isinstance(node.ctx, ast.Load):
            if target := base(node):
                found.mutates.add(target)
        elif isinstance(node, ast.AugAssign) and (target := base(node.target)):
            found.mutates.add(target)  # total += 1 reads total too; xs += [1] changes xs
            found.reads.add(target)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = base(node.func.value)
            if receiver:  # x.append(1), df.fillna(0, inplace=True): may change x
                found.mutates.add(receiver)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if top:
                found.binds.add(node.name)
                found.assigned.add(node.name)
            for child in ast.iter_child_nodes(node):
                visit(child, False)
            return
        inner = isinstance(
            node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
        )
        for child in ast.iter_child_nodes(node):
            visit(child, top and not inner)

    for statement in tree.body:
        visit(statement, True)
    # A module's own functions change no object of the article's (np.linspace(...)); what
    # they keep inside the module is HIDDEN's business.
    found.mutates -= modules
    found.modules = modules
    return found


def _same(a: CellCode, b: CellCode) -> bool:
    return (a.code, a.browser, a.export) == (b.code, b.browser, b.export)


def cells_to_rerun(old: list[CellCode], new: list[CellCode]) -> tuple[list[int], list[str]] | None:
    """When the state after every cell of *old* can become the state after every cell of
    *new* by running only some of them again: those cells' indexes, in order, and the
    names to remove first (those their old versions bound). None when it cannot be told
    that this equals running *new* from the start: then the run resumes before the first
    changed cell instead.

    A cell runs again when it changed, or reads, changes or binds a name that a cell
    running again binds or changes (before or after), which is how a function defined in
    one cell and called in another, or a list filled by several, is followed. It cannot be
    told when a cell uses globals(), exec, eval or a star import, or when a cell running
    again reads a name that a cell *not* running again binds or changes after it (it would
    see the later value)."""
    if len(old) != len(new):
        return None
    before = [effects(c.code) for c in old]
    after = [effects(c.code) for c in new]
    if any(e.opaque for e in before + after):
        return None
    changed = {i for i in range(len(new)) if not _same(old[i], new[i])}
    if not changed:
        return None
    modules = set().union(*(e.modules for e in before + after))
    for e in before + after:  # time.sleep(1) changes no object of the article's
        e.mutates -= modules

    def touches(i: int) -> set[str]:
        """What running cell i again changes: what either version binds or changes, but
        a module both versions import with the same statement (the same module again)."""
        b, a = before[i], after[i]
        same = {
            n
            for n, statement in a.imports.items()
            if b.imports.get(n) == statement and n not in a.assigned | b.assigned
        }
        return (b.binds | b.mutates | a.binds | a.mutates) - same

    rerun = set(changed)
    while True:
        touched = set().union(*(touches(i) for i in rerun))
        more = {
            j
            for j in range(len(new))
            if j not in rerun and (after[j].reads | after[j].binds | after[j].mutates) & touched
        }
        if not more:
            break
        rerun |= more
    for d in rerun:
        for j in range(d + 1, len(new)):
            if j not in rerun and after[d].reads & (after[j].binds | after[j].mutates):
                return None
    forget = set().union(*(before[i].binds for i in rerun))
    return sorted(rerun), sorted(n for n in forget if not n.startswith("<"))


# ---------------------------------------------------------------------------------------
# The server's side


def _cell_key(cell: CellCode) -> str:
    return json.dumps([cell.code, cell.browser, cell.export])


def _rest_key(program: Program) -> str:
    """What a tail stop holds besides the outputs: all of the program but them, placeless."""
    from site_builder.cells import _without_places

    data = program.to_json()
    del data["outputs"]
    return json.dumps(_without_places(data), sort_keys=True)


@dataclass
class Stop:
    """A process waiting at a stop: where it listens, and the state it holds."""

    socket: str
    pid: int
    prefix: list[str]  # the cells run to reach it (_cell_key)
    rest: str = ""  # for the tail: _rest_key of its program


@dataclass
class Ran:
    """How a warm run went: the runner's exit code, the end of its stderr, its last
    progress, result and answers (JSON text), and what it ran."""

    code: int
    stderr: str = ""
    progress: str = ""
    result: str | None = None
    answers: str | None = None
    cells: list[int] = field(default_factory=list)
    outputs: int = 0
    how: str = ""  # where it resumed, in words
    wrote: str = ""


class Warm:
    """One article's warm runner (see the module docstring), seen from the server."""

    def __init__(self, bundle: Path | None, env_of: Any, base: Any) -> None:
        from site_builder.cells import scratch_copy

        self.base = base  # what the runner's state rests on besides the program
        self.bundle = bundle
        self.tmp = Path(tempfile.mkdtemp(prefix="site-builder-warm-"))
        self.work, private, self.control = self.tmp / "work", self.tmp / "tmp", self.tmp / "ctl"
        scratch_copy(bundle, self.work)
        private.mkdir()
        self.control.mkdir()
        self.stderr = (self.tmp / "stderr").open("w+b")
        reading, self.lifeline = os.pipe()
        args = [sys.executable, "-m", "site_builder.warm", str(self.control), str(reading)]
        self.proc = subprocess.Popen(
            [*args, str(bundle or "")],
            cwd=self.work,
            env=env_of(private),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            pass_fds=(reading,),
            start_new_session=True,
        )
        os.close(reading)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        self.proc.stdout.close()
        self.stops: dict[str, Stop] = {}
        self.tail: Stop | None = None
        self.last: Program | None = None  # the program of the last run that succeeded
        self.read: dict[str, str] = {}  # what that run read (RunResult.read)
        self.stale = ""  # why this runner cannot be resumed any more
        self.replaced = ""  # why the runner before it could not be resumed
        self.saved: dict[str, Any] | None = None  # the last run's outputs (Run.saved_records)
        self.cgroup = ""
        try:
            ready = json.loads(line)
            self.stops["c0"] = Stop(ready["socket"], self.proc.pid, [])
            self.cgroup = ready["cgroup"]
        except (ValueError, KeyError):
            self.stale = "its runner did not start"

    def sync(self) -> None:
        """Bring the pictures and the article's Markdown into the scratch copy: they are
        not part of the key a warm runner rests on (the pictures a run read are checked
        before it is resumed: Pool.run)."""
        from site_builder.runner import MEDIA

        if self.bundle is None:
            return
        wanted = {
            p.relative_to(self.bundle): p
            for p in self.bundle.rglob("*")
            if p.is_file() and (p.suffix.lower() in MEDIA or p.suffix.lower() == ".md")
        }
        for rel, source in wanted.items():
            target = self.work / rel
            if not target.is_file() or target.read_bytes() != source.read_bytes():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
        for target in list(self.work.rglob("*")):
            rel = target.relative_to(self.work)
            if target.is_file() and target.suffix.lower() in MEDIA and rel not in wanted:
                target.unlink()

    def plan(self, program: Program) -> tuple[Stop, dict[str, Any], str]:
        """The stop to resume *program* from, what to ask of it, and how, in words."""
        keys = [_cell_key(c) for c in program.cells]
        n, last = len(keys), self.last
        best = max(
            (s for s in self.stops.values() if s.prefix == keys[: len(s.prefix)]),
            key=lambda s: len(s.prefix),
        )
        if best.prefix == keys and last is not None:
            tail = self.tail
            if tail is not None and tail.rest == _rest_key(program):
                return tail, {}, "from its outputs: no cell ran"
            return best, {}, "from after its cells: no cell ran"
        full = self.stops.get(f"c{n}")
        if (
            last is not None
            and full is not None
            and full.prefix == [_cell_key(c) for c in last.cells]
        ):
            found = cells_to_rerun(last.cells, program.cells)
            if found and len(found[0]) < n - len(best.prefix):
                rerun, forget = found
                return full, {"rerun": rerun, "forget": forget}, "only the cells it reaches"
        return best, {}, f"from after cell {len(best.prefix)}" if best.prefix else "from the start"

    def run(self, program: Program, limit: float) -> Ran:
        """Run *program*, resuming where plan() says; stop it at *limit* seconds."""
        if "c0" not in self.stops:
            self.stderr.seek(0)
            return Ran(code=1, stderr=self.stderr.read()[-4000:].decode("utf-8", "replace"))
        stop, ask, how = self.plan(program)
        keys = [_cell_key(c) for c in program.cells]
        request = {"program": program.to_json(), "limit": limit, "saved": self.saved, **ask}
        ran = Ran(code=1, how=how)
        err_start = self.stderr.seek(0, os.SEEK_END)
        worker = 0
        deadline = time.monotonic() + limit
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            try:
                conn.connect(stop.socket)
                conn.sendall((json.dumps(request) + "\n").encode())
                lines = conn.makefile("rb")
                while True:
                    conn.settimeout(max(deadline - time.monotonic(), 0.001))
                    line = lines.readline()
                    if not line:
                        break  # the worker ended without saying it was done
                    message = json.loads(line)
                    if "checkpoint" in message:
                        self._keep(message, keys, program)
                    elif "pid" in message:
                        worker = message["pid"]
                    elif "progress" in message:
                        ran.progress = message["progress"].split()[-1]
                    elif "unsafe" in message:
                        log.debug("no stop at %s: %s", message["at"], message["unsafe"])
                    elif "result" in message:
                        ran.result = json.dumps(message["result"])
                    elif "answers" in message:
                        ran.answers = json.dumps(message["answers"])
                    elif "done" in message:
                        done = message["done"]
                        ran.code, ran.cells, ran.outputs = 0, done["cells"], done["outputs"]
                        ran.wrote = done["wrote"]
                        if message.get("saved"):
                            self.saved = message["saved"]
                        break
            except TimeoutError:
                from site_builder.runner import TIME_LIMIT_EXIT

                ran.code = TIME_LIMIT_EXIT
            except OSError as exc:
                self.stale = f"its runner stopped answering ({exc})"
        if worker:  # the worker, and whatever its cells left running in its group
            with contextlib.suppress(OSError):
                os.killpg(worker, signal.SIGKILL)
        self.stderr.seek(err_start)
        ran.stderr = self.stderr.read()[-4000:].decode("utf-8", "replace")
        if ran.wrote:
            self.stale = f"a cell wrote {ran.wrote}"
        if ran.code == 0 and ran.result and '"error": null' in ran.result:
            self.last = program
        return ran

    def _keep(self, message: dict[str, Any], keys: list[str], program: Program) -> None:
        """A new stop; the one it replaces ends."""
        name = message["checkpoint"]
        if name == "tail":
            new = Stop(message["socket"], message["pid"], keys, _rest_key(program))
            old, self.tail = self.tail, new
        else:
            new = Stop(message["socket"], message["pid"], keys[: int(name[1:])])
            old, self.stops[name] = self.stops.get(name), new
        if old is not None and old.pid != self.proc.pid:
            with contextlib.suppress(OSError):
                os.kill(old.pid, signal.SIGKILL)

    def close(self) -> None:
        """End every process of this runner and remove its folder."""
        from site_builder.sandbox import Supervisor

        with contextlib.suppress(OSError):
            os.close(self.lifeline)  # every stop exits
        pids = [s.pid for s in self.stops.values()] + ([self.tail.pid] if self.tail else [])
        for pid in pids:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait()
        if self.cgroup:  # what the cells started and left, wherever it went
            Supervisor._empty(Path(self.cgroup))
        self.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Pool:
    """The warm runners of the dev server, by article: the KEEP most recently run."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.warm: OrderedDict[str, Warm] = OrderedDict()
        self.lock = threading.Lock()
        self.free = threading.Condition(self.lock)
        self.busy: set[str] = set()  # articles whose runner a thread has taken

    def has(self, slug: str) -> bool:
        with self.lock:
            return slug in self.warm or slug in self.busy

    def take(self, slug: str, bundle: Path | None, base: Any, env_of: Any) -> Warm:
        """The article's warm runner, a new one when its state no longer holds; it is
        this thread's until give_back (another thread taking it waits)."""
        from site_builder.runner import read_digest

        with self.free:
            while slug in self.busy:
                self.free.wait()
            self.busy.add(slug)
            warm = self.warm.pop(slug, None)
        why = ""
        if warm is not None:
            where = bundle or warm.work
            changed = [n for n, d in warm.read.items() if read_digest(where, n) != d]
            why = warm.stale or ("what it rests on changed" if warm.base != base or changed else "")
            if why:
                log.debug("a new warm runner for %s: %s", slug, why)
                warm.close()
                warm = None
        if warm is None:
            try:
                warm = Warm(bundle, env_of, base)
            except BaseException:
                self.give_back(slug, None)
                raise
            warm.replaced = why
        return warm

    def give_back(self, slug: str, warm: Warm | None) -> None:
        """The runner taken for *slug* is free again: the most recently used; beyond KEEP,
        the least recently used idle runners end."""
        with self.free:
            self.busy.discard(slug)
            if warm is not None:
                self.warm[slug] = warm
            idle = [s for s in self.warm if s not in self.busy]
            while len(self.warm) > self.keep and idle:
                self.warm.pop(idle.pop(0)).close()
            self.free.notify_all()

    def close(self) -> None:
        with self.lock:
            while self.warm:
                self.warm.popitem()[1].close()


# ---------------------------------------------------------------------------------------
# The warm runner's processes (this module run as a program, in the box)


class Checkpoints:
    """runner.Stops for a warm runner: a process waits at each stop (see the docstring)."""

    def __init__(self, control: str, lifeline: int) -> None:
        self.control, self.lifeline = control, lifeline
        self.conn: socket.socket | None = None  # the worker's connection to the server
        self.root = True  # the runner's first process: c0 itself, not a fork of it
        self.wrote = ""  # a file a cell wrote (then no stop is made from here on)
        self.started = 0.0
        self.limit = 0.0
        self.cells: list[int] = []  # the cells this worker ran
        self.serial = 0
        self.cgroup = ""  # the process limit's cgroup, when one was made
        self.saved: dict[str, Any] | None = None  # the last run's outputs (Run.keep)

    def send(self, message: dict[str, Any]) -> None:
        if self.conn is not None:
            self.conn.sendall((json.dumps(message, default=str) + "\n").encode())

    def mark(self, text: str) -> None:
        if text.startswith("cell "):
            self.cells.append(int(text.split()[-1]))
        self.send({"progress": text})

    def after_cells(self, count: int) -> Any:
        return self._stop(f"c{count}")

    def after_outputs(self) -> Any:
        return self._stop("tail")

    def _listen(self, name: str) -> socket.socket:
        self.serial += 1
        path = os.path.join(self.control, f"{name}-{os.getpid()}-{self.serial}.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(4)
        return listener

    def _stop(self, name: str) -> Any:
        if self.root:  # the first process: say where c0 listens, then be it
            self.root = False
            listener = self._listen(name)
            ready = {"socket": listener.getsockname(), "cgroup": self.cgroup}
            print(json.dumps(ready), flush=True)
            with open(os.devnull, "w") as null:  # nothing else goes to the server's pipe
                os.dup2(null.fileno(), 1)
            return self._serve(listener)
        why = (
            f"a cell wrote {self.wrote}"
            if self.wrote
            else "a cell started a thread"
            if threading.active_count() > 1
            else ""
        )
        if why:
            self.send({"unsafe": why, "at": name})
            return None
        listener = self._listen(name)
        pid = os.fork()
        if pid:
            where = listener.getsockname()
            listener.close()
            with contextlib.suppress(OSError):
                os.setpgid(pid, pid)  # not in the worker's group: it outlives the worker
            self.send({"checkpoint": name, "pid": pid, "socket": where})
            return None
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        return self._serve(listener)

    def _serve(self, listener: socket.socket) -> Any:
        """Wait for requests; fork a worker for each, which returns the Resume."""
        from site_builder.runner import Resume

        while True:
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass  # workers that ended, and stops handed to us (a subreaper)
            ready = select.select([listener.fileno(), self.lifeline], [], [], 1.0)[0]
            if self.lifeline in ready:
                os._exit(0)
            if listener.fileno() not in ready:
                continue
            conn, _ = listener.accept()
            line = conn.makefile("rb").readline()
            try:
                request = json.loads(line)
            except ValueError:
                conn.close()
                continue
            pid = os.fork()
            if pid:
                conn.close()
                continue
            listener.close()
            with contextlib.suppress(OSError):
                os.setpgid(0, 0)
            self.conn, self.started, self.limit = conn, time.monotonic(), request["limit"]
            self.cells = []
            self.saved = request.get("saved")
            self.send({"pid": os.getpid()})
            program = Program.from_json(request["program"])
            return Resume(program, request.get("rerun"), request.get("forget", []))


def main() -> None:
    """``python -m site_builder.warm CONTROL LIFELINE BUNDLE``: a warm runner's first
    process (BUNDLE: the article's folder, whose modules the cells import; "" for none)."""
    from site_builder import runner
    from site_builder.sandbox import _PR_SET_CHILD_SUBREAPER, Supervisor, _libc, confine_writes

    control, lifeline, bundle = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    folders = [os.getcwd(), os.environ["TMPDIR"]]
    packages = json.loads(os.environ.get("SITE_BUILDER_PACKAGES") or "{}")
    sys.path[1:1] = packages.get("paths", [])
    if bundle:
        sys.path.insert(0, bundle)
    libc = _libc()
    if libc is not None:  # stops whose worker ended are handed to this process to reap
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    supervisor = Supervisor()
    supervisor._make_cgroup()
    supervisor._enter_limit()
    box = confine_writes([*folders, control])
    stops = Checkpoints(control, lifeline)
    stops.cgroup = str(supervisor.cgroup or "")
    caches = tuple(
        os.path.realpath(os.environ[k])
        for k in ("MPLCONFIGDIR", "XDG_CACHE_HOME")
        if k in os.environ
    )
    inside = tuple(os.path.realpath(f) for f in folders)

    def record_writes(event: str, args: tuple[Any, ...]) -> None:
        for path in runner.written(event, args):
            if (
                not isinstance(path, int)
                and runner.within(path, inside)
                and not runner.within(path, caches)
                and not str(path).startswith("/dev/")
            ):
                stops.wrote = stops.wrote or os.path.relpath(os.fsdecode(path))

    runner._guard_writes(folders)
    sys.addaudithook(record_writes)
    run = runner.Run(None, stops)  # type: ignore[arg-type]  # the program comes at c0
    # What follows runs in a worker (forked from a stop, with its request's program).
    ok = run.cells_and_values()
    if ok:
        run.keep(stops.saved)  # the outputs of the last run, if computed from this state
    while True:
        if ok:
            run.outputs()
        result = run.result
        result.box = box
        stops.send({"result": result.to_json()})
        program = run.program
        if ok and program.answers and not result.error:
            stops.mark("answers")
            left = stops.limit - (time.monotonic() - stops.started)
            run.answer_ahead(runner.answer_seconds(program, left))
            stops.send({"answers": result.answers})
        if not ok:
            break
        resume = stops.after_outputs()
        if resume is None:
            break
        run.program = resume.program  # only its outputs differ
    done = {"cells": stops.cells, "outputs": run.measured, "wrote": stops.wrote}
    stops.send({"done": done, "saved": run.saved_records() if ok else None})
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
