"""One region-scale replication's memory, measured in this (fresh) interpreter: the
child of :func:`benchmarks.simulate.memory.memory_benchmark`, which runs
``python -m benchmarks.replication_memory POLICY HORIZON_DAYS`` and reads the one JSON
line it prints. It imports only what a replication needs (not the benchmarks)."""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from benchmarks import BENCH_DIR

MIB = 1024 * 1024
REGION_SCENARIO = BENCH_DIR / "scenarios" / "region_scale.yaml"


def _status_mib(field: str) -> float:
    """A memory field of ``/proc/self/status`` (``VmRSS``: resident now, ``VmHWM``: the
    peak of this program — unlike ``ru_maxrss``, which keeps the peak of the parent this
    process was forked from across ``exec``)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _nbytes(objects: Sequence[object], seen: set[int]) -> int:
    """Bytes of the numpy arrays among the fields of ``objects``, each buffer once."""
    total = 0
    for obj in objects:
        for f in fields(obj):  # type: ignore[arg-type]
            value = getattr(obj, f.name)
            if isinstance(value, np.ndarray) and value.ctypes.data not in seen:
                seen.add(value.ctypes.data)
                total += value.nbytes
    return total


def measure_here(policy: str, horizon_days: int) -> dict[str, Any]:
    """The figures of one replication in this process (the child's work)."""
    from scenarios.loader import Overrides, load_spec
    from simulering.kpis import replication_kpis
    from simulering.patients import draw_patients
    from simulering.runner import run_policy
    from simulering.streams import replication_stream

    _, spec = load_spec(REGION_SCENARIO, Overrides(horizon_days=horizon_days, warmup_days=0))
    start = _status_mib("VmRSS")
    cpu = time.process_time()
    pts = draw_patients(spec, replication_stream(500_000, 0))
    rec = run_policy(spec, pts, policy, 500_000, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months of a group
        replication_kpis(spec, pts, rec)
    cpu = time.process_time() - cpu
    seen: set[int] = set()
    patient_bytes = _nbytes([pts], seen)
    record_bytes = _nbytes([rec], seen)
    return {
        "policy": policy,
        "horizon_days": horizon_days,
        "referrals": pts.n,
        "patient_bytes_per_referral": patient_bytes / pts.n,
        "record_bytes_per_referral": record_bytes / pts.n,
        "arrays_mib": (patient_bytes + record_bytes) / MIB,
        "start_rss_mib": start,
        "peak_rss_mib": _status_mib("VmHWM"),
        "cpu_seconds": cpu,
    }


if __name__ == "__main__":
    print(json.dumps(measure_here(sys.argv[1], int(sys.argv[2]))))
