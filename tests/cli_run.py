"""Run the command line in-process for a test (not a test module itself)."""

from __future__ import annotations

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
