"""``remiss-bench optimised`` at smoke size: CPU beside wall, the peer, the load, the docs table."""

from __future__ import annotations

from pathlib import Path

from benchmarks.optimised_cost import BEGIN, END, markdown_table, measure, update_docs


def test_one_replication_reports_cpu_wall_peer_and_load(tmp_path: Path) -> None:
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

    page = tmp_path / "benchmarks.md"
    page.write_text(f"# B\n\n{BEGIN}\nold\n{END}\n\nafter\n", encoding="utf-8")
    assert update_docs(table, page)
    text = page.read_text(encoding="utf-8")
    assert "old" not in text and table in text and text.endswith(f"{END}\n\nafter\n")
    assert not update_docs(table, tmp_path / "missing.md")
