"""The report's sentences: a verdict only when every check agrees, the failed check named
with its number, the robustness columns used when the fit has them."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from realpolitik.reports.findings import actor_findings, how_sure
from realpolitik.reports.limitations import limitation_sentences
from realpolitik.scenario.loader import load_case, parse, template_text


class Fit:
    def __init__(self, rows: list[dict]):
        self.frame = pd.DataFrame(rows)

    def verdict_frame(self) -> pd.DataFrame:
        return self.frame


class Sens:
    def __init__(self, shares: dict[str, float]):
        self.verdict_share = pd.DataFrame(
            [{"actor": a, "share_interest_outweighs": s} for a, s in shares.items()]
        )


def row(actor: str, p: float, status: str = "ok", n: int = 12, **extra: object) -> dict:
    return {"actor": actor, "n_decisions": n, "p_interest_outweighs": p, "status": status, **extra}


@pytest.fixture(scope="module")
def case():
    return load_case("east-asia-1945")


def test_agreeing_checks_give_a_verdict_with_its_numbers(case) -> None:
    f = actor_findings(
        case, Fit([row("USSR", 0.97)]), Fit([row("USSR", 0.996)]), Sens({"USSR": 1.0})
    )[0]
    assert f.claim == "interest" and not f.failed
    assert f.sentence.startswith("Soviet Union (12 decisions): interest outweighed ideology")
    assert "0.97" in f.sentence and "1.00" in f.sentence and "100%" in f.sentence
    assert "very likely" in f.sentence  # the less certain of the two fits


def test_a_disagreeing_check_blocks_the_verdict_and_is_named(case) -> None:
    f = actor_findings(case, Fit([row("CCP", 0.75)]), Fit([row("CCP", 0.98)]), Sens({"CCP": 1.0}))[
        0
    ]
    assert f.claim == "undecided" and f.failed == ["maximum likelihood"]
    assert "no verdict" in f.sentence and "maximum likelihood (0.75, short of 0.90)" in f.sentence
    assert "partial pooling" in f.sentence  # why the hierarchical model is surer
    assert "The assumption ranges do not stand in the way" in f.sentence


def test_robustness_columns_are_one_more_check(case) -> None:
    mle = Fit(
        [
            row("USSR", 0.97, verdict="undecided", failed_checks="leave-one-out, period split"),
            row("USA", 0.95, verdict="interest outweighs ideology", failed_checks=""),
        ]
    )
    ussr, usa = actor_findings(case, mle)
    assert ussr.claim == "undecided"
    assert "robustness check 'leave-one-out'" in ussr.sentence
    assert "robustness check 'period split'" in ussr.sentence
    assert usa.claim == "interest" and "every check agrees" in usa.sentence


def test_a_lean_towards_ideology_is_worded_as_such(case) -> None:
    f = actor_findings(case, Fit([row("GMD", 0.2)]))[0]
    assert f.claim == "undecided" and "leans towards ideology" in f.sentence
    assert "maximum likelihood (0.20, above 0.10)" in f.sentence


def test_unidentified_actor_gets_no_conclusion(case) -> None:
    f = actor_findings(case, Fit([row("UK", float("nan"), status="unidentified", n=1)]))[0]
    assert f.claim == "not identified" and "1 recorded decision:" in f.sentence


def test_how_sure_words() -> None:
    assert how_sure(0.995) == "near certain" and how_sure(0.01) == "near certain"
    assert how_sure(0.92) == "likely" and how_sure(0.55) == "a toss-up"


def test_limitations_come_from_the_case() -> None:
    case = parse(template_text())
    lines = limitation_sentences(case)
    n = len(case.decisions)
    assert lines[0].startswith(f"The evidence is {n} recorded decisions")
    assert any(re.search(r"coded from \d+ source", s) for s in lines)
    assert any(f"{len(case.assumptions)} numbers" in s for s in lines)
    assert any("counterfactuals" in s for s in lines)
