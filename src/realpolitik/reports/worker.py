"""Run one request's work in a child process that can be stopped.

A thread cannot be stopped from outside, so the explorer hands each request's work (reading an
uploaded case, fitting it, simulating it) to a child process with a memory limit, and kills the
child when the time limit passes or when the client goes away. Children come from a fork
server that has already imported the model, so starting one costs milliseconds, and they never
inherit the server's threads or sockets.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from realpolitik.errors import InputError, Problem, RealpolitikError

PRELOAD = ["realpolitik.reports.worker", "realpolitik.estimation.api", "realpolitik.simulation.api"]
_context: Any = None


class WorkStopped(RealpolitikError):
    """A request's work was stopped: out of time, out of memory, or its client left."""

    def __init__(self, message: str, status: int, client_gone: bool = False):
        super().__init__(message)
        self.status = status
        self.client_gone = client_gone


def context() -> Any:
    global _context
    if _context is None:
        if "forkserver" in mp.get_all_start_methods():
            _context = mp.get_context("forkserver")
            _context.set_forkserver_preload(PRELOAD)
        else:  # pragma: no cover - Windows
            _context = mp.get_context("spawn")
    return _context


def _virtual_size() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(extra: int | None) -> None:
    """Let this process map at most `extra` more bytes than it has now (Linux; else nothing)."""
    if not extra:
        return
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    now = _virtual_size()
    if now:
        limit = now + extra
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...], memory: int) -> None:
    try:
        _limit_memory(memory)
        out: tuple[str, Any] = ("ok", fn(*args))
    except InputError as exc:
        out = ("input", [str(p).lstrip(": ") for p in exc.problems])
    except RealpolitikError as exc:
        out = ("error", (str(exc).splitlines() or [type(exc).__name__])[0])
    except MemoryError:
        out = ("memory", "")
    except RecursionError:
        out = ("input", ["input nested too deeply"])
    except Exception as exc:  # noqa: BLE001 (reported to the server as an internal error)
        traceback.print_exc(file=sys.stderr)
        out = ("internal", type(exc).__name__)
    try:
        conn.send(out)
    except MemoryError:
        conn.send(("memory", ""))
    conn.close()


def run_limited(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    seconds: float,
    memory: int,
    alive: Callable[[], bool] = lambda: True,
    poll: float = 0.05,
) -> Any:
    """fn(*args) in a child process: its result, or the error it raised (InputError,
    RealpolitikError); WorkStopped when it runs past `seconds`, needs more than `memory` bytes,
    or `alive()` turns false. The child is killed in every case but success."""
    ctx = context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args, memory), daemon=True)
    proc.start()
    send.close()
    deadline = time.monotonic() + seconds
    try:
        while True:
            ready = wait([recv, proc.sentinel], timeout=poll)
            if recv in ready:
                try:
                    status, value = recv.recv()
                except (EOFError, OSError):
                    status, value = "died", None
                break
            if proc.sentinel in ready:
                status, value = "died", None
                break
            if not alive():
                raise WorkStopped("request: the client went away; work stopped", 499, True)
            if time.monotonic() > deadline:
                raise WorkStopped(f"request: took longer than {seconds:g} s; work stopped", 503)
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        recv.close()
    if status == "ok":
        return value
    if status == "input":
        raise InputError([Problem("", "", line) for line in value])
    if status == "error":
        raise RealpolitikError(value)
    if status == "memory" or status == "died":
        raise WorkStopped(
            f"request: needed more than {memory / 1e6:,.0f} MB of memory; work stopped", 413
        )
    raise WorkStopped(f"internal error: {value}", 500)
