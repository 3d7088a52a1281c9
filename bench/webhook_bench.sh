#!/usr/bin/env bash
# Webhook ingestion benchmark: wrk posts realistic 5-alert Alertmanager notifications over
# 4 connections for 20 s to a medic whose journal is on disk in its durable mode
# (WAL + synchronous=FULL, group commit). Prints accepted requests/s, p50/p99, and the
# fsync-bound ceiling of this disk (serial commits, one fsync each).
#
# usage: bench/webhook_bench.sh [build-dir] [duration] [connections]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
duration="${2:-20s}"
connections="${3:-4}"
medic="$build/medic"
[[ -x $medic ]] || { echo "build medic first ($medic missing)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/install-deps.sh)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/medic-bench-XXXXXX")"
medic_pid=""
cleanup() {
  if [[ -n $medic_pid ]]; then kill "$medic_pid" 2>/dev/null || true; wait "$medic_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
echo "bench-token" >"$work/token"
cat >"$work/medic.yml" <<YAML
data_dir: $work/data
collectors: {filesystem: {mountpoints: [/]}}
webhook:
  bearer_token_file: $work/token
targets: [review-bot]
remediations:
  # Matches nothing the benchmark sends: this measures ingestion (parse, auth, journal).
  - name: service-down
    match: {alertname: ServiceDown}
    target: review-bot
    steps: [restart]
YAML

"$medic" --config.file="$work/medic.yml" --web.listen-address="127.0.0.1:$port" --log.level=warn \
  >"$work/medic.log" 2>&1 &
medic_pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== fsync-bound ceiling on $(df --output=source "$work" | tail -1) =="
python3 - "$work" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
n = 2000
start = time.perf_counter()
for i in range(n):
    os.pwrite(fd, b"x" * 4096, (i % 16) * 4096)
    os.fdatasync(fd)
took = time.perf_counter() - start
os.close(fd)
print(f"fsync            {took / n * 1e6:.0f} us each -> {n / took:.0f} serial commits/s")
print("                 (one commit per request without group commit; group commit shares one")
print("                 fsync among every request that arrived during the previous commit)")
PY

# medic's own CPU (user+system clock ticks from /proc/PID/stat) per accepted notification:
# a figure that stays meaningful when other work shares the machine and skews req/s.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$medic_pid/stat"; }
accepted() {
  curl -fsS "http://127.0.0.1:$port/metrics" | awk '/^medic_webhook_requests_total\{code="200"\}/ {print $2}'
}
ticks_before="$(cpu_ticks)"
accepted_before="$(accepted)"

echo "== wrk: $connections connections, $duration, 5 alerts per request (load $(cut -d' ' -f1-3 /proc/loadavg)) =="
MEDIC_BENCH_TOKEN=bench-token wrk -t 2 -c "$connections" -d "$duration" --latency \
  -s "$here/webhook_bench.lua" "http://127.0.0.1:$port" | sed -n '/^requests/,$p'

ticks_after="$(cpu_ticks)"
accepted_after="$(accepted)"
python3 - "$ticks_before" "$ticks_after" "$accepted_before" "$accepted_after" "$(getconf CLK_TCK)" <<'PY'
import sys
t0, t1, a0, a1, hz = (float(v) for v in sys.argv[1:])
n = max(a1 - a0, 1)
print(f"medic CPU       {(t1 - t0) / hz:.2f} s for {n:.0f} notifications = {(t1 - t0) / hz / n * 1e6:.0f} us each")
PY
echo "load average    $(cut -d' ' -f1-3 /proc/loadavg) after the run"

echo "== journal =="
curl -fsS "http://127.0.0.1:$port/metrics" | grep -E '^medic_webhook_requests_total|^medic_journal_write_errors_total|^medic_journal_commits_total|^medic_journal_writes_total' || true
ls -la "$work/data" | grep journal || true
