# medic: `make run` starts the daemon on the embedded default config; `make test` runs everything.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE_DIR ?= build/release
TEST_DIR ?= build/test
TSAN_DIR ?= build/tsan
LISTEN ?= 127.0.0.1:9469
CMAKE_FLAGS ?=

.PHONY: run build test test-asan test-release test-tsan fuzz-smoke deps deps-test bench format tidy clean

deps:
	@bash scripts/install-deps.sh build

deps-test:
	@bash scripts/install-deps.sh test

build: deps
	@cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release -DMEDIC_BUILD_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(RELEASE_DIR) -j $(JOBS) --target medic

run: build
	@echo "medic: open http://$(LISTEN)/ in a browser; point Prometheus at http://$(LISTEN)/metrics"
	@exec $(RELEASE_DIR)/medic --web.listen-address=$(LISTEN)

# Everything CI runs: the whole suite under ASan+UBSan, the concurrent parts under TSan, a
# bounded run of every fuzzer, and the plain CMake workflow (Release, tests on) in the directory
# `make run` uses: GCC warns differently at -O2, and -Werror must break neither the README's
# first command nor `cmake -S . -B build && cmake --build build`.
# TEST_REPEAT=N runs every ctest entry N times (stopping at its first failure) to shake out races.
test: test-asan test-tsan fuzz-smoke test-release

# The whole suite, built with AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps-test
	@cmake -S . -B $(TEST_DIR) -DCMAKE_BUILD_TYPE=Debug -DMEDIC_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TEST_DIR) -j $(JOBS)
	@bash scripts/run-tests.sh $(TEST_DIR)

# The default CMake build type (Release) with the tests on; the unit tests run there too, since
# the optimiser exposes what -O0 hides.
test-release: deps-test
	@cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release -DMEDIC_BUILD_TESTS=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(RELEASE_DIR) -j $(JOBS)
	@bash scripts/run-tests.sh $(RELEASE_DIR) -L unit

# The concurrent parts (collector registry, HTTP server, journal, webhook service, remediation
# engine and its workers, logs collector) under ThreadSanitizer: test files labelled tsan.
test-tsan: deps-test
	@cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DMEDIC_TSAN=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TSAN_DIR) -j $(JOBS)
	@bash scripts/run-tests.sh $(TSAN_DIR) -L tsan

# Every libFuzzer target for FUZZ_SECONDS each (default 30) from its seed corpus.
fuzz-smoke: deps-test
	@bash scripts/fuzz-smoke.sh build/fuzz

bench: deps
	@bash scripts/install-deps.sh all
	@bash bench/run.sh

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h' '*.cc')

tidy:
	@cmake -S . -B build/tidy -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@clang-tidy -p build/tidy --quiet $$(git ls-files 'src/*.cpp')

clean:
	@rm -rf build
