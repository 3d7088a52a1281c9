#!/usr/bin/env bash
# Side-by-side: the same redis-server and the same `openssl s_server` TLS endpoint scraped by
# medic and by Debian's prometheus-redis-exporter / prometheus-blackbox-exporter (tls module).
# Prints scrape p50/p99 (wrk, one connection), CPU per scrape (utime+stime from /proc/PID/stat)
# and RSS of each, then medic/peer ratios. Loopback only; stops only the PIDs it started.
# Usage: bench/cert_redis_bench.sh [path/to/medic] [seconds per run]
set -euo pipefail

MEDIC=${1:-build/medic}
SECONDS_PER_RUN=${2:-10}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
start() { "$@" >"$WORK/$(basename "$1").$RANDOM.log" 2>&1 & PIDS+=($!); LAST_PID=$!; }

# The TLS endpoint: a CA and a leaf made now.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ca.key" \
  -out "$WORK/ca.pem" -days 30 -subj "/CN=bench CA" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/leaf.key" \
  -out "$WORK/leaf.csr" -subj "/CN=bench.test" 2>/dev/null
printf 'subjectAltName=DNS:bench.test\n' >"$WORK/leaf.ext"
openssl x509 -req -in "$WORK/leaf.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial \
  -out "$WORK/leaf.pem" -days 20 -extfile "$WORK/leaf.ext" 2>/dev/null

TLS_PORT=$(free_port); start openssl s_server -accept "127.0.0.1:$TLS_PORT" -cert "$WORK/leaf.pem" \
  -key "$WORK/leaf.key" -www -quiet; wait_port "$TLS_PORT"
REDIS_PORT=$(free_port); start redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
  --appendonly no; wait_port "$REDIS_PORT"

cat >"$WORK/medic-redis.yml" <<YAML
collectors:
  process: false
  redis: {address: "127.0.0.1:$REDIS_PORT", timeout: 2s}
YAML
cat >"$WORK/medic-cert.yml" <<YAML
collectors:
  process: false
  cert:
    endpoints:
      - {name: bench, address: "127.0.0.1:$TLS_PORT", server_name: bench.test, ca_file: "$WORK/ca.pem", timeout: 5s}
YAML
cat >"$WORK/blackbox.yml" <<YAML
modules:
  tls:
    prober: tcp
    timeout: 5s
    tcp:
      tls: true
      tls_config: {server_name: bench.test, ca_file: "$WORK/ca.pem"}
YAML

MEDIC_REDIS_PORT=$(free_port); start "$MEDIC" --config.file="$WORK/medic-redis.yml" \
  --web.listen-address="127.0.0.1:$MEDIC_REDIS_PORT"; MEDIC_REDIS_PID=$LAST_PID
MEDIC_CERT_PORT=$(free_port); start "$MEDIC" --config.file="$WORK/medic-cert.yml" \
  --web.listen-address="127.0.0.1:$MEDIC_CERT_PORT"; MEDIC_CERT_PID=$LAST_PID
REDIS_EXPORTER_PORT=$(free_port); start prometheus-redis-exporter \
  -redis.addr "redis://127.0.0.1:$REDIS_PORT" -web.listen-address "127.0.0.1:$REDIS_EXPORTER_PORT"
REDIS_EXPORTER_PID=$LAST_PID
BLACKBOX_PORT=$(free_port); start prometheus-blackbox-exporter --config.file="$WORK/blackbox.yml" \
  --web.listen-address="127.0.0.1:$BLACKBOX_PORT"; BLACKBOX_PID=$LAST_PID
for port in $MEDIC_REDIS_PORT $MEDIC_CERT_PORT $REDIS_EXPORTER_PORT $BLACKBOX_PORT; do wait_port "$port"; done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
to_ms() { # wrk prints 1.23ms / 456.00us / 1.20s
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v/1000; else if (v ~ /ms$/) print v+0; else if (v ~ /s$/) print v*1000; else print v }'
}

declare -A P50 P99 CPU RSS
measure() { # name pid url
  local name=$1 pid=$2 url=$3
  curl -sf "$url" >/dev/null || { echo "$name: $url does not answer" >&2; exit 1; }
  local before; before=$(cpu_ticks "$pid")
  local out; out=$(wrk -t1 -c1 -d"${SECONDS_PER_RUN}s" --latency "$url")
  local after; after=$(cpu_ticks "$pid")
  local requests; requests=$(awk '/requests in/ {print $1}' <<<"$out")
  P50[$name]=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  P99[$name]=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  local hz; hz=$(getconf CLK_TCK)
  CPU[$name]=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$hz" 'BEGIN {printf "%.3f", n ? t / hz * 1000 / n : 0}')
  RSS[$name]=$(rss_kb "$pid")
  printf '%-16s scrapes=%-7s p50=%8.3fms p99=%8.3fms cpu/scrape=%7sms rss=%6sKiB\n' \
    "$name" "$requests" "${P50[$name]}" "${P99[$name]}" "${CPU[$name]}" "${RSS[$name]}"
}

measure medic-redis "$MEDIC_REDIS_PID" "http://127.0.0.1:$MEDIC_REDIS_PORT/metrics"
measure redis_exporter "$REDIS_EXPORTER_PID" "http://127.0.0.1:$REDIS_EXPORTER_PORT/metrics"
measure medic-cert "$MEDIC_CERT_PID" "http://127.0.0.1:$MEDIC_CERT_PORT/metrics"
measure blackbox-tls "$BLACKBOX_PID" \
  "http://127.0.0.1:$BLACKBOX_PORT/probe?module=tls&target=127.0.0.1:$TLS_PORT"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "ratios medic/peer (lower is better for medic):"
for pair in "medic-redis redis_exporter" "medic-cert blackbox-tls"; do
  set -- $pair
  printf '%-28s p50=%s p99=%s cpu/scrape=%s rss=%s\n' "$1 / $2" \
    "$(ratio "${P50[$1]}" "${P50[$2]}")" "$(ratio "${P99[$1]}" "${P99[$2]}")" \
    "$(ratio "${CPU[$1]}" "${CPU[$2]}")" "$(ratio "${RSS[$1]}" "${RSS[$2]}")"
done
