# Postern: build, run and test.
#
#   make build        install missing Debian packages, configure and build everything (build/postern)
#   make run          build, then serve in dev mode from $(DATA_DIR)
#   make test         build; unit tests; sanitizer build + tests; fuzzers; integration suite;
#                     prints one summary and fails if any stage failed
#   make fmt-check    clang-format check of src/ app/ tests/
#
# The stages of `make test` can be run one by one after `make build`:
#   make test-unit | test-asan | test-fuzz | test-integration

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

JOBS ?= 2
DATA_DIR ?= ./postern-dev
# The integration suite needs Debian's python3 (pytest is a Debian package); a python3 earlier
# in PATH (pyenv) may lack it.
PYTHON ?= /usr/bin/python3
PYTEST_ARGS ?=
POSTERN_BIN ?= $(CURDIR)/build/postern
FUZZ_TIME ?= 20
# libstdc++ 12's <expected> is only enabled when __cpp_concepts >= 202002L. Clang 16 implements
# what that needs (P0848, conditionally trivial special members) but still reports 201907L, so
# the fuzz build raises the macro; clang 14 lacks P0848 and cannot compile std::expected at all.
FUZZ_CC ?= clang-16
FUZZ_CXX ?= clang++-16
FUZZ_CXXFLAGS ?= -U__cpp_concepts -D__cpp_concepts=202002L -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer

FUZZERS := $(sort $(notdir $(basename $(wildcard tests/fuzz/*_fuzz.cpp))))
SOURCES = $(shell find src app tests bench -name '*.cpp' -o -name '*.hpp' 2>/dev/null)

export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

.PHONY: all setup build run test test-unit test-asan test-fuzz test-integration fmt-check clean

all: build

setup:
	scripts/setup.sh

build: setup
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j$(JOBS)

run: build
	build/postern serve --dev --data-dir $(DATA_DIR)

test: build
	scripts/test-all.sh unit asan fuzz integration

test-unit:
	ctest --test-dir build --output-on-failure -j$(JOBS) --timeout 300

# Debug: assert() stays on (NDEBUG unset) and -O0 compiles faster than -O2 under ASan.
test-asan:
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DPOSTERN_SANITIZE=ON -DPOSTERN_PURE_ONLY=ON
	cmake --build build-asan -j$(JOBS)
	ctest --test-dir build-asan --output-on-failure -j$(JOBS) --timeout 600

# Each libFuzzer target runs FUZZ_TIME seconds on its own corpus under build-fuzz/corpus
# (kept between runs), seeded from tests/fuzz/seeds/<target>/ when that exists. A crash leaves
# its input in build-fuzz/artifacts/.
test-fuzz:
ifeq ($(FUZZERS),)
	@echo "fuzz: no tests/fuzz/*_fuzz.cpp targets yet"
else
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=$(FUZZ_CC) -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) \
	  "-DCMAKE_CXX_FLAGS=$(FUZZ_CXXFLAGS)" -DPOSTERN_FUZZ=ON -DPOSTERN_PURE_ONLY=ON
	cmake --build build-fuzz -j$(JOBS) --target $(FUZZERS)
	@mkdir -p build-fuzz/artifacts; failed=0; ran=0; \
	for f in $(FUZZERS); do \
	  mkdir -p build-fuzz/corpus/$$f; seeds=; \
	  if [ -d tests/fuzz/seeds/$$f ]; then seeds=tests/fuzz/seeds/$$f; fi; \
	  echo "fuzz: $$f for $(FUZZ_TIME)s"; ran=$$((ran+1)); \
	  if build-fuzz/$$f -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	       -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/$$f- \
	       build-fuzz/corpus/$$f $$seeds > build-fuzz/$$f.log 2>&1; then \
	    echo "fuzz: $$f ok ($$(grep -o 'stat::number_of_executed_units: *[0-9]*' build-fuzz/$$f.log | grep -o '[0-9]*$$') runs)"; \
	  else \
	    echo "fuzz: $$f FAILED"; tail -n 60 build-fuzz/$$f.log; failed=$$((failed+1)); \
	  fi; \
	done; \
	echo "fuzz: $$((ran-failed)) passed, $$failed failed"; \
	[ $$failed -eq 0 ]
endif

test-integration:
	@test -x $(POSTERN_BIN) || { echo "$(POSTERN_BIN) missing: run make build first"; exit 1; }
	POSTERN_BIN=$(POSTERN_BIN) $(PYTHON) -m pytest tests/integration -ra $(PYTEST_ARGS)

fmt-check:
	@echo "clang-format --dry-run -Werror on $(words $(SOURCES)) files"
	@clang-format --dry-run -Werror $(SOURCES)

clean:
	rm -rf build build-asan build-fuzz
