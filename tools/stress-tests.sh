#!/usr/bin/env bash
# The suite's timing-sensitive part with both cores kept busy, several times in a row:
# the proof that a test waits for events rather than for a clock.  A CPU hog per core runs
# beside the tests (at the same priority, as CI's neighbours do) and is stopped on exit.
#   make test-stress                       3 runs of the timing-sensitive files
#   STRESS_RUNS=5 make test-stress         more runs
#   make test-stress ARGS=tests/           the whole suite under load
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${STRESS_RUNS:-3}
hogs=${STRESS_HOGS:-$(nproc)}
# Whatever waits on a board, a pty, a browser, a camera, a clock or another process.
timing_sensitive=(
  tests/test_lock_agent.py tests/test_serial_drivers.py tests/test_serial_scanner.py
  tests/test_gpio_driver.py tests/test_camera.py tests/test_locker_cli.py tests/test_faults.py
  tests/test_kiosk_api.py tests/test_panel_workflows.py tests/test_live.py
  tests/test_kiosk_browser.py tests/test_commissioning.py tests/test_sqlite_write_lock.py
  tests/test_concurrency.py tests/test_durability.py tests/test_demo.py
)
pids=()
stop_hogs() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_hogs EXIT
for _ in $(seq "$hogs"); do
  python3 -c 'while True: pass' &
  pids+=($!)
done
echo "stress: $hogs CPU hog(s) running (pids ${pids[*]}), $runs run(s)"
if [ "$#" -eq 0 ]; then set -- "${timing_sensitive[@]}"; fi
passed=0
for run in $(seq "$runs"); do
  started=$(date +%s)
  if tools/run-tests.sh "$@"; then
    passed=$((passed + 1))
    echo "stress: run $run of $runs passed in $(( $(date +%s) - started )) s"
  else
    echo "stress: run $run of $runs FAILED after $(( $(date +%s) - started )) s"
    exit 1
  fi
done
echo "stress: $passed of $runs runs passed with $hogs CPU hog(s)"
