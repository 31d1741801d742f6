"""`realpolitik serve`: a local explorer in the browser (standard library HTTP server only).

Pages: GET / (the explorer), GET /assets/explorer.{js,css}. JSON API:
  GET  /api/cases                 built-in cases (and the one given with --case)
  GET  /api/case?name=NAME        a case's actors, decisions, outcomes and fitted weights
  POST /api/validate {text, filename}          {ok: true, case} or {ok: false, problems}
  POST /api/predict  {case | text, filename, weights: {ACTOR: {ideology, interest}}, n, seed}
       -> predicted choice probabilities per decision and the outcome distribution, each
          beside the baseline (fitted weights, same n and seed) with the difference and its
          Monte Carlo error, and each deciding actor's ideology and interest strengths
The server reads no file named by a request: cases come from the package, from --case, or
from the text the page sends. It binds to 127.0.0.1 by default and, when bound to a loopback
address, answers only requests addressed to a loopback host name (no DNS rebinding).

Every request is treated as hostile: a POST must be `application/json` (a browser cannot send
that cross-site without a CORS preflight, which this server never grants) with a
`Content-Length` of ASCII digits no larger than MAX_BODY; an `Origin` header, when present,
must be this server's own (`http://` + the Host the request was sent to), and a browser's
`Sec-Fetch-Site: cross-site` is refused. An uploaded case is read by the same safe YAML reader
as the CLI (no aliases, bounded depth and size). All work for a request (reading, fitting,
simulating) runs in a child process (`realpolitik.reports.worker`) with a memory limit; it is
killed after `seconds` or as soon as the client disconnects, and at most `workers` children run
at once. The HTTP API is described in `assets/explorer-openapi.json` (tested with schemathesis).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import select
import shlex
import socket
import sys
import threading
import traceback
from collections import OrderedDict
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from realpolitik.errors import InputError, RealpolitikError
from realpolitik.limits import MAX_SEED, check_weight
from realpolitik.reports.worker import WorkStopped, run_limited

MAX_BODY = 2_000_000
DEFAULT_N = 2000
MAX_N = 20_000
Z_MC = 2.576  # 99%: a difference beyond this many Monte Carlo standard errors is flagged
REQUEST_SECONDS = 60.0  # work for one request is stopped after this long
REQUEST_MEMORY = 1_000_000_000  # bytes one request's worker may add to its address space
MAX_WORKERS = 2  # requests whose work runs at once; the others wait (up to REQUEST_SECONDS)
READ_SECONDS = 30  # a client must send its request within this long
DIGITS = re.compile(r"[0-9]{1,12}")
ASSETS = {"explorer.js": "text/javascript", "explorer.css": "text/css"}
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass
class Loaded:
    key: str
    label: str  # how the CLI names it: a built-in name or the file name
    comp: Any
    weights: pd.DataFrame


@dataclass
class Simulated:
    """What an answer needs of a simulation: paths, choice and outcome frequencies."""

    n: int
    choices: pd.DataFrame
    outcomes: pd.DataFrame


class Explorer:
    """Cases the explorer has compiled and fitted, by key (built-in name or text digest).

    Compiling and fitting a case runs in a child process (see `realpolitik.reports.worker`)
    with the explorer's time and memory limits; the result is cached here."""

    def __init__(
        self,
        startup_case: str | None = None,
        cache_size: int = 16,
        baseline_cache_size: int = 32,
        seconds: float = REQUEST_SECONDS,
        memory: int = REQUEST_MEMORY,
        workers: int = MAX_WORKERS,
    ):
        from realpolitik.scenario.loader import builtin_names

        self.builtins = builtin_names()
        self.startup: str | None = None
        self.seconds = seconds
        self.memory = memory
        self._slots = threading.BoundedSemaphore(workers)
        self._cache: OrderedDict[str, Loaded] = OrderedDict()
        self._lock = threading.Lock()
        self._size = cache_size
        # the baseline (fitted weights) per (case key, n, seed): a request that moves a slider
        # simulates only the changed world; the case key is its name or its text's digest
        self._baselines: OrderedDict[tuple[str, int, int], Simulated] = OrderedDict()
        self._baseline_size = baseline_cache_size
        self._files: dict[str, tuple[str, str]] = {}  # startup file key -> (label, text)
        if startup_case:
            if startup_case in self.builtins:
                self.startup = startup_case
            else:
                from realpolitik.scenario.loader import parse, resolve

                origin, text = resolve(startup_case)
                parse(text, origin)  # fail at start, with the CLI's messages
                key = "file:" + Path(origin).name
                self._files[key] = (origin, text)
                self.startup = key

    def run(self, fn: Any, *args: Any, alive: Any = None) -> Any:
        """fn(*args) in a worker process under this explorer's limits."""
        if not self._slots.acquire(timeout=self.seconds):
            raise WorkStopped("request: the explorer is busy; try again", 503)
        try:
            return run_limited(
                fn, args, seconds=self.seconds, memory=self.memory, alive=alive or (lambda: True)
            )
        finally:
            self._slots.release()

    # -- cases --------------------------------------------------------------------------------
    def names(self) -> list[dict[str, Any]]:
        from realpolitik.scenario.loader import load

        out = []
        for key, (origin, text) in self._files.items():
            out.append({"name": key, "title": self._title(text, origin), "file": Path(origin).name})
        for name in self.builtins:
            try:
                title = load(name).case.title
            except RealpolitikError as exc:
                title = f"{name} (does not validate: {str(exc).splitlines()[0]})"
            out.append({"name": name, "title": title})
        return out

    @staticmethod
    def _title(text: str, origin: str) -> str:
        from realpolitik.scenario.loader import parse

        try:
            return parse(text, origin).title
        except RealpolitikError:
            return Path(origin).name

    def by_name(self, name: str, alive: Any = None) -> Loaded:
        if name in self._files:
            origin, text = self._files[name]
            return self.by_text(text, origin, alive)
        if name not in self.builtins:
            raise InputError(
                f"case: unknown case '{name}' (built-in cases: "
                f"{', '.join(self.builtins) or 'none'})"
            )
        return self._get(f"builtin:{name}", name, _load_builtin, (name,), alive)

    def by_text(self, text: str, filename: str = "<uploaded>", alive: Any = None) -> Loaded:
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError("text: expected Unicode text (it has an unpaired surrogate)") from None
        digest = hashlib.sha256(raw).hexdigest()
        loaded = self._get(f"text:{digest}", filename, _load_text, (text, filename), alive)
        # the same text under another name: answer with the name it was sent under this time
        return dataclasses.replace(loaded, label=filename) if loaded.label != filename else loaded

    def _get(self, key: str, label: str, make: Any, args: tuple[Any, ...], alive: Any) -> Loaded:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        loaded = self.run(make, key, label, *args, alive=alive)
        with self._lock:
            self._cache[key] = loaded
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return loaded

    # -- answers ------------------------------------------------------------------------------
    def summary(self, c: Loaded) -> dict[str, Any]:
        case = c.comp.case
        deciders = {d.actor for d in case.decisions}
        weights = {
            r["actor"]: {
                "ideology": float(r["ideology"]),
                "interest": float(r["interest"]),
                "source": r["source"],
            }
            for _, r in c.weights.iterrows()
        }
        return {
            "id": case.id,
            "label": c.label,
            "title": case.title,
            "summary": case.summary,
            "actors": [
                {
                    "id": a.id,
                    "name": a.name,
                    "decides": a.id in deciders,
                    "weights": weights.get(a.id),
                }
                for a in case.actors
            ],
            "decisions": [
                {
                    "id": d.id,
                    "date": d.date.isoformat(),
                    "actor": d.actor,
                    "question": d.question,
                    "chosen": d.chosen,
                    "options": [{"id": o.id, "label": o.label} for o in d.options],
                }
                for d in case.decisions
            ],
            "outcomes": [
                {"id": o.id, "label": o.label, "observed": o.observed} for o in case.outcomes
            ],
        }

    def predict(
        self, c: Loaded, weights: dict[str, Any], n: int, seed: int, alive: Any = None
    ) -> dict[str, Any]:
        key = (c.key, n, seed)
        with self._lock:
            base = self._baselines.get(key)
            if base is not None:
                self._baselines.move_to_end(key)
        answer, base = self.run(_predict, c, weights, n, seed, base, alive=alive)
        with self._lock:
            self._baselines[key] = base
            self._baselines.move_to_end(key)
            while len(self._baselines) > self._baseline_size:
                self._baselines.popitem(last=False)
        return answer


# ---- the work, run in a worker process ------------------------------------------------------


def _loaded(key: str, label: str, case: Any) -> Loaded:
    from realpolitik.estimation.api import as_compiled
    from realpolitik.simulation.api import fitted_weights

    comp = as_compiled(case)
    return Loaded(key, label, comp, fitted_weights(comp))


def _load_builtin(key: str, label: str, name: str) -> Loaded:
    from realpolitik.scenario.loader import load

    return _loaded(key, label, load(name).case)


def _load_text(key: str, label: str, text: str, filename: str) -> Loaded:
    from realpolitik.scenario.loader import parse

    return _loaded(key, label, parse(text, filename))


def _simulated(c: Loaded, weights: pd.DataFrame, n: int, seed: int) -> Simulated:
    from realpolitik.simulation.api import simulate

    res = simulate(c.comp, n=n, seed=seed, weights=weights, store=None)
    return Simulated(res.n, res.choices, res.outcomes)


def _predict(
    c: Loaded, weights: dict[str, Any], n: int, seed: int, base: Simulated | None = None
) -> tuple[dict[str, Any], Simulated]:
    """The answer to /api/predict, and the baseline it used (`base` when given: the fitted
    weights' simulation with this n and seed, which the explorer keeps)."""
    frame = c.weights.copy()
    changed: list[str] = []
    for actor, ws in (weights or {}).items():
        if actor not in c.comp.actor_ids:
            raise InputError(
                f"weights: unknown actor '{actor}' (actors: {', '.join(c.comp.actor_ids)})"
            )
        if not isinstance(ws, dict):
            raise InputError(f"weights.{actor}: expected {{ideology: NUMBER, interest: NUMBER}}")
        for term, value in ws.items():
            if term not in ("ideology", "interest"):
                raise InputError(
                    f"weights.{actor}: unknown term '{term}' (terms: ideology, interest)"
                )
            check_weight(value, f"weights.{actor}.{term}")
            row = frame["actor"] == actor
            if float(frame.loc[row, term].iloc[0]) != float(value):
                changed.append(f"{actor}.{term}={float(value)!r}")
                frame.loc[row, term] = float(value)
                frame.loc[row, "source"] = "set in the explorer"
    if base is None:
        base = _simulated(c, c.weights, n, seed)
    res = _simulated(c, frame, n, seed) if changed else base
    choices = res.choices
    base_choices = base.choices
    decisions = []
    for d in c.comp.case.decisions:
        sub = choices[choices["decision"] == d.id]
        p = dict(zip(sub["option"], sub["frequency"], strict=True))
        bsub = base_choices[base_choices["decision"] == d.id]
        pb = dict(zip(bsub["option"], bsub["frequency"], strict=True))
        decisions.append(
            {
                "id": d.id,
                "actor": d.actor,
                "date": d.date.isoformat(),
                "question": d.question,
                "options": [
                    {
                        "id": o.id,
                        "label": o.label,
                        "recorded": o.id == d.chosen,
                        "p": float(p.get(o.id, 0.0)),
                        "p_baseline": float(pb.get(o.id, 0.0)),
                    }
                    for o in d.options
                ],
            }
        )
    outcomes = []
    for (_, r), (_, b) in zip(res.outcomes.iterrows(), base.outcomes.iterrows(), strict=True):
        diff = float(r["frequency"]) - float(b["frequency"])
        se = math.sqrt(float(r["mc_se"]) ** 2 + float(b["mc_se"]) ** 2) if changed else 0.0
        outcomes.append(
            {
                "id": r["outcome"],
                "label": r["label"],
                "observed": bool(r["observed"]),
                "frequency": float(r["frequency"]),
                "mc_se": float(r["mc_se"]),
                "baseline": float(b["frequency"]),
                "baseline_se": float(b["mc_se"]),
                "difference": diff,
                "difference_se": se,
                "beyond_mc_error": bool(changed and abs(diff) > Z_MC * se),
            }
        )
    case_arg = shlex.quote(c.label)
    if changed:
        cmd = (
            f"realpolitik counterfactual {case_arg} "
            + " ".join(f"--weight {w}" for w in changed)
            + f" -n {n} --seed {seed}"
        )
    else:
        cmd = f"realpolitik simulate {case_arg} -n {n} --seed {seed}"
    answer = {
        "case": c.comp.case.id,
        "n": res.n,
        "seed": seed,
        "decisions": decisions,
        "outcomes": outcomes,
        "command": cmd,
        "weights": frame.to_dict("records"),
        "changed": changed,
        "z": Z_MC,
        "strengths": _strengths(c, frame),
    }
    return answer, base


def _strengths(c: Loaded, weights: pd.DataFrame) -> dict[str, Any]:
    """Per deciding actor, the ideology and interest strengths (docs/model.md) of the weights
    shown and of the fitted ones: what the verdict compares."""
    import numpy as np

    from realpolitik.estimation.data import choice_data
    from realpolitik.estimation.results import block_strength
    from realpolitik.model.specs import MODELS

    terms = MODELS["full"]
    data = choice_data(c.comp, "full")
    out: dict[str, Any] = {}
    for i, actor in enumerate(c.comp.actor_ids):
        mine = data.for_actor(i)
        if mine.n_groups == 0:
            continue
        row: dict[str, Any] = {}
        for label, frame in (("current", weights), ("fitted", c.weights)):
            w = frame[frame["actor"] == actor].iloc[0]
            vec = np.array([[float(w[t]) for t in terms]])
            ideo, inter = block_strength(vec, mine, terms)
            row[label] = {"ideology": float(ideo[0]), "interest": float(inter[0])}
        out[actor] = row
    return out


def _int(value: Any, name: str, default: int, lo: int, hi: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name}: expected a whole number, got {value!r}")
    if not lo <= value <= hi:
        raise InputError(f"{name}: expected {lo} to {hi}, got {value}")
    return value


class BadRequest(RealpolitikError):
    """A request refused before its body is read, with its HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Handler(BaseHTTPRequestHandler):
    server_version = "realpolitik-explorer"
    protocol_version = "HTTP/1.1"
    timeout = READ_SECONDS  # a client that stops sending mid-request is dropped

    @property
    def explorer(self) -> Explorer:
        return self.server.explorer  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base signature)
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    # -- plumbing -----------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", CSP)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client left: nothing to answer, no traceback

    def _json(self, obj: Any, status: int = 200) -> None:
        self._send(
            status,
            json.dumps(obj, allow_nan=False).encode("utf-8"),
            "application/json; charset=utf-8",
        )

    def _error(self, status: int, message: str, problems: list[str] | None = None) -> None:
        if self.command == "POST":
            self.close_connection = True  # the body may be unread: never parse it as a request
        self._json({"error": message, "problems": problems or [message]}, status)

    def _host_ok(self) -> bool:
        bound = self.server.server_address[0]  # type: ignore[index]
        if bound not in LOOPBACK and bound != "::1":
            return True
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
        return name in LOOPBACK

    def _origin_ok(self) -> bool:
        """A browser names the page that sent a request in Origin; it must be this server."""
        origins = self.headers.get_all("Origin") or []
        if len(origins) > 1:
            return False
        if not origins:
            return (self.headers.get("Sec-Fetch-Site") or "same-origin").strip().lower() in (
                "same-origin",
                "none",
            )
        host = (self.headers.get("Host") or "").strip().lower()
        return bool(host) and origins[0].strip().lower() == f"http://{host}"

    def _alive(self) -> bool:
        """Is the client still connected? (a closed socket reads as empty)"""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return True
            return bool(self.connection.recv(1, socket.MSG_PEEK))
        except (OSError, ValueError):
            return False

    def _body(self) -> dict[str, Any]:
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if ctype != "application/json":
            raise BadRequest(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"request: expected Content-Type application/json, got '{ctype or 'none'}'",
            )
        if self.headers.get("Transfer-Encoding"):
            raise BadRequest(
                HTTPStatus.LENGTH_REQUIRED, "request: send the body with a Content-Length"
            )
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            raise BadRequest(HTTPStatus.LENGTH_REQUIRED, "request: Content-Length is required")
        raw_length = lengths[0].strip()
        if len(lengths) > 1 or not DIGITS.fullmatch(raw_length):
            raise BadRequest(
                HTTPStatus.BAD_REQUEST,
                "request: Content-Length must be one non-negative whole number",
            )
        length = int(raw_length)
        if length > MAX_BODY:
            raise BadRequest(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"request: body larger than {MAX_BODY:,} bytes",
            )
        try:
            raw = self.rfile.read(length) if length else b"{}"
        except OSError:
            raise BadRequest(HTTPStatus.REQUEST_TIMEOUT, "request: body not received") from None
        if len(raw) < length:
            raise BadRequest(HTTPStatus.BAD_REQUEST, "request: body shorter than Content-Length")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"request: expected a JSON object ({exc})") from None
        except RecursionError:
            raise InputError("request: JSON nested too deeply") from None
        if not isinstance(data, dict):
            raise InputError("request: expected a JSON object")
        return data

    def _dispatch(self, routes: dict[str, Any]) -> None:
        if not self._host_ok():
            self._error(HTTPStatus.FORBIDDEN, "request: host not allowed (use localhost)")
            return
        if not self._origin_ok():
            self._error(HTTPStatus.FORBIDDEN, "request: cross-origin requests are not allowed")
            return
        url = urlsplit(self.path)
        route = routes.get(url.path)
        if route is None:
            self._error(HTTPStatus.NOT_FOUND, f"no such page: {url.path}")
            return
        try:
            route(url)
        except BadRequest as exc:
            self._error(exc.status, str(exc))
        except WorkStopped as exc:
            if exc.client_gone:
                self.close_connection = True
                return
            self._error(exc.status, str(exc))
        except InputError as exc:
            self._error(
                HTTPStatus.BAD_REQUEST,
                str(exc).splitlines()[0] if str(exc) else "bad input",
                [str(p).lstrip(": ") for p in exc.problems],
            )
        except RealpolitikError as exc:
            self._error(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc).splitlines()[0])
        except Exception as exc:  # noqa: BLE001 (one bad request must not stop the server)
            traceback.print_exc(file=sys.stderr)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {type(exc).__name__}")

    # -- routes -------------------------------------------------------------------------------
    def _routes(self) -> dict[str, dict[str, Any]]:
        get = {
            "/": self._page,
            "/index.html": self._page,
            "/api/cases": self._cases,
            "/api/case": self._case,
        }
        get.update({f"/assets/{name}": self._asset for name in ASSETS})
        return {
            "GET": get,
            "HEAD": get,
            "POST": {"/api/validate": self._validate, "/api/predict": self._predict},
        }

    def _route(self) -> None:
        routes = self._routes()
        mine = routes.get(self.command, {})
        path = urlsplit(self.path).path
        if path not in mine and any(path in r for r in routes.values()):
            allowed = ", ".join(m for m, r in routes.items() if path in r)
            self.close_connection = True
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header("Allow", allowed)
            body = json.dumps(
                {
                    "error": f"method {self.command} not allowed here (allowed: {allowed})",
                    "problems": [f"method {self.command} not allowed (allowed: {allowed})"],
                }
            ).encode()
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        self._dispatch(mine)

    do_GET = do_HEAD = do_POST = _route

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # any other method: 405 on a known path, 404 elsewhere
            return self._route
        raise AttributeError(name)

    def _page(self, url: Any) -> None:
        body = (
            resources.files("realpolitik") / "reports" / "assets" / "explorer.html"
        ).read_bytes()
        self._send(200, body, "text/html; charset=utf-8")

    def _asset(self, url: Any) -> None:
        name = url.path.rsplit("/", 1)[-1]
        body = (resources.files("realpolitik") / "reports" / "assets" / name).read_bytes()
        self._send(200, body, ASSETS[name] + "; charset=utf-8")

    def _cases(self, url: Any) -> None:
        self._json(
            {
                "cases": self.explorer.names(),
                "default": self.explorer.startup
                or (self.explorer.builtins[0] if self.explorer.builtins else None),
                "n": DEFAULT_N,
            }
        )

    def _case(self, url: Any) -> None:
        name = (parse_qs(url.query).get("name") or [""])[0]
        if not name:
            raise InputError("name: give a case name, e.g. /api/case?name=east-asia-1945")
        ex = self.explorer
        self._json(ex.summary(ex.by_name(name, self._alive)))

    def _validate(self, url: Any) -> None:
        data = self._body()
        text = _text(data, "text", MAX_BODY, required=True)
        filename = _filename(data)
        try:
            c = self.explorer.by_text(text, filename, self._alive)
        except WorkStopped:
            raise
        except InputError as exc:
            self._json({"ok": False, "problems": [str(p).lstrip(": ") for p in exc.problems]})
            return
        self._json({"ok": True, "case": self.explorer.summary(c)})

    def _predict(self, url: Any) -> None:
        data = self._body()
        ex = self.explorer
        # every field is checked before any work starts
        text = _text(data, "text", MAX_BODY)
        name = _text(data, "case", MAX_NAME)
        filename = _filename(data)
        n = _int(data.get("n"), "n", DEFAULT_N, 100, MAX_N)
        seed = _int(data.get("seed"), "seed", 0, 0, MAX_SEED)
        weights = data.get("weights") or {}
        shape = "weights: expected {ACTOR: {ideology: NUMBER, interest: NUMBER}}"
        if not isinstance(weights, dict) or not all(isinstance(w, dict) for w in weights.values()):
            raise InputError(shape)
        for actor, ws in weights.items():
            for term, value in ws.items():
                if term not in ("ideology", "interest"):
                    raise InputError(
                        f"weights.{actor}: unknown term '{term}' (terms: ideology, interest)"
                    )
                check_weight(value, f"weights.{actor}.{term}")
        if text is not None:
            c = ex.by_text(text, filename, self._alive)
        elif name is not None:
            c = ex.by_name(name, self._alive)
        else:
            raise InputError("case: give a case name (case) or the scenario text (text)")
        self._json(ex.predict(c, weights, n, seed, self._alive))


MAX_NAME = 200


def _text(data: dict[str, Any], key: str, limit: int, required: bool = False) -> Any:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        what = "the scenario file's text" if key == "text" else "text"
        raise InputError(f"{key}: expected {what}")
    if len(value) > limit:
        raise InputError(f"{key}: longer than {limit:,} characters")
    return value


def _filename(data: dict[str, Any]) -> str:
    name = _text(data, "filename", MAX_NAME)
    return Path(name).name or "<uploaded>" if name else "<uploaded>"


def exposure_warning(host: str) -> str | None:
    """What a non-loopback address gives away (None for a loopback address)."""
    if host in LOOPBACK:
        return None
    return (
        f"listening on {host}, not a loopback address: other machines can reach the explorer "
        "and run work on this one, and the Host-name check that stops DNS-rebinding attacks "
        "from web pages is off"
    )


def make_server(
    host: str = "127.0.0.1",
    port: int = 8765,
    case: str | None = None,
    verbose: bool = False,
    *,
    seconds: float = REQUEST_SECONDS,
    memory: int = REQUEST_MEMORY,
    workers: int = MAX_WORKERS,
) -> ThreadingHTTPServer:
    """A ready server (not yet serving); port 0 picks a free port (see `server_address`).
    `seconds` and `memory` bound each request's work, `workers` how many run at once."""
    explorer = Explorer(case, seconds=seconds, memory=memory, workers=workers)
    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:
        raise InputError(
            f"--port: cannot listen on {host}:{port} ({exc.strerror or exc})"
        ) from None
    server.daemon_threads = True
    server.explorer = explorer  # type: ignore[attr-defined]
    server.verbose = verbose  # type: ignore[attr-defined]
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in str(shown):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    case: str | None = None,
    verbose: bool = False,
    ready: Any = None,
    seconds: float = REQUEST_SECONDS,
) -> None:
    """Serve until interrupted; `ready(url)` is called once the server listens."""
    server = make_server(host, port, case, verbose, seconds=seconds)
    if ready is not None:
        ready(url_of(server))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
