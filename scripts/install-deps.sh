#!/usr/bin/env bash
# Installs every Debian package medic's build, tests and benchmarks need.
# Idempotent: installs only what is missing; runs `apt-get update` at most once.
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake pkg-config git
  prometheus-cpp-dev libcurl4-openssl-dev nlohmann-json3-dev
  libhiredis-dev libssl-dev libspdlog-dev libfmt-dev doctest-dev libyaml-cpp-dev
  libre2-dev libsqlite3-dev libcrypt-dev zlib1g-dev libutfcpp-dev libboost1.81-dev
  clang libclang-rt-14-dev
)
TEST_PACKAGES=(
  # cpp-httplib (and the brotli its pkg-config file requires) is for the tests only: their
  # stand-in servers and clients. medic itself serves HTTP with its own code.
  libcpp-httplib-dev libbrotli-dev
  prometheus redis-server prometheus-alertmanager podman runc busybox-static
  openssl curl procps iproute2 python3 sqlite3 jq chromium docker-compose
  # The peers medic replaces: the community dashboards test compares medic against them.
  prometheus-node-exporter prometheus-redis-exporter prometheus-blackbox-exporter
)
BENCH_PACKAGES=(
  wrk hyperfine mtail
)

want=("${BUILD_PACKAGES[@]}")
case "${1:-all}" in
  build) ;;
  test) want+=("${TEST_PACKAGES[@]}") ;;
  all) want+=("${TEST_PACKAGES[@]}" "${BENCH_PACKAGES[@]}") ;;
  *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
# Update the package lists once, only when they are absent or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null | head -1)" ]; then
  $SUDO apt-get update -qq || { echo "install-deps: apt-get update failed" >&2; exit 1; }
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/medic-install-deps.log 2>&1; then
  echo "install-deps: apt-get install failed; the packages that cannot be had:" >&2
  for pkg in "${missing[@]}"; do
    apt-cache show "$pkg" >/dev/null 2>&1 || echo "  $pkg (not in any configured repository)" >&2
  done
  tail -n 20 /tmp/medic-install-deps.log >&2
  exit 1
fi
echo "install-deps: done"
