"""Values shaped like Swedish personal identity numbers are recognised."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.service.pseudonym import looks_like_personal_number


@pytest.mark.parametrize(
    "value",
    [
        "19121212-1212",  # personnummer, century and separator
        "191212121212",
        "121212-1212",
        "121212+1212",  # over 100 years old
        "1212121212",
        "701063-2391",  # samordningsnummer (day + 60)
        "197010632391",
        "patient-19121212-1212",  # embedded
        "ref_8507099805",
    ],
)
def test_refused(value: str) -> None:
    assert looks_like_personal_number(value)


@pytest.mark.parametrize(
    "value",
    [
        "r-1",
        "pseudo-7f3a9c",
        "a3f9e2c1-5b6d-4e8f-9a0b-1c2d3e4f5a6b",  # a UUID
        "12345",
        "121312-1212",  # month 13
        "121200-1212",  # day 00
        "121232-1212",  # day 32 (and not 61..91)
        "99121212121212",  # a longer run of digits
        "REF-2026-000123",
    ],
)
def test_accepted(value: str) -> None:
    assert not looks_like_personal_number(value)


@given(
    st.dates(dt.date(1890, 1, 1), dt.date(2026, 12, 31)),
    st.integers(0, 9999),
    st.sampled_from(["", "-", "+"]),
    st.booleans(),
    st.booleans(),
)
def test_every_date_shape_is_refused(
    day: dt.date, serial: int, sep: str, century: bool, coordination: bool
) -> None:
    dd = day.day + (60 if coordination else 0)
    head = f"{day.year:04d}" if century else f"{day.year % 100:02d}"
    assert looks_like_personal_number(f"{head}{day.month:02d}{dd:02d}{sep}{serial:04d}")
