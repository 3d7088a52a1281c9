#!/usr/bin/env bash
# Scrape latency and medic CPU per scrape for the container collector with N running containers
# on a private podman engine (loopback only). Prints p50/p99 latency and CPU ms per scrape.
#
#   bench/container_bench.sh [MEDIC_BINARY] [CONTAINERS=50] [SCRAPES=200] [IDLE_SECONDS=20]
#
# Scrapes serve the background refresher's figures, so the CPU that refresher spends is
# reported on its own too: medic's CPU while nobody scrapes, per second and per refresh
# (refresh_interval 5s, the default).
#
# Target (issue 3): p99 < 100 ms and < 20 ms CPU per scrape at 50 containers on 2 cores.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
medic=${1:-$root/build/medic}
containers=${2:-50}
scrapes=${3:-200}
idle_seconds=${4:-20}
refresh_seconds=5
[[ -x $medic ]] || { echo "no medic binary at $medic (build first)" >&2; exit 1; }

work=$(mktemp -d /tmp/medic-container-bench.XXXXXX)
engine="$work/engine"
medic_pid=""
names=()

cleanup() {
  if [[ -n $medic_pid ]]; then kill "$medic_pid" 2>/dev/null || true; wait "$medic_pid" 2>/dev/null || true; fi
  if [[ ${#names[@]} -gt 0 ]]; then
    podman --remote --url "unix://$engine/podman.sock" rm -f -t 0 "${names[@]}" >/dev/null 2>&1 || true
  fi
  "$root/scripts/podman-env.sh" destroy "$engine" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

socket=$("$root/scripts/podman-env.sh" start "$engine" | tail -1)
remote=(podman --remote --url "unix://$socket")
echo "starting $containers containers…" >&2
for i in $(seq 1 "$containers"); do
  name="medic-bench-$$-$i"
  "${remote[@]}" run -d --name "$name" --network none --memory 64m \
    --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
    localhost/medic-busybox:latest sleep 100000 >/dev/null
  names+=("$name")
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/medic.yml" <<EOF
web: {listen_address: "127.0.0.1:$port"}
docker: {host: "unix://$socket", timeout: 10s}
collectors:
  process: false
  container:
    max_parallel_stats: 8
    refresh_interval: ${refresh_seconds}s
EOF
"$medic" --config.file="$work/medic.yml" --no-collector.process --log.level=warn \
  >"$work/medic.log" 2>&1 &
medic_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

running=$(curl -fsS "http://127.0.0.1:$port/metrics" | grep -c '^medic_container_running{.*} 1' || true)
echo "medic sees $running running containers" >&2

# Warm-up (API version negotiation, system/df cache).
for _ in 1 2 3; do curl -fsS -o /dev/null "http://127.0.0.1:$port/metrics"; done

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$medic_pid/stat"; }
cpu_before=$(cpu_ticks)
: >"$work/latency"
for _ in $(seq 1 "$scrapes"); do
  curl -fsS -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics" >>"$work/latency"
done
cpu_after=$(cpu_ticks)
sleep "$idle_seconds"
cpu_idle=$(($(cpu_ticks) - cpu_after))

sort -n "$work/latency" | awk -v scrapes="$scrapes" -v containers="$containers" \
  -v cpu="$((cpu_after - cpu_before))" -v ticks="$ticks" '
  { v[NR] = $1 }
  END {
    p50 = v[int(NR * 0.50 + 0.5)]; p99 = v[int(NR * 0.99 + 0.5)]
    printf "containers=%d scrapes=%d p50=%.1fms p99=%.1fms max=%.1fms cpu_per_scrape=%.2fms\n",
           containers, scrapes, p50 * 1000, p99 * 1000, v[NR] * 1000, cpu * 1000 / ticks / scrapes
  }'
awk -v cpu="$cpu_idle" -v ticks="$ticks" -v seconds="$idle_seconds" -v refresh="$refresh_seconds" \
  -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
  BEGIN {
    printf "background (no scrapes, %ds): cpu=%.2fms/s cpu_per_refresh=%.1fms load=%s\n",
           seconds, cpu * 1000 / ticks / seconds, cpu * 1000 / ticks / seconds * refresh,
           load
  }'
