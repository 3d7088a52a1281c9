#!/bin/sh
# Benchmark: medic's log counting vs Debian's mtail on the same 1,000,000 access-log lines.
# Builds a Release medic in build/bench-release, then runs bench/logs_bench.py.
# LINES=N overrides the line count. Exit status 0 only if medic is exact and meets the targets.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/bench-release"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMEDIC_BUILD_TESTS=OFF >/dev/null
make -C "$build" -j2 medic >/dev/null
command -v mtail >/dev/null || { echo "mtail is not installed (apt-get install mtail)" >&2; exit 2; }
exec python3 "$root/bench/logs_bench.py" "$build/medic"
