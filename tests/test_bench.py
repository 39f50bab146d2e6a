"""The benchmark commands run and report (their figures go to the README, not asserted)."""

import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from bench import production
from kioskctl import main


def test_production_bench_runs_every_service_as_its_own_process(db_url):
    lines = []
    kiosks = 2
    result = production.run(db_url, kiosks=kiosks, checkins=10, idle=0.5, out=lines.append)
    assert result["checkins"] == 10 and result["errors"] == 0 and result["unlocks_missing"] == 0
    assert result["double_assignments"] == 0
    assert set(result["processes"]) == {f"{kind}-{k}" for kind in ("kiosk", "agent") for k in range(kiosks)}
    for name, p in result["processes"].items():
        assert p["rss_mib"] > 10 and p["ready_s"] > 0 and p["writes_per_checkin"] > 0, name
    assert result["processes"]["kiosk-0"]["writes_per_checkin"] <= 2.5  # acknowledgements ride along
    assert "identify -> unlock frame on the wire" in "\n".join(lines)


def test_the_production_bench_profiles_each_service_over_its_load(sqlite_url):
    lines = []
    result = production.run(None, kiosks=1, checkins=8, idle=0.2, out=lines.append, profile=True)
    assert result["errors"] == 0 and set(result["profiles"]) == {"kiosk-0", "agent-0"}
    kiosk, agent = result["profiles"]["kiosk-0"], result["profiles"]["agent-0"]
    # Each check-in's own statements and commits, counted where every statement goes through.
    assert kiosk["statements"] >= 8 and 1.5 <= kiosk["commits"] <= 2.5
    assert agent["statements"] >= 3 and agent["commits"] >= 1
    assert kiosk["layers_ms"]["SQLAlchemy"] > 0 and kiosk["cpu_ms"] > 0
    assert any(name.startswith("check_in (attestation/checkin.py)") for name, _ in kiosk["functions_ms"])
    assert any("most CPU under" in line for line in lines)


def test_a_burst_of_unlocks_goes_out_back_to_back(sqlite_url):
    result = production.run_burst(None, unlocks=30, boards=6, out=lambda *_: None)
    assert result["seen"] == 30
    # No poll of the cabinet's 6 boards between two waiting unlocks: at most a read of the
    # 2 boards whose doors were pulsed (a pulsed door is read within 0.25 s).
    assert result["queries_between_max"] <= 2


def test_locker_bench_command():
    out = CliRunner().invoke(main, ["locker", "bench", "--count", "5"]).output
    assert "8a instant unlock" in out and "wire time of 10 bytes at 9600 baud: 10.42 ms" in out
    out = CliRunner().invoke(main, ["locker", "bench", "--count", "2", "--timing", "real"]).output
    p50 = float(out.split("8a real unlock: p50")[1].split("ms")[0])
    assert p50 >= 500  # the whole transaction: a real board answers after its pulse


def test_live_board_bench_small_run(db_url):
    from bench import live_board
    lines = []
    result = live_board.run(db_url, candidates=30, boards=20, changes=3, gap=0.1, out=lines.append)
    assert result["deliveries"] == result["expected"] == 60
    # every change reached every board in the stream itself: no board fetched anything
    assert result["diffs"] == 60 and result["fetches_during"] == 0
    assert result["threads"] < 20  # the panel holds 20 streams without a thread each
    assert "shown on every board" in "\n".join(lines)


def test_api_bench_counts_the_writes_of_a_check_in(db_url):
    from bench import api_calls
    result = api_calls.run(db_url, 5, out=lambda *_: None)
    # the acknowledgements ride with the check-in: identify and check-in are the only writes
    assert result["write_transactions"] == 2.0
    assert result["statements"] > 0 and result["checkin_p50_ms"] > 0


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


def test_archive_bench_finds_the_prepared_documents(db_url):
    from bench import archive
    lines = []
    result = archive.run(db_url, candidates=4, out=lines.append)
    assert result["documents"] == 2 * (4 + 1 + 2)      # files, protocol, two acts; kk and ru
    assert result["laid_out_in_download"] == 0
    assert len(result["times"]) == 4 and "download after the close prepared it" in "\n".join(lines)


def test_the_page_bench_takes_a_person_through_the_kiosk_page():
    from bench import kiosk_page
    lines = []
    results = kiosk_page.run(people=1, throttles=(4,), out=lines.append)
    screens = results[4]["screens"]
    # every tap of the walk answered by its next screen, measured in the page
    for step in ("lang-kk -> identify", "key-continue -> checking", "person-yes -> stages",
                 "stages-ack -> rules", "rules-ack -> opening", "done-restart -> welcome"):
        assert len(screens[step]) == 1, (step, sorted(screens))
    assert results[4]["loads"][0][0] > 0 and results[4]["taps"]
    assert "navigation -> first paint" in "\n".join(lines)


def test_the_cpu_limiter_writes_a_quota_per_process(tmp_path):
    from bench import cpu_limit
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("cpu memory\n")
    limiter = cpu_limit.limiter(root=tmp_path)
    limiter.limit(4242, "kiosk-0")
    group = next(tmp_path.glob("attestation-bench-*-kiosk-0"))
    assert (group / "cpu.max").read_text() == "33333 100000" and (group / "cgroup.procs").read_text() == "4242"
    assert "cgroup v2 cpu.max" in limiter.describe()
    (tmp_path / "cgroup.controllers").write_text("memory pids\n")
    with pytest.raises(cpu_limit.CpuLimitUnavailable, match="without the cpu controller"):
        cpu_limit.limiter(root=tmp_path)


def test_a_limited_process_gets_a_third_of_a_core_or_the_bench_says_why():
    """Where this machine has a cgroup the bench may write (CI runs as root), a busy process
    put under the limit uses no more than its quota; elsewhere --pi refuses, naming why."""
    from bench import cpu_limit
    try:
        limiter = cpu_limit.limiter()
    except cpu_limit.CpuLimitUnavailable as exc:
        assert "cannot limit the services' CPU" in str(exc)
        result = CliRunner().invoke(main, ["bench", "page", "--pi"])
        assert result.exit_code == 1 and "cannot limit" in result.output
        return
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        limiter.limit(busy.pid, "busy")
        with open(f"/proc/{busy.pid}/stat") as f:
            before = sum(int(v) for v in f.read().rsplit(")", 1)[1].split()[11:13])
        began = time.monotonic()
        time.sleep(2.0)
        with open(f"/proc/{busy.pid}/stat") as f:
            after = sum(int(v) for v in f.read().rsplit(")", 1)[1].split()[11:13])
        share = (after - before) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - began)
        assert share < 0.45, share  # a third, and the clock ticks' rounding; never a whole core
    finally:
        busy.kill()
        busy.wait()
        limiter.close()
