"""Per-referral columns for the model's hot loop: numpy arrays read and written one
element at a time through a ``memoryview``.

An element read from a memoryview is a plain Python ``float``, ``int`` or ``bool`` (not
a numpy scalar), as fast as reading a list, and the column itself is the array's
buffer: 8 bytes per referral (1 for a flag), no Python object per referral, no copy
into a list and none back into an array when the run ends. Writes go straight into
the array (an ``int`` column takes Python ints only).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from simulering.spec import FloatArray, IntArray

FloatColumn: TypeAlias = "memoryview[float]"  # strings: memoryview[...] is typing-only
IntColumn: TypeAlias = "memoryview[int]"
BoolColumn: TypeAlias = "memoryview[bool]"


def float_column(values: FloatArray) -> FloatColumn:
    """A float64 array (1-D, C-contiguous: a row of a 2-D array is) as a column."""
    return _checked(values, np.float64).data.cast("B").cast("d")


def int_column(values: IntArray) -> IntColumn:
    """An int64 array (1-D, C-contiguous) as a column."""
    return _checked(values, np.int64).data


def bool_column(values: npt.NDArray[np.bool_]) -> BoolColumn:
    """A bool array (1-D, C-contiguous) as a column."""
    return _checked(values, np.bool_).data.cast("B").cast("?")


def float_rows(values: FloatArray) -> list[FloatColumn]:
    """Each row of a 2-D float64 array as a column (``rows[stage][ref]``)."""
    return [float_column(row) for row in values]


def int_rows(values: IntArray) -> list[IntColumn]:
    """Each row of a 2-D int64 array as a column."""
    return [int_column(row) for row in values]


def bool_rows(values: npt.NDArray[np.bool_]) -> list[BoolColumn]:
    """Each row of a 2-D bool array as a column."""
    return [bool_column(row) for row in values]


def _checked(values: npt.NDArray[np.generic], dtype: type[np.generic]) -> npt.NDArray[np.generic]:
    """``values`` itself when it is a C-contiguous array of ``dtype`` (writes through the
    column then reach it); a read-only copy in that layout otherwise."""
    if values.ndim != 1:
        raise ValueError(f"a column is one-dimensional, got shape {values.shape}")
    if values.dtype == dtype and values.flags.c_contiguous:
        return values
    copy = np.ascontiguousarray(values, dtype=dtype)
    copy.setflags(write=False)
    return copy
