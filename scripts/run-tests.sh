#!/usr/bin/env bash
# Runs ctest in BUILD_DIR with the servers the tests share (a private podman engine serving the
# Docker API), and stops what it started, whatever happens. Extra args go to ctest.
# Servers that a single test needs (redis-server, openssl s_server, alertmanager, prometheus)
# are started by that test on free loopback ports and stopped by PID.
set -euo pipefail
BUILD_DIR=$(realpath "${1:?usage: run-tests.sh BUILD_DIR [ctest args]}")
shift
cd "$(dirname "$0")/.."

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$(pwd)/tests/tsan.supp}

if [ -x scripts/podman-env.sh ]; then
  PODMAN_DIR="$BUILD_DIR/podman"
  # Absolute: the EXIT trap runs after the cd into BUILD_DIR below (a relative path made the
  # stop fail silently and left the engine running after every run).
  PODMAN_ENV="$(pwd)/scripts/podman-env.sh"
  stop_podman() { bash "$PODMAN_ENV" stop "$PODMAN_DIR" >/dev/null 2>&1 || true; }
  trap stop_podman EXIT
  MEDIC_TEST_DOCKER_HOST="unix://$(bash scripts/podman-env.sh start "$PODMAN_DIR" | tail -n 1)"
  export MEDIC_TEST_DOCKER_HOST
  echo "run-tests: podman Docker API at $MEDIC_TEST_DOCKER_HOST"
fi

cd "$BUILD_DIR"
# TEST_REPEAT=N: every entry runs N times and stops at its first failure (flaky tests are bugs).
repeat=()
if [ -n "${TEST_REPEAT:-}" ]; then
  [[ "$TEST_REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "run-tests: TEST_REPEAT must be a positive integer" >&2; exit 2; }
  repeat=(--repeat "until-fail:$TEST_REPEAT")
fi
ctest --output-on-failure --timeout 600 -j "${CTEST_JOBS:-2}" "${repeat[@]}" "$@"
