"""Read untrusted YAML files and text without letting them exhaust the machine.

One reader for every YAML the tool accepts (case files, counterfactual files, explorer
uploads). The rules, also in docs/scenario-format.md ("Limits"):

- only regular files are read (no folders, named pipes, devices such as /dev/zero); a file is
  opened without blocking and checked with fstat before a byte is read;
- at most `max_bytes()` bytes (20 MB by default; `REALPOLITIK_MAX_FILE_MB` overrides it), read
  with a bound, so a file whose size is not what `stat` says (/proc) cannot grow the process;
- strict UTF-8;
- the parser's events are checked before any tree is built or any alias expanded: anchors
  (`&name`) and aliases (`*name`) are allowed, but what aliases add when expanded is counted
  and capped at ALIAS_BUDGET (100,000) values, since a few hundred bytes of nested aliases can
  stand for billions; an alias inside the value it names is refused;
- nesting at most MAX_DEPTH (100) levels, aliases included, and at most `max_nodes()` values
  in all (2,000,000 by default; `REALPOLITIK_MAX_YAML_NODES` overrides it);
- every failure, OS errors included, is an `InputError` of one line naming the file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent

from realpolitik.errors import InputError, Problem

DEFAULT_MAX_MB = 20
DEFAULT_MAX_NODES = 2_000_000
MAX_DEPTH = 100
ALIAS_BUDGET = 100_000  # values that aliases may add when expanded
SIZE_ENV = "REALPOLITIK_MAX_FILE_MB"
NODES_ENV = "REALPOLITIK_MAX_YAML_NODES"


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{name}: expected a positive number, got '{raw}'") from None
    if not value > 0 or value != value or value == float("inf"):
        raise InputError(f"{name}: expected a positive number, got '{raw}'")
    return value


def max_bytes() -> int:
    """The largest file read, in bytes (REALPOLITIK_MAX_FILE_MB megabytes, default 20)."""
    return int(_env_number(SIZE_ENV, DEFAULT_MAX_MB) * 1_000_000)


def max_nodes() -> int:
    """The most YAML nodes composed from one document (REALPOLITIK_MAX_YAML_NODES)."""
    return int(_env_number(NODES_ENV, DEFAULT_MAX_NODES))


def _os_reason(exc: OSError) -> str:
    return exc.strerror or errno.errorcode.get(exc.errno or 0, "") or type(exc).__name__


def read_text(path: str | Path, what: str = "scenario file") -> str:
    """The UTF-8 text of a regular file of at most `max_bytes()` bytes; else one InputError."""
    p = str(path)
    limit = max_bytes()
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputError(Problem(p, "", f"no such {what}")) from None
    except IsADirectoryError:
        raise InputError(Problem(p, "", f"is a folder; expected a {what} (.yaml)")) from None
    except OSError as exc:
        raise InputError(Problem(p, "", f"cannot open ({_os_reason(exc)})")) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(Problem(p, "", f"is a folder; expected a {what} (.yaml)"))
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                Problem(
                    p, "", f"is not a regular file (a pipe, socket or device); expected a {what}"
                )
            )
        if info.st_size > limit:
            raise InputError(Problem(p, "", _too_big(info.st_size, limit)))
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            block = os.read(fd, min(1 << 20, limit + 1 - got))
            if not block:
                break
            chunks.append(block)
            got += len(block)
        if got > limit:
            raise InputError(Problem(p, "", _too_big(got, limit, at_least=True)))
    except OSError as exc:
        raise InputError(Problem(p, "", f"cannot read ({_os_reason(exc)})")) from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(p, "", f"is not UTF-8 text (byte {exc.start}); expected a YAML {what}")
        ) from None


def _too_big(size: int, limit: int, at_least: bool = False) -> str:
    more = "more than " if at_least else ""
    return f"file is {more}{size:,} bytes; the limit is {limit:,} (set {SIZE_ENV} to raise it)"


_Base: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader  # libyaml when present


class _Loader(_Base):  # type: ignore[misc,valid-type]
    """The safe loader (libyaml's when installed) that keeps an impossible date (1945-02-30)
    as text for the schema to report."""


def _timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _refuse(message: str, event: Any) -> None:
    raise yaml.composer.ComposerError(None, None, message, event.start_mark)


def _check_events(text: str, budget: int) -> None:
    """Walk the parser's events (no tree is built, no alias expanded): count the values the
    document stands for with every alias expanded, and refuse it when aliases add more than
    ALIAS_BUDGET values, when it stands for more than `budget` values, when it nests deeper
    than MAX_DEPTH (aliases included), or when an alias refers to a value that contains it."""
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (values, collection levels)
    open_anchors: set[str] = set()
    stack: list[list[Any]] = []  # open collections: [values, levels, anchor]
    total = 0
    added = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, AliasEvent):
            name = event.anchor
            if name in open_anchors or name not in anchors:
                _refuse(f"alias *{name} refers to a value that contains it, or to none", event)
            size, levels = anchors[name]
            added += size
            total += size
            if added > ALIAS_BUDGET:
                _refuse(
                    f"aliases (*name) expand to more than {ALIAS_BUDGET:,} values; "
                    "write the values out in full",
                    event,
                )
            if len(stack) + levels > MAX_DEPTH:
                _refuse(f"nested more than {MAX_DEPTH} levels deep (with aliases)", event)
            if stack:
                stack[-1][0] += size
                stack[-1][1] = max(stack[-1][1], levels + 1)
        elif isinstance(event, CollectionStartEvent):
            total += 1
            stack.append([1, 1, event.anchor])
            if event.anchor is not None:
                open_anchors.add(event.anchor)
            if len(stack) > MAX_DEPTH:
                _refuse(f"nested more than {MAX_DEPTH} levels deep", event)
        elif isinstance(event, CollectionEndEvent):
            size, levels, anchor = stack.pop()
            if anchor is not None:
                anchors[anchor] = (size, levels)
                open_anchors.discard(anchor)
            if stack:
                stack[-1][0] += size
                stack[-1][1] = max(stack[-1][1], levels + 1)
        elif isinstance(event, NodeEvent):  # a scalar
            total += 1
            if event.anchor is not None:
                anchors[event.anchor] = (1, 0)
            if stack:
                stack[-1][0] += 1
        if total > budget:
            _refuse(f"more than {budget:,} values (set {NODES_ENV} to raise the limit)", event)


def load_yaml(text: str, origin: str) -> tuple[Any, yaml.Node | None]:
    """(data, node) of a single YAML document, or one InputError naming `origin` and the line."""
    limit = max_bytes()
    if len(text) > limit:
        raise InputError(Problem(origin, "", _too_big(len(text), limit)))
    budget = max_nodes()
    loader: Any = None
    try:
        _check_events(text, budget)  # before any tree is built or any alias expanded
        loader = _Loader(text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or (str(exc).splitlines() or ["error"])[0]
        raise InputError(Problem(origin, "", f"malformed YAML: {what}", line)) from None
    except RecursionError:  # cannot happen below MAX_DEPTH; kept as a last guard
        raise InputError(Problem(origin, "", "malformed YAML: nested too deeply")) from None
    except (ValueError, OverflowError, TypeError) as exc:  # a value the constructor rejects
        raise InputError(Problem(origin, "", f"malformed YAML value: {exc}")) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, node
