"""The machine the benchmark runs on: its load average, the commit measured, and the
CPU time used by the server, the load generator and everything else."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass

import psutil  # type: ignore[import-untyped]

from benchmarks import BENCH_DIR


def uptime() -> str:
    """``uptime``'s line (load averages over 1, 5, 15 minutes)."""
    exe = shutil.which("uptime")
    if exe:
        out = subprocess.run([exe], capture_output=True, text=True, check=False).stdout
        if out.strip():
            return " ".join(out.split())
    one, five, fifteen = os.getloadavg()
    return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"


def code_version() -> str:
    """The commit of the service measured, with ``+dirty`` if ``api/service`` differs."""
    root = BENCH_DIR.parent
    git = shutil.which("git")
    if git is None:
        return "unknown"

    def out(*args: str) -> str:
        res = subprocess.run([git, *args], cwd=root, capture_output=True, text=True, check=False)
        return res.stdout.strip() if res.returncode == 0 else ""

    head = out("rev-parse", "--short", "HEAD")
    if not head:
        return "unknown"
    return head + ("+dirty" if out("status", "--porcelain", "--", "api/service") else "")


def load_average() -> list[float]:
    """The load averages over 1, 5 and 15 minutes, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


@dataclass
class CpuTimes:
    """CPU seconds so far: the server tree, this process, the whole machine."""

    server: float
    client: float
    machine: float
    wall: float


def cpu_now(server_pid: int) -> CpuTimes:
    """CPU seconds used so far by the server's process tree, this process and the machine."""

    def tree(pid: int) -> float:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for p in procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    me = psutil.Process().cpu_times()
    m = psutil.cpu_times()
    busy = m.user + m.system + getattr(m, "nice", 0.0) + getattr(m, "irq", 0.0)
    busy += getattr(m, "softirq", 0.0) + getattr(m, "steal", 0.0)
    return CpuTimes(tree(server_pid), me.user + me.system, busy, time.perf_counter())
