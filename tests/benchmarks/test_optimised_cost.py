"""``remiss-bench optimised`` at smoke size: CPU beside wall, the peer, the load, its table."""

from __future__ import annotations

from benchmarks.optimised_cost import markdown_table, measure


def test_one_replication_reports_cpu_wall_peer_and_load() -> None:
    r = measure("gallsten", replications=1)
    assert r["plans_per_replication"] > 0
    for policy in ("shared", "optimised"):
        assert r[f"{policy}_cpu_s_per_replication"] > 0
        assert r[f"{policy}_wall_s_per_replication"] > 0
    assert r["ratio_optimised_to_shared"] == (
        r["optimised_cpu_s_per_replication"] / r["shared_cpu_s_per_replication"]
    )
    assert 0 < r["solver_share_of_optimised"] <= r["planning_share_of_optimised"] <= 1.0
    assert len(r["load_before"]) == 3 and len(r["load_after"]) == 3
    table = markdown_table(r)
    assert "| shared (peer), CPU s per replication |" in table and "load average" in table
