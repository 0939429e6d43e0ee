"""Timing one call: wall-clock and CPU seconds after a garbage collection."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def timed(fn: Callable[..., T], *args: Any) -> tuple[float, float, T]:
    """Wall-clock and CPU seconds of ``fn(*args)``, and its value."""
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    value = fn(*args)
    return time.perf_counter() - w0, time.process_time() - c0, value
