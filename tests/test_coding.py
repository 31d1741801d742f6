"""Blind coding copies, agreement between codings, and fitting under another coding."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from realpolitik.cli import cli
from realpolitik.errors import InputError
from realpolitik.estimation.agreement import agreement
from realpolitik.scenario.coding import blind_text, codings, with_record
from realpolitik.scenario.loader import load, parse

BUILTIN = "east-asia-1945"


@pytest.fixture(scope="module")
def blind() -> str:
    return blind_text(BUILTIN, seed=3)


def test_blind_copy_has_no_record_and_validates_as_blind(blind):
    data = yaml.safe_load(blind)
    assert data["blind"] is True
    assert "outcomes" not in data
    for d in data["decisions"]:
        assert "chosen" not in d and "note" not in d
        assert all("note" not in o for o in d["options"])
    case = parse(blind, "blind.yaml", blind_ok=True)
    assert case.blind and all(d.chosen is None for d in case.decisions)
    with pytest.raises(InputError, match="blind coding file"):
        parse(blind, "blind.yaml")  # ordinary commands refuse a file without the record


def test_blind_copy_shuffles_options_with_its_seed(blind):
    record = load(BUILTIN).case
    again = blind_text(BUILTIN, seed=3)
    other = blind_text(BUILTIN, seed=4)
    assert again == blind
    assert other != blind
    order = [[o["id"] for o in d["options"]] for d in yaml.safe_load(blind)["decisions"]]
    original = [[o.id for o in d.options] for d in record.decisions]
    assert [sorted(x) for x in order] == [sorted(x) for x in original]
    assert order != original
    # the recorded option is not always in the same place
    places = {o.index(d.chosen) for o, d in zip(order, record.decisions, strict=True)}
    assert len(places) > 1


def test_blind_mode_rules_in_validation(blind):
    data = yaml.safe_load(blind)
    data["decisions"][0]["chosen"] = data["decisions"][0]["options"][0]["id"]
    with pytest.raises(InputError, match="must not record the choice"):
        parse(yaml.safe_dump(data, sort_keys=False), "b.yaml", blind_ok=True)
    data = yaml.safe_load(blind)
    data["blind"] = False
    with pytest.raises(InputError, match="chosen: required field is missing"):
        parse(yaml.safe_dump(data, sort_keys=False), "b.yaml")


def test_cli_blind_then_validate(tmp_path):
    out = tmp_path / "blind.yaml"
    res = CliRunner().invoke(cli, ["case", "blind", BUILTIN, "--out", str(out), "--seed", "5"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(cli, ["case", "validate", str(out)])
    assert res.exit_code == 0, res.output
    assert "blind" in res.output
    res = CliRunner().invoke(cli, ["case", "blind", BUILTIN, "--out", str(out)])
    assert res.exit_code != 0  # no overwrite without --force


def _recode(text: str, decision: str, option: str, security: str) -> str:
    data = yaml.safe_load(text)
    d = next(d for d in data["decisions"] if d["id"] == decision)
    o = next(o for o in d["options"] if o["id"] == option)
    o["security"] = security
    return yaml.safe_dump(data, sort_keys=False)


def test_agreement_is_perfect_for_the_same_coding_and_lists_a_disagreement(blind):
    record = load(BUILTIN).case
    same = agreement(record, parse(blind, "b.yaml", blind_ok=True))
    assert (same.alpha["agree"] == same.alpha["options"]).all()
    assert same.disagreements.empty
    d = record.decisions[0]
    o = next(o for o in d.options if o.security == "none")
    changed = parse(_recode(blind, d.id, o.id, "gain_large"), "c.yaml", blind_ok=True)
    res = agreement(record, changed)
    rows = res.disagreements
    assert set(rows["decision"]) == {d.id}
    assert set(rows["field"]) == {"security"}  # the label and the feature built from it
    sec = res.alpha[(res.alpha["field"] == "security")]
    assert (sec["alpha"] < 1).all()
    assert (sec["agree"] == sec["options"] - 1).all()


def test_with_record_puts_the_choices_back(blind):
    record = load(BUILTIN).case
    merged = with_record(record, parse(blind, "b.yaml", blind_ok=True), "b.yaml")
    assert [d.chosen for d in merged.decisions] == [d.chosen for d in record.decisions]
    data = yaml.safe_load(blind)
    data["decisions"][0]["options"][0]["id"] = "renamed"
    wrong = parse(yaml.safe_dump(data, sort_keys=False), "w.yaml", blind_ok=True)
    with pytest.raises(InputError, match="expected the option ids"):
        with_record(record, wrong, "w.yaml")


def test_fit_and_evaluate_report_each_coding(tmp_path, blind):
    record = load(BUILTIN).case
    d = next(d for d in record.decisions if d.actor == "USSR")
    o = next(o for o in d.options if o.id == d.chosen)
    path = tmp_path / "second.yaml"
    path.write_text(_recode(blind, d.id, o.id, "loss_large"), encoding="utf-8")
    assert len(codings(record, (str(path),))) == 2
    res = CliRunner().invoke(cli, ["fit", BUILTIN, "--coding", str(path), "--json"])
    assert res.exit_code == 0, res.output
    by = json.loads(res.output)["by_coding"]
    assert {"record: verdict", "second.yaml: verdict"} <= set(by[0])
    res = CliRunner().invoke(
        cli,
        ["evaluate", BUILTIN, "--train-until", "1949-12-31", "--coding", str(path), "--json"],
    )
    assert res.exit_code == 0, res.output
    labels = [c["coding"] for c in json.loads(res.output)["codings"]]
    assert labels == ["record", "second.yaml"]
