#!/usr/bin/env bash
# Builds every libFuzzer target with clang (+ASan+UBSan) and runs each for FUZZ_SECONDS (default 24)
# from its committed seed corpus. Fails on any crash, leak or sanitizer report.
# CI budget: targets x FUZZ_SECONDS should stay at about 4 minutes (10 targets x 24 s);
# lower the default when adding targets rather than letting make test grow.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build/fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-24}
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug -DMEDIC_BUILD_FUZZERS=ON \
  -DMEDIC_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
failed=0
for source in fuzz/*_fuzz.cpp; do
  name=$(basename "$source" .cpp)
  corpus_seed="fuzz/corpus/${name%_fuzz}"
  work="$BUILD_DIR/corpus/$name"
  mkdir -p "$work" "$BUILD_DIR/artifacts"
  echo "fuzz: $name for ${SECONDS_EACH}s"
  if ! "$BUILD_DIR/fuzz/$name" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$BUILD_DIR/artifacts/$name-" "$work" "$corpus_seed" \
      >"$BUILD_DIR/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; last lines of $BUILD_DIR/$name.log:" >&2
    tail -n 40 "$BUILD_DIR/$name.log" >&2
    failed=1
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$BUILD_DIR/$name.log" | tail -n 1 || true
  fi
done
exit $failed
