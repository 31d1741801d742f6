"""Every benchmark script runs (tiny `--quick` sizes) and prints its table; no timings asserted."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(BENCH.glob("bench_*.py"))
OTHERS = [p for p in SCRIPTS if p.name != "bench_simulation.py"]  # that one: its own test below


def load(path: Path) -> ModuleType:
    if str(BENCH) not in sys.path:  # as when run as a script: its sibling modules import
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def run_quick(path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    module = load(path)
    if inspect.signature(module.main).parameters:
        return module.main(["--quick"])
    monkeypatch.setattr(sys, "argv", [str(path), "--quick"])
    return module.main()


@pytest.mark.parametrize("script", OTHERS, ids=[p.name for p in OTHERS])
def test_benchmark_runs_quick(
    script: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if "--quick" not in script.read_text(encoding="utf-8"):
        pytest.skip(f"{script.name} has no --quick mode")
    run_quick(script, monkeypatch)
    out = capsys.readouterr().out
    assert out.strip(), f"{script.name} printed nothing"
    assert any(mark in out for mark in ("┃", "|", "─")), f"{script.name} printed no table"


def test_simulation_benchmark_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    results = run_quick(BENCH / "bench_simulation.py", monkeypatch)
    out = capsys.readouterr().out
    for row in (
        "(a) engine vs fair Mesa (vectorised)",
        "(a') engine vs per-path Mesa",
        "(b) engine, full case, one core",
        "(b') big simulate, 2 local processes",
        "(c) simulate: 1 dask worker vs local",
        "(c0) this machine: 2 processes at once",
        "(c') simulate: 2 vs 1 dask workers",
        "(c'') Sobol: 2 vs 1 dask workers",
    ):
        assert row in out
    assert "load average now" in out
    assert isinstance(results, dict)
    assert results["mesa"]["agree"], "Mesa and the engine disagree beyond Monte Carlo error"
    assert results["engine"]["same"], "the same seed gave different numbers"
    assert results["dask"]["identical"], "backends or worker counts gave different numbers"
    assert results["dask"]["evaluations"] >= 200


def test_run_all_lists_every_benchmark() -> None:
    text = (BENCH / "run_all.sh").read_text(encoding="utf-8")
    assert "bench_*.py" in text and "--quick" in text
    assert (BENCH / "README.md").exists()
