"""(d) Memory of a region-scale year: one replication (drawing the patients, running the
model, computing the KPIs) per policy, each in a fresh interpreter, so that its peak
resident memory is that replication's alone. The peak is set against the replication's
per-referral arrays — the patients' and the run's records, the data a replication
cannot do without; issue 15's target is a peak of at most 2.5 times those arrays.

The child is :mod:`benchmarks.replication_memory` (outside this package, so that it
loads nothing of the other benchmarks)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

TARGET_PEAK_RATIO = 2.5
"""Issue 15: peak resident memory at most this many times the per-referral arrays."""


@dataclass(frozen=True)
class MemoryResult:
    """One policy's region-scale replication in a fresh interpreter."""

    policy: str
    horizon_days: int
    referrals: int
    patient_bytes_per_referral: float
    record_bytes_per_referral: float
    arrays_mib: float
    """The patients' and the records' arrays (each array once)."""
    start_rss_mib: float
    """Resident memory before drawing the patients (interpreter, imports, the scenario)."""
    peak_rss_mib: float
    peak_ratio: float
    """Peak resident memory ÷ the arrays."""
    cpu_seconds: float
    """CPU of the replication (draw, run, KPIs)."""


def memory_benchmark(
    policies: Sequence[str] = ("separate", "shared"), horizon_days: int = 365
) -> list[MemoryResult]:
    """Each policy's replication in a fresh interpreter (``-m benchmarks.replication_memory``)."""
    results = []
    for policy in policies:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.replication_memory", policy, str(horizon_days)],
            check=True,
            capture_output=True,
            text=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(MemoryResult(**row, peak_ratio=row["peak_rss_mib"] / row["arrays_mib"]))
    return results
