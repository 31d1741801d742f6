"""One actor across cases (estimation/pooled.py): identities, the pooled data, the posterior
against a hand computation, and a fit of the built-in case with a small second case in which
the Soviet Union goes by another id and names its identity."""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.cli import main as cli_main
from realpolitik.errors import InputError
from realpolitik.estimation.api import as_compiled
from realpolitik.estimation.likelihood import loglik
from realpolitik.estimation.pooled import (
    PooledPosterior,
    fit_pooled,
    identities,
    parse_same,
    pooled_data,
)
from realpolitik.model.compiled import Compiled
from realpolitik.scenario.loader import builtin_names, parse, template_text

BUILTIN = "east-asia-1945"


def second_case_text() -> str:
    """The template (two Soviet choices of August 1945) with the Soviet Union as `SU`,
    `identity: USSR`."""
    text = template_text().replace("  - id: USSR\n", "  - id: SU\n    identity: USSR\n", 1)
    text = text.replace("actor: USSR\n", "actor: SU\n")
    text = text.replace("{USSR: high, GMD: high}", "{SU: high, GMD: high}")
    return text.replace("to: USSR}", "to: SU}")


@pytest.fixture(scope="module")
def comps() -> list[Compiled]:
    if BUILTIN not in builtin_names():
        pytest.skip("the built-in case is not packaged")
    return [as_compiled(BUILTIN), as_compiled(parse(second_case_text(), "<second>"))]


def test_parse_same() -> None:
    assert parse_same(("USSR=USSR,PRC=CCP", "USA")) == [("USSR", "USSR"), ("PRC", "CCP"), ("USA",)]
    with pytest.raises(InputError, match="expected ID=ID"):
        parse_same(("USSR=",))


def test_identities(comps: list[Compiled]) -> None:
    ids = identities(comps, [])
    assert ids[0]["USSR"] == ids[1]["SU"] == "SU=USSR"  # the identity key
    assert ids[0]["CCP"] == ids[1]["CCP"] == "CCP"  # the same id
    merged = identities(comps, [("GMD", "USA")])
    assert merged[0]["GMD"] == merged[1]["USA"] == "GMD=USA"
    with pytest.raises(InputError, match="unknown actor 'USRR' \\(known: .*USSR"):
        identities(comps, [("USRR", "USSR")])


def test_pooled_data_standardises_each_case(comps: list[Compiled]) -> None:
    data = pooled_data(comps, [])
    assert data.pooled == ["SU=USSR"]  # the only actor with decisions in both cases
    assert "CCP" in data.singles and "SU=USSR" not in data.singles
    n0 = len(data.datas[0].Z)
    np.testing.assert_allclose(data.Zs[:n0], data.datas[0].Z / data.sds[0])
    np.testing.assert_allclose(data.Zs[n0:], data.datas[1].Z / data.sds[1])
    assert data.starts[len(data.datas[0].starts)] == n0


def test_posterior_likelihood_matches_conditional_logit(comps: list[Compiled]) -> None:
    """With every z, e = 0 the weights are mu everywhere: the posterior's likelihood part is the
    conditional logit of each case at raw weights mu / sd."""
    data = pooled_data(comps, [])
    post = PooledPosterior(data)
    K = post.K
    mu = np.array([0.7, 1.9])
    theta = np.zeros(post.dim)
    theta[-3 * K : -2 * K] = mu
    theta[-2 * K :] = np.log(0.5)  # tau = sigma = 0.5
    expected = sum(
        loglik(mu / sd, d.Z, d.chosen, d.starts) for d, sd in zip(data.datas, data.sds, strict=True)
    )
    prior = -0.5 * ((mu / 2.5) ** 2).sum() + 2 * K * (-0.5 * 0.25 + np.log(0.5))
    assert post(theta[None])[0] == pytest.approx(expected + prior)
    # a case-level deviation moves only that case's Soviet weight
    w = post.unpack(theta[None] + 0.0)["w"][0]
    theta[post.NI * K : post.NI * K + K] = [1.0, -1.0]
    w2 = post.unpack(theta[None])["w"][0]
    moved = np.flatnonzero(np.abs(w2 - w).sum(axis=1) > 0)
    (unit,) = [u for u in data.units if u.row in moved]
    assert unit.identity == "SU=USSR" and len(moved) == 1


def test_pooled_fit_reports_the_actor_across_cases_and_per_case(comps: list[Compiled]) -> None:
    res = fit_pooled(comps, [], steps=600, seed=3, rhat_max=1.1, ess_min=100)
    v = res.verdicts()
    assert v["scope"].tolist() == ["all cases", BUILTIN, "my-case"]
    assert v["decisions"].tolist() == [18, 16, 2]
    assert v["actor_ids"].tolist() == ["SU,USSR", "USSR", "SU"]
    assert v["p_interest_outweighs"].between(0, 1).all()
    # the record makes the Soviet interest weight clearly positive
    assert (v["w_interest_std_low"] > 0).all()
    assert set(res.deviations()["term"]) == {"ideology", "interest"}


def test_cli_pooling_errors(capsys: pytest.CaptureFixture[str]) -> None:
    def cli(*argv: str) -> tuple[int, str]:
        try:
            cli_main(list(argv))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        return code, capsys.readouterr().err

    code, err = cli("fit", BUILTIN, "--same", "USSR=USSR")
    assert code == 2 and "--same: name two or more cases" in err
    code, err = cli("fit", BUILTIN, BUILTIN)
    assert code == 2 and "the same case is named twice" in err
    code, err = cli("fit", BUILTIN, "--actor", "USSR", "--assume", "csf_m=1.0", "nowhere.yaml")
    assert code == 2 and "Traceback" not in err
