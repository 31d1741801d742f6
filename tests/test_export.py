"""The shared table writer: labelled Stata files, documented renames, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from realpolitik.errors import InputError
from realpolitik.export import stata_name, write_table


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ccode1": np.array([2, 20, 200], dtype=np.int16),
            "atop_any": np.array([0, 1, 1], dtype=np.int8),
            "joint_democracy": [0.0, 1.0, np.nan],
            "verdict": pd.array(["a", None, "c"], dtype="string"),
            "case": [1, 2, 3],
            "conf.low": [0.1, 0.2, 0.3],
            "flag": [True, False, True],
        }
    )


def test_stata_file_carries_labels_value_labels_and_data_label(tmp_path: Path) -> None:
    path = write_table(
        _frame(),
        tmp_path / "t.dta",
        labels={"atop_any": "Any ATOP alliance in force", "joint_democracy": "Joint democracy"},
        value_labels={"atop_any": {0: "no", 1: "yes"}, "joint_democracy": {0: "no", 1: "yes"}},
        data_label="realpolitik test table",
    )
    with pd.io.stata.StataReader(path) as reader:
        data = reader.read(convert_categoricals=False)
        labels = reader.variable_labels()
        values = reader.value_labels()
        assert reader.data_label == "realpolitik test table"
    assert labels["atop_any"] == "Any ATOP alliance in force"
    assert values["atop_any"] == {0: "no", 1: "yes"}
    assert values["joint_democracy"] == {0: "no", 1: "yes"}
    assert values["flag"] == {0: "no", 1: "yes"}  # booleans are labelled by default
    assert data["joint_democracy"].isna().iloc[2]  # missing stays missing (Stata .)
    assert list(data["ccode1"]) == [2, 20, 200]
    # pandas reads the value labels back as categories
    back = pd.read_stata(path)
    assert list(back["atop_any"].astype(str)) == ["no", "yes", "yes"]


def test_renames_follow_the_documented_rule_and_travel_in_the_label(tmp_path: Path) -> None:
    assert stata_name("case") == "_case"  # a Stata reserved word
    assert stata_name("conf.low") == "conf_low"
    assert stata_name("1990-2018") == "v_1990_2018"
    assert stata_name("str12") == "_str12"
    assert stata_name("x" * 40) == "x" * 32
    path = write_table(_frame(), tmp_path / "t.dta", labels={"case": "the case"})
    with pd.io.stata.StataReader(path) as reader:
        reader.read()
        labels = reader.variable_labels()
    assert labels["_case"] == "[case] the case"
    assert labels["conf_low"].startswith("[conf.low]")


def test_two_columns_that_collide_are_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a.b": [1], "a_b": [2]})
    with pytest.raises(InputError, match="both become the Stata name"):
        write_table(frame, tmp_path / "t.dta")
    assert list(tmp_path.iterdir()) == []  # no file, no leftover temporary


def test_labels_for_unknown_columns_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="labels for columns not in the table"):
        write_table(_frame(), tmp_path / "t.dta", labels={"nope": "x"})


def test_parquet_keeps_labels_as_metadata_and_csv_holds_data(tmp_path: Path) -> None:
    path = write_table(
        _frame(), tmp_path / "t.parquet", labels={"atop_any": "any"}, data_label="test"
    )
    meta = json.loads(pq.read_schema(path).metadata[b"realpolitik.labels"])
    assert meta == {"data_label": "test", "labels": {"atop_any": "any"}}
    pd.testing.assert_frame_equal(pd.read_parquet(path), _frame())
    csv = write_table(_frame(), tmp_path / "t.csv", labels={"atop_any": "any"})
    assert list(pd.read_csv(csv).columns) == list(_frame().columns)
    with pytest.raises(InputError, match="expected a file ending in"):
        write_table(_frame(), tmp_path / "t.xlsx")
