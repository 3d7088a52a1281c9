#!/usr/bin/env bash
# `make bench`: medic against the peer exporters on the same work, in one run, with ratios.
# Builds medic (Release) and hands over to bench/bench.py, which starts everything on
# 127.0.0.1, prints one table and writes JSON into bench/results/.
#
# Knobs (environment): BENCH_REPEATS (default 5), BENCH_SECONDS (wrk duration per run, default 3),
# BENCH_LOG_LINES (default 100000: mtail needs ~60 CPU-s per million lines here), BENCH_CONTAINERS (default 50), BENCH_WEBHOOK_SECONDS
# (default 5), MEDIC_BINARY (skip the build and bench this binary instead).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ -z "${MEDIC_BINARY:-}" ]]; then
  release_dir=${RELEASE_DIR:-build/release}
  cmake -S . -B "$release_dir" -DCMAKE_BUILD_TYPE=Release -DMEDIC_BUILD_TESTS=OFF >/dev/null
  cmake --build "$release_dir" -j "${JOBS:-2}" --target medic >/dev/null
  MEDIC_BINARY="$root/$release_dir/medic"
fi

for tool in wrk python3 redis-server openssl prometheus-node-exporter prometheus-redis-exporter \
  prometheus-blackbox-exporter mtail; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make deps / scripts/install-deps.sh all)" >&2; exit 1; }
done

python3 "$root/bench/bench.py" --medic "$MEDIC_BINARY" --root "$root" "$@"
# The status page has no peer: its own bars (weight, render time) are printed after the table.
python3 "$root/bench/status_page_bench.py" --medic "$MEDIC_BINARY" --root "$root"
# Wrong-password flood while scraping, medic and node_exporter on the same flood.
python3 "$root/bench/auth_flood_bench.py" --medic "$MEDIC_BINARY" --root "$root"
# 10,000 idle, 500 slowloris and 300 stalled TLS connections while scraping and healing, beside
# node_exporter on the same flood.
python3 "$root/bench/connection_flood_bench.py" --medic "$MEDIC_BINARY" --root "$root"
# A fleet's broadcast: 20 medics behind one Alertmanager receiver, 1,000 alerts for 20 hosts.
python3 "$root/bench/fleet_bench.py" --medic "$MEDIC_BINARY" --root "$root"
echo "bench: whole run ${SECONDS} s (budget: 600 s; includes the build unless MEDIC_BINARY is set)"
