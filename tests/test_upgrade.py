"""`realpolitik case upgrade`: files valid at commit 32df88e stay usable.

The fixture is the built-in case exactly as it stood at 32df88e (main's HEAD when issue 12 was
taken up). It fails today's validation in one place (a `precision: month` decision dated the
11th); the upgrade rewrites that line only, notes it, and lists the options the current model
computes differently.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_run import run_cli as cli
from realpolitik.errors import InputError
from realpolitik.scenario.loader import parse
from realpolitik.scenario.upgrade import upgrade_text

OLD = Path(__file__).parent / "fixtures" / "east-asia-1945-at-32df88e.yaml"


def test_the_old_builtin_case_fails_only_on_precision() -> None:
    with pytest.raises(InputError) as info:
        parse(OLD.read_text(encoding="utf-8"), "old.yaml")
    (problem,) = info.value.problems
    assert problem.field == "decisions[6].date" and "precision: month" in problem.message


def test_upgrade_rewrites_one_line_and_notes_it() -> None:
    text = OLD.read_text(encoding="utf-8")
    up = upgrade_text(text, "old.yaml")
    before, after = text.splitlines(), up.text.splitlines()
    assert len(before) == len(after)
    diff = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert diff == [("    precision: month", "    precision: day")]
    (change,) = up.changes
    assert change.line == 547 and change.field == "decisions[6].precision"
    assert "1945-02-11" in change.message
    case = parse(up.text, "old.yaml")  # valid now
    assert case.decisions[6].date.isoformat() == "1945-02-11"
    gives = [n for n in up.notes if n.field.endswith(".gives")]
    assert {n.field for n in gives} == {
        "decisions[7].options[0].gives",
        "decisions[7].options[1].gives",
        "decisions[17].options[0].gives",
        "decisions[30].options[0].gives",
    }
    # an upgraded file needs no further rewrite
    assert not upgrade_text(up.text, "new.yaml").changed


def test_upgrade_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(OLD.read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = cli(capsys, "case", "upgrade", str(path), "--check")
    assert code == 0 and "would change (1 change(s)" in err
    assert path.read_text(encoding="utf-8") == OLD.read_text(encoding="utf-8")
    code, _, err = cli(capsys, "case", "upgrade", str(path))
    changed = [line for line in err.splitlines() if line.startswith("changed: ")]
    assert code == 0 and len(changed) == 1 and f"{path}:547: decisions[6].precision" in changed[0]
    code, _, err = cli(capsys, "case", "validate", str(path))
    assert code == 0 and err.startswith("ok:")
    code, _, err = cli(capsys, "case", "upgrade", "east-asia-1945")
    assert code == 0 and "needs no rewrite" in err
    code, _, err = cli(
        capsys, "case", "upgrade", "east-asia-1945", "--out", str(tmp_path / "x.yaml")
    )
    assert code == 0 and (tmp_path / "x.yaml").exists()
    broken = tmp_path / "broken.yaml"
    broken.write_text(OLD.read_text(encoding="utf-8").replace("actor: USSR\n", "actor: USSRR\n", 1))
    code, _, err = cli(capsys, "case", "upgrade", str(broken))
    assert code == 2 and "unknown actor id 'USSRR'" in err and "Traceback" not in err
