"""The model's per-referral columns and turn entries: a column is its array (writes reach
it, reads are plain Python numbers), and turn entries order exactly as the tuples
(turn key, referral) they replace."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulering.columns import bool_column, float_column, float_rows, int_column
from simulering.model import Model
from simulering.patients import draw_patients
from simulering.policies import make_policy
from simulering.policies.base import REF_MASK
from simulering.streams import replication_stream
from tests.conftest import compile_dict, small_scenario


def test_a_column_reads_and_writes_its_array() -> None:
    values = np.array([[0.5, 1.5, 2.5], [3.0, 4.0, 5.0]])
    rows = float_rows(values)
    assert rows[1][2] == 5.0 and type(rows[1][2]) is float
    rows[0][1] = -7.25
    assert values[0, 1] == -7.25
    counts = np.zeros(3, dtype=np.int64)
    column = int_column(counts)
    column[2] += 4
    assert counts.tolist() == [0, 0, 4] and type(column[2]) is int
    flags = np.zeros(2, dtype=np.bool_)
    bool_column(flags)[1] = True
    assert flags.tolist() == [False, True]


def test_a_column_of_another_layout_is_a_read_only_copy() -> None:
    ints = np.array([1, 2, 3], dtype=np.int32)
    column = float_column(ints.astype(np.float32))  # float32: copied to float64
    assert list(column) == [1.0, 2.0, 3.0]
    with pytest.raises(TypeError):
        column[0] = 9.0  # a write would not reach the original: refused
    strided = np.arange(6, dtype=np.int64)[::2]
    assert list(int_column(strided)) == [0, 2, 4]
    with pytest.raises(ValueError, match="one-dimensional"):
        float_column(np.zeros((2, 2)))


def _model() -> Model:
    spec = compile_dict(small_scenario())
    streams = replication_stream(7, 0)
    patients = draw_patients(spec, streams)
    return Model(spec, patients, make_policy("separate", spec), streams.get("policy"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([-400.5, -3.0, -1e-9, 0.0, 2.0, 2.0, 17.25, 9e6, 1e7 + 3.5]),
            st.floats(-500, 1e7, allow_nan=False, allow_infinity=False),
        ),
        min_size=2,
        max_size=30,
    )
)
def test_turn_entries_order_as_key_referral_tuples(pairs: list[tuple[float, float]]) -> None:
    """Negative, equal and large clock starts: sorting entries sorts (key, ref)."""
    model = _model()
    n = min(len(pairs), model.patients.n)
    for ref, (fixed, drawn) in enumerate(pairs[:n]):
        model.clock_start[0][ref] = fixed if ref % 2 else drawn
    entries = [model.turn_entry(ref, 0) for ref in range(n)]
    tuples = [(model.turn_key(ref, 0), ref) for ref in range(n)]
    assert [e & REF_MASK for e in sorted(entries)] == [t[1] for t in sorted(tuples)]


def test_turn_entries_rank_priority_groups_first() -> None:
    model = _model()
    limits = model.records.limit[0]
    urgent = int(np.flatnonzero(limits == limits.min())[0])
    routine = int(np.flatnonzero(limits == limits.max())[0])
    assert limits[urgent] < limits[routine]
    model.clock_start[0][urgent] = 300.0  # a late urgent referral ...
    model.clock_start[0][routine] = -50.0  # ... still goes before an old routine one
    assert model.turn_entry(urgent, 0) < model.turn_entry(routine, 0)
    deadline = dataclasses.replace(model.spec, priority_rule="deadline")
    weighted = Model(
        deadline, model.patients, make_policy("separate", deadline), np.random.default_rng(0)
    )
    weighted.clock_start[0][urgent] = 300.0
    weighted.clock_start[0][routine] = -50.0
    # deadline: 300 + the short limit against -50 + the long one
    before = 300.0 + limits[urgent] < -50.0 + limits[routine]
    assert (weighted.turn_entry(urgent, 0) < weighted.turn_entry(routine, 0)) is bool(before)
