"""Simulation jobs over real HTTP against ``remiss serve``: cancelled while queued or
running (the worker processes stop), owned (a planner sees only their own jobs, an
admin all), at most ``REMISS_MAX_JOBS_PER_KEY`` live per key, each worker held to its
memory limit, and none left running when the server stops."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.service.service_server import Server, database_for, start_server
from tests.conftest import small_scenario

LONG = {"scenario": "textbook_mmc", "replications": 200}
"""Ten years of the textbook scenario, 200 times: minutes of work, cancelled long before."""


def descendants(pid: int) -> set[int]:
    """The processes below ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(text.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    return {p for p in pids if Path(f"/proc/{p}").exists() and not zombie(p)}


def workers_of(pid: int) -> set[int]:
    """The spawned worker processes below ``pid`` (not multiprocessing's resource
    tracker, which lives as long as the server)."""
    found = set()
    for p in alive(descendants(pid)):
        try:
            cmdline = Path(f"/proc/{p}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            found.add(p)
    return found


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def wait_for(check: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


def running_with_workers(srv: Server, c: httpx.Client, job: str) -> set[int]:
    """Wait until the job runs and its worker processes exist; their pids."""
    assert srv.proc is not None
    pid = srv.proc.pid

    def workers() -> set[int]:
        state = c.get(f"/v1/simulations/{job}").json()["state"]
        assert state in ("queued", "running"), state
        return workers_of(pid) if state == "running" else set()

    found: set[int] = wait_for(workers)
    return found


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("jobs"), database_for(request.param))
    try:
        yield srv
    finally:
        srv.stop()


def second_planner(srv: Server) -> str:
    with srv.client("admin") as c:
        r = c.post("/v1/keys", json={"roles": ["planner"], "name": "another planner"})
        assert r.status_code == 201, r.text
        return str(r.json()["key"])


def test_cancel_stops_a_running_job_and_a_queued_one(server: Server) -> None:
    with server.client("planner") as c:
        running = c.post("/v1/simulations", json=LONG)
        queued = c.post("/v1/simulations", json=LONG)
        assert running.status_code == 202 and queued.status_code == 202, queued.text
        run_id, queue_id = running.json()["id"], queued.json()["id"]
        pids = running_with_workers(server, c, run_id)
        assert c.get(f"/v1/simulations/{queue_id}").json()["state"] == "queued"

        gone = c.delete(f"/v1/simulations/{queue_id}")
        assert gone.status_code == 200 and gone.json()["state"] == "cancelled", gone.text
        stopped = c.delete(f"/v1/simulations/{run_id}")
        assert stopped.status_code == 200 and stopped.json()["state"] == "cancelled"
        assert server.proc is not None
        pid = server.proc.pid
        wait_for(lambda: not (workers_of(pid) & pids), 20)
        time.sleep(1.5)  # the cancelled jobs stay cancelled; the queued one never starts
        for job in (run_id, queue_id):
            assert c.get(f"/v1/simulations/{job}").json()["state"] == "cancelled"
        assert c.delete(f"/v1/simulations/{run_id}").status_code == 200  # again: a no-op
        # the runner goes on with the next job
        short = {**LONG, "replications": 1, "horizon_days": 60, "warmup_days": 10}
        after = c.post("/v1/simulations", json=short).json()["id"]
        done = wait_for(
            lambda: (s := c.get(f"/v1/simulations/{after}").json())["state"] == "done" and s,
            120,
        )
        assert done["result"] is not None
        assert c.delete(f"/v1/simulations/{after}").status_code == 409


def test_jobs_are_owned_and_capped_per_key(server: Server) -> None:
    other = second_planner(server)
    with server.client("planner") as c, server.client("admin") as admin:
        mine = [c.post("/v1/simulations", json=LONG) for _ in range(3)]
        assert [r.status_code for r in mine] == [202, 202, 429]
        assert int(mine[2].headers["retry-after"]) > 0
        assert "at most 2" in mine[2].json()["detail"]
        job = mine[0].json()["id"]
        with httpx.Client(base_url=server.url, headers={"X-API-Key": other}) as theirs:
            for method, path in (
                ("GET", f"/v1/simulations/{job}"),
                ("GET", f"/v1/simulations/{job}/report"),
                ("DELETE", f"/v1/simulations/{job}"),
            ):
                r = theirs.request(method, path)
                assert r.status_code == 404, (method, path, r.text)
                assert "textbook" not in r.text
            # the other planner's own quota is untouched by this planner's jobs
            own = theirs.post("/v1/simulations", json={**LONG, "replications": 1})
            assert own.status_code == 202
            assert theirs.delete(f"/v1/simulations/{own.json()['id']}").status_code == 200
        seen = admin.get(f"/v1/simulations/{job}")
        assert seen.status_code == 200 and seen.json()["request"]["scenario"] == "textbook_mmc"
        assert admin.delete(f"/v1/simulations/{mine[1].json()['id']}").status_code == 200
        assert c.delete(f"/v1/simulations/{job}").status_code == 200
        # with both cancelled, the key may start jobs again
        again = c.post("/v1/simulations", json=LONG)
        assert again.status_code == 202
        assert c.delete(f"/v1/simulations/{again.json()['id']}").status_code == 200


def test_a_worker_past_its_memory_limit_fails_the_job_only(tmp_path: Path) -> None:
    # 3e7 referrals a year took a worker past 4 GB in 18 s; this server allows that many
    # (the size limit is not what is tested here) but gives each worker 1.2 GB, of which
    # a spawned worker's imports take about 0.6 GB.
    srv = start_server(
        tmp_path, REMISS_WORKER_MEMORY_MB="1200", REMISS_MAX_REFERRALS_PER_YEAR="1e8"
    )
    try:
        with srv.client("planner") as c:
            busy = small_scenario(
                demand={"split": "population", "referrals_per_year": 3e7},
                run={"horizon_days": 400, "warmup_days": 10, "replications": 1},
            )
            job = c.post("/v1/simulations", json={"scenario": busy}).json()["id"]
            state = wait_for(
                lambda: (s := c.get(f"/v1/simulations/{job}").json())["state"] == "failed" and s,
                180,
            )
            assert "MemoryError" in state["error"], state
            assert c.get("/v1/scenarios").status_code == 200  # the service goes on
    finally:
        srv.stop()


def test_stopping_the_server_stops_its_workers(tmp_path: Path) -> None:
    srv = start_server(tmp_path)
    stopped = False
    try:
        with srv.client("planner") as c:
            job = c.post("/v1/simulations", json=LONG).json()["id"]
            pids = running_with_workers(srv, c, job)
        assert srv.proc is not None
        srv.proc.terminate()  # SIGTERM, as systemd or Ctrl-C would
        srv.proc.wait(30)
        stopped = True
        wait_for(lambda: not alive(pids), 20)
        srv.start()
        with srv.client("planner") as c:
            state = c.get(f"/v1/simulations/{job}").json()
            assert state["state"] == "failed" and state["error"] == "stopped with the server"
    finally:
        if stopped or srv.proc is not None:
            srv.stop()
