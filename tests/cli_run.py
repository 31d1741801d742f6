"""Run the command line in-process for a test (not a test module itself)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from realpolitik.cli import main as cli_main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`realpolitik ARGV...` through the real entry point: exit status, stdout, stderr."""
    try:
        cli_main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_cli_process(
    *argv: str,
    env: dict[str, str],
    cwd: str | Path | None = None,
    entry: str = "main",
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`realpolitik ARGV...` in a new Python process with `env` as its whole environment;
    `entry` is `main` (what the in-process tests call) or `script` (the installed command,
    with its quick exit)."""
    return subprocess.run(
        [sys.executable, "-c", f"from realpolitik.cli import {entry}; {entry}()", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
