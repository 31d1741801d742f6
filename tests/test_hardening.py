"""Issue 11: every hostile input gives one line of error and exit status 2, fast and small.

Each reproducer runs the real CLI in a child process under a 1 GB address-space limit and a
timeout, and its time and peak memory are measured (psutil); the fuzz test feeds the YAML
reader random documents with aliases, deep nesting and arbitrary bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realpolitik.errors import InputError
from realpolitik.scenario.loader import parse, template_text
from realpolitik.scenario.safe_yaml import ALIAS_BUDGET, MAX_DEPTH, load_yaml, read_text
from realpolitik.simulation.chunked import ChunkPlan

SECONDS = 5.0  # the bound; the child's own start-up (imports) is measured separately
MEMORY = 300_000_000
LIMIT_AS = 2_000_000_000  # a runaway child is stopped by the kernel, not by the machine


def alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def _limit() -> None:  # runs in the child before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))


def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, float, int]:
    """(exit status, stderr, seconds, peak RSS bytes) of `realpolitik ARGS` in a child."""
    code = "from realpolitik.cli import main; main()"
    full_env = {**os.environ, **(env or {})}
    start = time.monotonic()
    proc = psutil.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=full_env,
        preexec_fn=_limit,
    )
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        if time.monotonic() - start > 60:
            proc.kill()
            break
        time.sleep(0.02)
    _, err = proc.communicate()
    return proc.returncode, err.decode("utf-8", "replace"), time.monotonic() - start, peak


@pytest.fixture(scope="module")
def startup() -> float:
    """Seconds the CLI's imports take (the command modules and the model stack): subtracted
    before comparing with SECONDS, so that a loaded test machine does not fail a bound meant
    for the work itself (the raw times are in the issue 11 report)."""
    best = np.inf
    for _ in range(2):
        t = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import realpolitik.commands.simulate, realpolitik.simulation.api",
            ],
            check=True,
            capture_output=True,
        )
        best = min(best, time.monotonic() - t)
    return float(best)


def one_line_exit_2(result: tuple[int, str, float, int], startup: float, expect: str) -> None:
    code, err, seconds, peak = result
    lines = [x for x in err.splitlines() if x.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert expect in lines[0], lines[0]
    assert seconds - startup < SECONDS, (seconds, startup)
    assert peak < MEMORY, peak


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hostile")
    out = {}
    out["bomb"] = d / "bomb.yaml"
    out["bomb"].write_text(alias_bomb(10) + "id: bomb\n")
    out["cfbomb"] = d / "cf.yaml"
    out["cfbomb"].write_text(alias_bomb(10) + "name: *a9\n")
    out["deep"] = d / "deep.yaml"
    out["deep"].write_text("name: " + "[" * 50_000 + "]" * 50_000 + "\n")
    out["fifo"] = d / "pipe.yaml"
    os.mkfifo(out["fifo"])
    out["unreadable"] = d / "secret.yaml"
    out["unreadable"].write_text(template_text())
    out["unreadable"].chmod(0)
    out["manifest_list"] = d / "data-list"
    out["manifest_list"].mkdir()
    (out["manifest_list"] / "manifest.json").write_text("[1, 2]")
    out["manifest_empty"] = d / "data-empty"
    out["manifest_empty"].mkdir()
    (out["manifest_empty"] / "manifest.json").write_text('{"datasets": []}')
    out["badstore"] = d / "bad.duckdb"
    import duckdb

    con = duckdb.connect(str(out["badstore"]))
    con.execute("CREATE TABLE runs (a INTEGER)")
    con.close()
    return out


CASES = {
    "alias bomb (case validate)": (["case", "validate", "{bomb}"], "aliases"),
    "alias bomb in a counterfactual name": (
        ["counterfactual", "--file", "{cfbomb}", "--no-store", "-n", "100"],
        "aliases",
    ),
    "50,000-deep nesting (counterfactual)": (
        ["counterfactual", "--file", "{deep}", "--no-store", "-n", "100"],
        "nest",
    ),
    "named pipe": (["case", "validate", "{fifo}"], "not a regular file"),
    "/dev/zero": (["case", "validate", "/dev/zero"], "not a regular file"),
    "/proc/self/mem": (["case", "validate", "/proc/self/mem"], "cannot read"),
    "simulate -n 1e14": (["simulate", "-n", "100000000000000", "--no-store"], "-n:"),
    "simulate --seed -1": (["simulate", "--seed", "-1"], "--seed:"),
    "counterfactual --seed -1": (["counterfactual", "--seed", "-1"], "--seed:"),
    "sensitivity --seed -1": (["sensitivity", "--seed", "-1"], "--seed:"),
    "--scheduler bogus://x": (["simulate", "--scheduler", "bogus://x"], "--scheduler:"),
    "store with foreign tables": (["simulate", "--store", "{badstore}", "-n", "100"], "runs"),
    "unknown option": (["simulate", "--bogus"], "No such option"),
    "sensitivity --samples 3": (["sensitivity", "--samples", "3"], "power of two"),
    "fit --steps 0": (["fit", "--steps", "0"], "--steps:"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reproducer_gives_one_line_exit_2(
    name: str, files: dict[str, Path], startup: float
) -> None:
    args, expect = CASES[name]
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    one_line_exit_2(run_cli(*argv), startup, expect)


def test_unreadable_file(
    files: dict[str, Path], startup: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() != 0:
        one_line_exit_2(run_cli("case", "validate", str(files["unreadable"])), startup, "cannot")
    # as root (CI) a mode-000 file is readable: make opening fail the way it does for a user
    import realpolitik.scenario.safe_yaml as reader

    def denied(*args: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(reader.os, "open", denied)
    with pytest.raises(InputError, match=r"secret\.yaml: cannot open \(Permission denied\)"):
        read_text(files["unreadable"])


@pytest.mark.parametrize(
    ("key", "expect"), [("manifest_list", "got list"), ("manifest_empty", "datasets")]
)
def test_broken_manifest_refused_before_anything_is_written(
    key: str, expect: str, files: dict[str, Path], startup: float
) -> None:
    folder = files[key]
    env = {"REALPOLITIK_DATA_DIR": str(folder)}
    one_line_exit_2(run_cli("data", "list", env=env), startup, expect)
    before = sorted(p.name for p in folder.iterdir())
    code, err, _, _ = run_cli("data", "import", str(folder), env=env)
    assert code == 2 and expect in err
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written


def test_size_cap_is_documented_and_overridable(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 2_000_000 + "\n")
    os.environ["REALPOLITIK_MAX_FILE_MB"] = "1"
    try:
        with pytest.raises(InputError, match="the limit is 1,000,000 .*REALPOLITIK_MAX_FILE_MB"):
            read_text(big)
    finally:
        del os.environ["REALPOLITIK_MAX_FILE_MB"]
    assert read_text(big).startswith("# x")


def test_plans_are_lazy() -> None:
    plan = ChunkPlan(10**14, 20_000)
    assert len(plan) == 5 * 10**9
    assert plan[-1] == (5 * 10**9 - 1, 10**14 - 20_000, 20_000)
    assert list(ChunkPlan(45, 20)) == [(0, 0, 20), (1, 20, 20), (2, 40, 5)]


# ---- the run store -----------------------------------------------------------------------


def test_corrupt_chunk_is_recomputed_and_other_runs_are_kept(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    from realpolitik.scenario.loader import parse as parse_case
    from realpolitik.simulation.api import simulate

    comp = parse_case(template_text())
    store = tmp_path / "runs.duckdb"
    a = simulate(comp, n=400, seed=1, store=store, chunk_rows=100)
    b = simulate(comp, n=300, seed=2, store=store, chunk_rows=100)
    con = duckdb.connect(str(store))
    payload = con.execute(
        "SELECT payload FROM chunks WHERE run_key = ? AND chunk = 2", [a.run_key]
    ).fetchone()[0]
    con.execute(
        "UPDATE chunks SET payload = ? WHERE run_key = ? AND chunk = 2",
        [bytes(payload)[:60], a.run_key],
    )
    con.execute(
        "UPDATE chunks SET payload = ? WHERE run_key = ? AND chunk = 0",
        [bytes(payload)[:-1] + b"x", a.run_key],
    )
    con.close()
    capfd.readouterr()
    again = simulate(comp, n=400, seed=1, store=store, chunk_rows=100)
    err = capfd.readouterr().err
    assert "2 stored chunk(s) would not unpack" in err and len(err.strip().splitlines()) == 1
    assert again.outcomes.equals(a.outcomes) and not again.reused
    assert simulate(comp, n=400, seed=1, store=store, chunk_rows=100).reused
    other = simulate(comp, n=300, seed=2, store=store, chunk_rows=100)
    assert other.reused and other.outcomes.equals(b.outcomes)


# ---- the YAML reader under fuzzing -------------------------------------------------------

scalars = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.text(alphabet="abcxyz_-.:#&*!|>'\"{}[], \t", max_size=8),
    st.sampled_from(["~", "null", "true", "1945-02-30", ".nan", "1e999", "''", "*a", "&a x"]),
)


def documents() -> st.SearchStrategy[str]:
    """YAML-ish text built from nested flow collections, anchors and aliases."""
    node = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
            st.lists(st.tuples(scalars, inner), max_size=4).map(
                lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
            ),
            st.tuples(st.sampled_from(["a", "b"]), inner).map(lambda t: f"&{t[0]} {t[1]}"),
            st.sampled_from(["*a", "*b"]),
        ),
        max_leaves=30,
    )
    return st.lists(st.tuples(scalars, node), min_size=1, max_size=5).map(
        lambda kv: "\n".join(f"k{i}: {v}" for i, (_, v) in enumerate(kv)) + "\n"
    )


def check_reader(text: str) -> None:
    try:
        parse(text, "fuzz.yaml")
    except InputError as exc:
        assert exc.problems and all("\n" not in str(p) for p in exc.problems)
        assert all(str(p).startswith("fuzz.yaml") for p in exc.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_fuzz_documents_with_aliases(text: str) -> None:
    check_reader(text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes_through_the_file_reader(tmp_path_factory, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("fz") / "case.yaml"
    path.write_bytes(raw)
    try:
        text = read_text(path)
    except InputError as exc:
        assert "not UTF-8" in str(exc) and "\n" not in str(exc)
        return
    check_reader(text)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 300), st.sampled_from(["[", "{a: ", "- "]))
def test_fuzz_deep_nesting(depth: int, opener: str) -> None:
    closer = {"[": "]", "{a: ": "}", "- ": ""}[opener]
    if opener == "- ":
        text = "".join("  " * i + "- \n" for i in range(depth))
    else:
        text = "k: " + opener * depth + "1" + closer * depth + "\n"
    try:
        load_yaml(text, "deep.yaml")
    except InputError as exc:
        assert depth > MAX_DEPTH - 2 and "nest" in str(exc)


def test_alias_budget_counts_expansion_not_text() -> None:
    ok = "a: &x [1, 2, 3]\nb: *x\nc: *x\n"
    data, _ = load_yaml(ok, "ok.yaml")
    assert data["b"] == [1, 2, 3]
    levels = 1
    while 11**levels < ALIAS_BUDGET:
        levels += 1
    with pytest.raises(InputError, match="expand to more than"):
        load_yaml(alias_bomb(levels + 1), "bomb.yaml")
    with pytest.raises(InputError, match="contains it"):
        load_yaml("a: &x [1, *x]\n", "loop.yaml")


def test_explorer_refuses_the_bomb_through_the_same_reader() -> None:
    with pytest.raises(InputError, match="aliases"):
        parse(alias_bomb(10) + "id: x\n", "upload.yaml")
