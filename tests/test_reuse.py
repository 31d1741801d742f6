"""What a command reuses instead of doing again, and what it must still do right.

The run store held open for a whole command (one DuckDB connection), finished chunks
committed together, validated cases kept between processes, chunk arguments inherited by
forked workers instead of pickled, and the command's quick exit. Each is checked for the
reuse and for the case where reusing would be wrong (a changed file, a forked child, a
crash, an upload to the explorer).
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from realpolitik.errors import InputError
from realpolitik.scenario import case_cache, loader
from realpolitik.scenario.loader import builtin_text, parse, template_text
from realpolitik.simulation import backends, store
from realpolitik.simulation.store import RunStore, held_open

# ---- the run store held open -------------------------------------------------------------------


def test_a_held_store_is_one_connection_until_the_block_ends(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    with held_open(path):
        first = RunStore.open(path)
        first.close()  # a caller's close leaves the held connection open
        again = RunStore.open(str(path))
        assert again is first
        assert again.con.execute("SELECT 1").fetchone() == (1,)
        with held_open(path):  # nested: still the same, and still open after the inner block
            assert RunStore.open(path) is first
        assert RunStore.open(path) is first
    # after the block: closed, and a new open is a new connection
    with pytest.raises(Exception, match="(?i)closed"):
        first.con.execute("SELECT 1")
    fresh = RunStore.open(path)
    assert fresh is not first
    fresh.close()
    with pytest.raises(Exception, match="(?i)closed"):
        fresh.con.execute("SELECT 1")


def test_a_forked_child_does_not_use_its_parents_held_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runs.duckdb"
    with held_open(path):
        parent = RunStore.open(path)
        real_pid = parent.pid
        monkeypatch.setattr(store.os, "getpid", lambda: real_pid + 1)  # as in a forked child
        child = RunStore.open(path)
        assert child is not parent and not child.held
        child.close()
        monkeypatch.undo()
        assert RunStore.open(path) is parent


def test_a_wrong_store_file_fails_when_held(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(InputError, match="not a regular file"), held_open(folder):
        pass
    assert not store._HELD


def test_the_default_store_is_held_for_a_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`simulate` asks the store for the fitted weights, the run's chunks and the fit's
    cache; with the store held they share one connection, released at the end."""
    from cli_run import run_cli

    monkeypatch.setenv("REALPOLITIK_STORE", str(tmp_path / "default.duckdb"))
    opened: list[str] = []
    real = RunStore.__init__

    def counting(self: RunStore, path: Any) -> None:
        opened.append(str(path))
        real(self, path)

    monkeypatch.setattr(RunStore, "__init__", counting)
    code, out, err = run_cli(capsys, "simulate", "-n", "200", "--seed", "3", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["n"] == 200
    assert opened == [str(tmp_path / "default.duckdb")]
    assert not store._HELD  # released when the command ended


# ---- chunks committed together -----------------------------------------------------------------


def test_chunks_are_committed_in_one_transaction_each_flush(tmp_path: Path) -> None:
    from realpolitik.simulation.store import unpack

    db = RunStore(tmp_path / "runs.duckdb")
    db.begin("k", "simulate", "case", "hash", 1, {}, 3)
    arrays = {i: {"rows": np.array([i]), "outcomes": np.arange(3) * i} for i in range(3)}
    db.save_chunks("k", arrays)
    db.save_chunks("k", {})  # nothing to do
    got = db.begin("k", "simulate", "case", "hash", 1, {}, 3)
    assert sorted(got) == [0, 1, 2]
    np.testing.assert_array_equal(got[2]["outcomes"], [0, 2, 4])
    # a failing batch leaves nothing half-written: the good rows of it are rolled back
    with pytest.raises(Exception):  # noqa: B017 - whatever DuckDB raises for a bad row
        db.save_chunks("k2", {0: arrays[0], "x": arrays[1]})  # type: ignore[dict-item]
    assert db.con.execute("SELECT count(*) FROM chunks WHERE run_key = 'k2'").fetchone() == (0,)
    assert unpack(db.con.execute("SELECT payload FROM chunks LIMIT 1").fetchone()[0])
    db.close()


# ---- validated cases kept between processes ----------------------------------------------------


@pytest.fixture
def case_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(case_cache.OFF_ENV, raising=False)
    return tmp_path / "xdg" / "realpolitik" / "cases"


def _refuse_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    import realpolitik.scenario.validate as validate

    def refuse(*a: Any, **k: Any) -> Any:
        raise AssertionError("validated again")

    monkeypatch.setattr(validate, "validate", refuse)


def test_a_validated_case_is_read_back_without_validating_again(
    case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = builtin_text("east-asia-1945")
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    first = loader.load(path).case
    assert len(list(case_dir.glob("*.json"))) == 1
    _refuse_validation(monkeypatch)
    again = loader.load(path).case
    assert again == first
    # a changed file is a miss (and so is validated: here that refuses)
    path.write_text(text.replace("title:", "title: x", 1) if "title:" in text else text + "\n#")
    with pytest.raises(AssertionError, match="validated again"):
        loader.load(path)


def test_a_broken_cache_file_is_ignored_and_written_anew(case_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(template_text(), encoding="utf-8")
    good = loader.load(path).case
    (kept,) = case_dir.glob("*.json")
    kept.write_text(json.dumps({"id": 1}))  # not a case
    assert loader.load(path).case == good
    assert json.loads(kept.read_text())["id"] == good.id


def test_uploads_and_the_off_switch_leave_no_cache(
    case_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parse(template_text(), "upload.yaml")  # the explorer's and the checks' path: not kept
    assert not case_dir.exists() or not list(case_dir.glob("*.json"))
    monkeypatch.setenv(case_cache.OFF_ENV, "1")
    loader.load("east-asia-1945")
    assert not case_dir.exists() or not list(case_dir.glob("*.json"))


def test_a_case_whose_json_would_differ_is_not_kept(
    case_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = parse(template_text(), "t.yaml")
    monkeypatch.setattr(type(case), "__eq__", lambda self, other: False)
    case_cache.put("some text", case)
    assert not case_dir.exists() or not list(case_dir.glob("*.json"))


def test_an_unwritable_cache_folder_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv(case_cache.OFF_ENV, raising=False)
    assert loader.load("east-asia-1945").case.id


# ---- chunk arguments inherited by forked workers -----------------------------------------------


class Unpicklable:
    """Shared by every chunk; fails if anyone tries to pickle it."""

    def __init__(self, value: int):
        self.value = value

    def __reduce__(self) -> Any:
        raise pickle.PicklingError("shared arguments must be inherited, not pickled")


def _job(args: tuple[Unpicklable, int, tuple[int, int, int]]) -> tuple[int, int, int]:
    shared, scale, (index, _start, rows) = args
    return os.getpid(), index, shared.value * scale * rows


@pytest.mark.skipif(
    "fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork"
)
def test_shared_arguments_reach_forked_workers_without_pickling() -> None:
    shared = Unpicklable(7)
    items = [(shared, 3, c) for c in backends.chunks(10, 2)]
    got = dict(backends.Backend(2).map(_job, items))
    assert sorted(item[-1][0] for item in got) == [0, 1, 2, 3, 4]
    assert all(value == 7 * 3 * 2 for (_, _, value) in got.values())
    assert {pid for (pid, _, _) in got.values()} - {os.getpid()}, "ran in forked workers"
    assert not backends._INHERITED  # nothing left behind
    # a plain number shared by every item is sent as it is, not inherited
    assert backends.shared_positions(items) == [0]


def test_local_and_forked_simulations_agree_with_inherited_arguments() -> None:
    from realpolitik.model.compiled import as_compiled
    from realpolitik.simulation.api import fitted_weights, simulate

    comp = as_compiled("east-asia-1945")
    w = fitted_weights(comp)
    kw = {"n": 4000, "seed": 2, "weights": w, "store": False, "chunk_rows": 1000}
    one = simulate(comp, workers=1, **kw)
    two = simulate(comp, workers=2, **kw)
    assert one.outcomes.equals(two.outcomes) and one.choices.equals(two.choices)


# ---- the command's quick exit ------------------------------------------------------------------


def _script(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    from cli_run import run_cli_process

    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / "xdg"), "COLUMNS": "100"}
    env.pop("REALPOLITIK_DATA_DIR", None)
    return run_cli_process(*argv, env=env, cwd=cwd, entry="script", timeout=300)


def test_the_command_exits_quickly_with_its_output_whole(tmp_path: Path) -> None:
    out = tmp_path / "outcomes.csv"
    done = _script(
        "simulate", "-n", "500", "--seed", "4", "--no-store", "--format", "json", "--out",
        str(out), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)  # the whole JSON document reached the pipe
    assert answer["n"] == 500 and answer["outcomes"]
    lines = out.read_text().splitlines()
    assert lines[0].startswith("outcome,") and len(lines) == 1 + len(answer["outcomes"])
    bad = _script("simulate", "-n", "0", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: -n") and "Traceback" not in bad.stderr
