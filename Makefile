# synth -- the one entry point.
#   make            build bin/synth
#   make deps       install missing Debian packages (apt-get, non-interactive; root or sudo)
#   make run        deps + build + the demo (fit Adult, generate a large synthetic file)
#   make test       deps + build + unit tests (cmocka) + CLI end-to-end tests (bats)
#   make asan-test  the same tests built with AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz       build the fuzzers (clang libFuzzer) and run each for FUZZ_SECONDS
#   make bench      benchmarks; writes docs/BENCHMARKS.md
#   make lint       cppcheck + banned-function check
#   make cuda       optional CUDA backend for CTGAN (needs nvcc + a GPU to run; never required):
#                   rebuilds everything in build/cuda with -DSYNTH_CUDA, compiles
#                   generators/nn/backend_cuda.cu (cuBLAS + kernels), links cudart/cublas into
#                   bin/synth; `make cuda-test` runs the unit tests of that build (GPU tests skip
#                   when no device is present).  CUDA_HOME, NVCC, CUDA_ARCH override.
#   make nn-bench   CTGAN training-step / inference micro-benchmark at Adult-like sizes
# Variables: CC, CFLAGS, LDFLAGS (user flags are respected), SANITIZE=address,undefined, BUILD=dir.

VERSION := 0.1.0
CC      ?= cc
CFLAGS  ?= -O2 -g
BUILD   ?= build
PKGS    := gsl openblas lapacke sqlite3 jansson zlib libcrypto libmicrohttpd
# Debian packages the build and the tests need (kept in one list; `make deps` installs the missing).
DEB_PKGS := build-essential pkg-config libgsl-dev libopenblas-dev liblapacke-dev libcsv-dev \
            libsqlite3-dev libssl-dev libjansson-dev librandom123-dev zlib1g-dev libmicrohttpd-dev \
            libcmocka-dev bats clang libclang-rt-14-dev cppcheck chromium libxml2-utils jq \
            curl openssl sqlite3 python3
# Only for `make bench`: wall time and peak RSS (/usr/bin/time), the interim quality scorer, wrk (REST API).
BENCH_PKGS := time python3 wrk

WARN := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral -Wvla
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lgsl -lopenblas -llapacke -lsqlite3 -ljansson -lz -lcrypto -lmicrohttpd)
# libcsv ships no .pc file; GSL's pkg-config pulls in gslcblas, which OpenBLAS replaces.
LIBS := $(filter-out -lgslcblas,$(PKG_LIBS)) -lcsv -lpthread -lm $(CUDA_LIBS)
INCLUDES := -Isrc -Igenerators -Iprivacy -Ivalidation -Iapi -Iinfra

ifneq ($(SANITIZE),)
  BUILD := build/san
  SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

ALL_CFLAGS  = $(WARN) $(INCLUDES) $(PKG_CFLAGS) -DSYNTH_VERSION='"$(VERSION)"' -MMD -MP $(SAN_FLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)

LIB_SRC  := $(filter-out src/main.c,$(wildcard src/*.c)) $(wildcard generators/*.c generators/*/*.c) \
            $(wildcard privacy/*.c validation/*.c api/*.c infra/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/src/main.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BIN      := $(if $(SANITIZE),$(BUILD)/bin/synth,bin/synth)

.PHONY: all deps run test unit cli asan-test fuzz fuzz-build bench lint cuda cuda-test nn-bench clean
all: $(BIN)

# bin/synth is either the default build or the `make cuda` one: a stamp per variant (same mtime as
# the binary it linked) makes the next build of the other variant relink it.
BIN_STAMP := $(if $(SANITIZE),,build/.bin-$(if $(CUDA_OBJ),cuda,cpu))
$(BIN): $(MAIN_OBJ) $(BUILD)/libsynth.a $(BIN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJ) $(BUILD)/libsynth.a $(LIBS)
	$(if $(BIN_STAMP),@rm -f build/.bin-cpu build/.bin-cuda && touch -r $@ $(BIN_STAMP))
build/.bin-%:
	@mkdir -p build && touch $@

$(BUILD)/libsynth.a: $(LIB_OBJ) $(CUDA_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsynth.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libsynth.a $(LIBS) -lcmocka

deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi

run: deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

test: deps
	@$(MAKE) --no-print-directory unit cli

unit: $(UNIT_BIN) $(BIN)
	@tests/run-unit.sh $(UNIT_BIN)

cli: $(BIN)
	@SYNTH=$(abspath $(BIN)) tests/run-cli.sh

asan-test: deps
	@$(MAKE) --no-print-directory SANITIZE=address,undefined CFLAGS="-O1 -g" unit cli

FUZZ_SECONDS ?= 20
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
# The library is compiled once for all fuzzers (coverage + sanitizers), then each target links to it.
FUZZ_CFLAGS := $(WARN) -Wno-missing-prototypes $(INCLUDES) $(PKG_CFLAGS) -DSYNTH_VERSION='"$(VERSION)"' -g -O1 \
               -fno-sanitize-recover=all
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<
build/fuzz/libsynth.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^
build/fuzz/%: tests/fuzz/%.c build/fuzz/libsynth.a
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build/fuzz/libsynth.a $(LIBS)
fuzz-build: $(FUZZ_BIN)
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@for f in $(FUZZ_BIN); do name=$$(basename $$f); mkdir -p build/fuzz/corpus-$$name; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 build/fuzz/corpus-$$name tests/fuzz/seeds/$$name 2>&1 | tail -n 2 || exit 1; done

bench: deps
	@missing=""; for p in $(BENCH_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh

lint:
	@tests/lint.sh

# The CUDA backend: only these targets ever call nvcc.  CUDA 13 targets Turing and newer.
CUDA_HOME ?= /usr/local/cuda
NVCC      ?= $(CUDA_HOME)/bin/nvcc
CUDA_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
             -gencode arch=compute_90,code=compute_90
CUDA_MAKE = $(MAKE) --no-print-directory BUILD=build/cuda CFLAGS="$(CFLAGS) -DSYNTH_CUDA" \
            CUDA_OBJ=build/cuda/obj/generators/nn/backend_cuda_cu.o \
            CUDA_LIBS="-L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++"
build/cuda/obj/generators/nn/backend_cuda_cu.o: generators/nn/backend_cuda.cu generators/nn/backend_impl.h generators/nn/nn_rng.h
	@mkdir -p $(dir $@)
	$(NVCC) -O2 -std=c++17 $(CUDA_ARCH) -Isrc -Igenerators -DSYNTH_CUDA -Xcompiler -Wall -c -o $@ $<
cuda:
	@command -v $(NVCC) >/dev/null || { echo "make cuda: $(NVCC) not found (set CUDA_HOME or NVCC)"; exit 2; }
	@$(CUDA_MAKE) all
cuda-test:
	@$(CUDA_MAKE) all
	@$(CUDA_MAKE) unit

NN_BENCH := $(BUILD)/bench/nn_step_bench
$(NN_BENCH): tests/bench/nn_step_bench.c $(BUILD)/libsynth.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libsynth.a $(LIBS)
nn-bench: $(NN_BENCH)
	@$(NN_BENCH) 30 2

clean:
	rm -rf build bin

-include $(shell find $(BUILD) build/fuzz/obj -name '*.d' 2>/dev/null)
