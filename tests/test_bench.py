"""The benchmark commands run and report (their figures go to the README, not asserted)."""

from click.testing import CliRunner

from bench import run_kiosk_bench
from kioskctl import main


def test_kiosk_bench_small_run(db_url):
    lines = []
    result = run_kiosk_bench(db_url, checkins=12, kiosks=3, out=lines.append)
    assert result["checkins"] == 12 and result["errors"] == 0 and result["unlocks_missing"] == 0
    assert "identify -> unlock frame on the wire" in "\n".join(lines)


def test_locker_bench_command():
    out = CliRunner().invoke(main, ["locker", "bench", "--count", "5"]).output
    assert "8a instant unlock" in out and "wire time of 10 bytes at 9600 baud: 10.42 ms" in out
    out = CliRunner().invoke(main, ["locker", "bench", "--count", "2", "--timing", "real"]).output
    p50 = float(out.split("8a real unlock: p50")[1].split("ms")[0])
    assert p50 >= 500  # the whole transaction: a real board answers after its pulse


def test_panel_bench_small_run(sqlite_url):
    from bench import run_panel_bench
    lines = []
    result = run_panel_bench(sqlite_url, candidates=30, boards=3, out=lines.append)
    assert result["deliveries"] == result["expected"] == 15
    assert "shown on every board" in "\n".join(lines)


def test_load_bench_counts_no_double_assignment(db_url):
    from bench import run_load_bench
    result = run_load_bench(db_url, checkins=10, kiosks=2, out=lambda *_: None)
    assert result["double_assignments"] == 0 and result["errors"] == 0
    assert result["returns"] == 10 and result["returns_missing"] == 0


def test_services_bench_reports_each_service(sqlite_url):
    from bench import run_services_bench
    result = run_services_bench(sqlite_url, out=lambda *_: None)
    assert set(result) == {"kiosk", "panel", "agent"}
    assert all(r["rss_mib"] > 10 for r in result.values())
