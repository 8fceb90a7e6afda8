# ngx_http_azoai_module: build, test, run and benchmark.
#
#   make          build/ngx_http_azoai_module.so against the installed NGINX
#                 and build/azoai-catalog, the catalog tool
#   make test     style + make + C unit tests (plain, ASan/UBSan) + t/ (prove)
#   make -j2 test-bins  every binary the tests run, built ahead in parallel
#   make NGINX_SRC=DIR [integration]  the same against another NGINX source
#   make nginx-matrix  t/ against the installed NGINX and Debian's 1.26, 1.30
#   make deb      libnginx-mod-http-azoai_VERSION_ARCH.deb (make deb-test)
#   make run      NGINX with conf.example/ in front of a local stand-in
#   make bench    engine, end-to-end, token budget and file upload benchmarks
#   make bench-check  instructions per request against bench/baseline (+3%)
#   make fuzz     libFuzzer targets, FUZZ_SECONDS each, FUZZ_JOBS at a time
#   make unit-nosimd fuzz-nosimd  the same with the SIMD paths compiled out
#   make unit-sse2  the unit tests with the AVX2 paths compiled out (SSE2)
#   make style    80 columns and function length (tools/style.pl)
#   make engine-diff BASE=REV [N=20000]  the core against revision REV on
#                 the same bodies: masks, matches, names must be identical

SHELL       := /bin/bash
BUILD       := build
AZOAI_VERSION := 0.1.0
DEB_VERSION ?= $(AZOAI_VERSION)-1
DEB         := $(BUILD)/libnginx-mod-http-azoai_$(DEB_VERSION)_$(shell \
                   dpkg --print-architecture 2>/dev/null || echo amd64).deb

# The NGINX to build against: Debian's nginx-dev tree of the installed
# NGINX by default, or any NGINX source tree (make NGINX_SRC=DIR), whose
# binary is then built too and used by the tests (build/nginx-VERSION/)
NGX_PKG_SRC := /usr/share/nginx/src
NGX_SRC     ?= $(NGX_PKG_SRC)
NGINX_SRC   ?= $(NGX_SRC)

ifeq ($(abspath $(NGINX_SRC)),$(NGX_PKG_SRC))
NGX_BUILD   := $(BUILD)/nginx
MODULE      := $(BUILD)/ngx_http_azoai_module.so
NGX_TARGETS := modules
NGINX       ?= /usr/sbin/nginx
else
NGX_VERSION := $(shell sed -n 's/^\#define NGINX_VERSION *"\(.*\)"/\1/p' \
                   $(NGINX_SRC)/src/core/nginx.h)
NGX_BUILD   := $(BUILD)/nginx-$(NGX_VERSION)
MODULE      := $(NGX_BUILD)/ngx_http_azoai_module.so
NGX_TARGETS := binary modules
NGINX       ?= $(CURDIR)/$(NGX_BUILD)/objs/nginx
endif
CORE_DIR    := ngx_http_azoai_module/core
CORE_SRC    := $(wildcard $(CORE_DIR)/*.c)
CORE_HDR    := $(wildcard $(CORE_DIR)/*.h)
CATALOG     := conf.example/azoai-catalog.json
GEN_SRC     := $(BUILD)/gen/azoai_catalog_builtin_json.c
GLUE_SRC    := $(wildcard ngx_http_azoai_module/*.c ngx_http_azoai_module/*.h)
TESTS       := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
TEST_HDR    := $(wildcard tests/*.h)
FUZZERS     := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 30
TOOL        := $(BUILD)/azoai-catalog
TOOL_SRC    := tools/azoai_catalog_tool.c

CC          ?= cc
CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Werror -Wno-unused-parameter
CORE_CFLAGS := $(CFLAGS) $(WARN) -std=gnu99 -I$(CORE_DIR)
CORE_LIBS   := -lpcre2-8 -lcjson -lcrypto
SAN_FLAGS   := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all

# the core with its SIMD paths compiled out (no SSE2, no AVX2), so that
# the scalar fallbacks are tested too: make unit-nosimd, make fuzz-nosimd
NOSIMD_FLAGS := -U__SSE2__ -DAZOAI_NO_AVX2
# and the SSE2 paths, which a CPU without AVX2 runs (this one has it):
# make unit-sse2
SSE2_FLAGS  := -DAZOAI_NO_AVX2
SAN_CFLAGS  := $(SAN_FLAGS) $(WARN) -std=gnu99 -I$(CORE_DIR)

# make fuzz-nosimd: the same fuzzers with NOSIMD_FLAGS (FUZZ_DIR names
# where each build lives)
FUZZ_DIR    ?= fuzz
FUZZ_FLAGS  ?=
FUZZ_CFLAGS := -O1 -g $(FUZZ_FLAGS) -I$(CORE_DIR)
FUZZ_LIB_CFLAGS := $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined

CORE_LIB        := $(BUILD)/lib/libazoai-core.a
CORE_LIB_ASAN   := $(BUILD)/lib/libazoai-core-asan.a
CORE_LIB_NOSIMD := $(BUILD)/lib/libazoai-core-nosimd.a
CORE_LIB_SSE2   := $(BUILD)/lib/libazoai-core-sse2.a
CORE_LIB_FUZZ   := $(BUILD)/lib/libazoai-core-$(FUZZ_DIR).a

# Debian packages the build, the tests and the benchmarks need
DEB_PKGS    := nginx nginx-dev libpcre2-dev libcjson-dev libssl-dev \
               libcmocka-dev clang libclang-rt-14-dev valgrind wrk curl bc \
               perl dpkg-dev lintian ngtcp2-client nghttp2-client
DEB_MARK    := $(BUILD)/.deps

.PHONY: FORCE all deps test test-bins unit unit-nosimd unit-sse2 unit-asan \
        integration \
        engine-diff \
        valgrind soak run bench bench-check bench-tlimit bench-upload fuzz \
        fuzz-nosimd style clean nginx-matrix deb deb-test

all: $(MODULE) $(TOOL)

deps: $(DEB_MARK)

$(DEB_MARK):
	@mkdir -p $(BUILD)
	@missing=""; for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	        | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "installing:$$missing"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	            apt-get install -y -qq $$missing >/dev/null || exit 1; \
	    else \
	        echo "missing Debian packages:$$missing (run make as root" \
	             "or install them)"; exit 1; \
	    fi; \
	fi; touch $@

# NGINX's own build system compiles the module against the installed
# version's headers and configure flags (same --with-compat signature).
# NGINX's configure lists the module's files: run it again when they change
SRC_LIST    := $(BUILD)/.srclist

$(SRC_LIST): FORCE
	@mkdir -p $(BUILD)
	@echo "$(CORE_SRC) $(GLUE_SRC)" | cmp -s - $@ \
	    || echo "$(CORE_SRC) $(GLUE_SRC)" > $@

FORCE:

$(GEN_SRC): $(CATALOG) tools/catalog2c.sh
	@mkdir -p $(dir $@)
	sh tools/catalog2c.sh $(CATALOG) >$@

MODULE_MAP  := ngx_http_azoai_module/ngx_http_azoai_module.map

$(NGX_BUILD)/objs/Makefile: config $(MODULE_MAP) $(SRC_LIST) $(CATALOG) \
		tools/ngx-configure.sh | $(DEB_MARK)
	tools/ngx-configure.sh $(NGINX_SRC) $(NGX_BUILD) $(CURDIR)

# a new file renamed into place, not copied over the old one: an NGINX
# still running with it loaded (make run, a benchmark) would execute the
# new bytes at the old addresses and crash at its next request
$(MODULE): $(NGX_BUILD)/objs/Makefile $(CORE_SRC) $(CORE_HDR) $(GLUE_SRC)
	$(MAKE) -s -C $(NGX_BUILD) -f objs/Makefile $(NGX_TARGETS)
	cp $(NGX_BUILD)/objs/ngx_http_azoai_module.so $@.new
	mv -f $@.new $@

# the catalog tool: the module's core catalog code, built-in table and
# policy behind a command line (README, "The catalog tool")
$(TOOL): $(TOOL_SRC) $(CORE_HDR) $(CORE_LIB) | $(DEB_MARK)
	@echo "CC $@"
	@$(CC) $(CORE_CFLAGS) -o $@ $(TOOL_SRC) $(CORE_LIB) $(CORE_LIBS)

# The core compiled once per flavour into a static library that the unit
# tests, the fuzzers, the catalog tool and bench_engine link against:
# build/lib/libazoai-core.a (CORE_CFLAGS), -asan.a (SAN_FLAGS), -nosimd.a
# (NOSIMD_FLAGS), -sse2.a (SSE2_FLAGS) and -$(FUZZ_DIR).a (libFuzzer's
# coverage, ASan, UBSan).
# Objects live in build/obj/FLAVOUR/ with the headers each includes
# (-MMD: build/obj/FLAVOUR/*.d), so a changed core file or header rebuilds
# what uses it, then the library, then every binary linked against it.
CORE_OBJS   = $(patsubst $(CORE_DIR)/%.c,$(BUILD)/obj/$(1)/%.o,$(CORE_SRC)) \
              $(BUILD)/obj/$(1)/$(notdir $(GEN_SRC:.c=.o))

# $(call core_lib,FLAVOUR,COMPILER AND FLAGS): objects and library rules
define core_lib
$(BUILD)/obj/$(1)/%.o: $(CORE_DIR)/%.c | $(DEB_MARK)
	@mkdir -p $$(dir $$@)
	@echo "CC ($(1)) $$@"
	@$(2) -MMD -MP -c -o $$@ $$<

$(BUILD)/obj/$(1)/$(notdir $(GEN_SRC:.c=.o)): $(GEN_SRC) | $(DEB_MARK)
	@mkdir -p $$(dir $$@)
	@echo "CC ($(1)) $$@"
	@$(2) -MMD -MP -c -o $$@ $$<

$(BUILD)/lib/libazoai-core$(if $(filter plain,$(1)),,-$(1)).a: \
		$(call CORE_OBJS,$(1))
	@mkdir -p $$(dir $$@)
	@echo "AR $$@"
	@rm -f $$@ && ar rcs $$@ $$^

-include $(wildcard $(BUILD)/obj/$(1)/*.d)
endef

$(eval $(call core_lib,plain,$(CC) $(CORE_CFLAGS)))
$(eval $(call core_lib,asan,clang $(SAN_CFLAGS)))
$(eval $(call core_lib,nosimd,$(CC) $(CORE_CFLAGS) $(NOSIMD_FLAGS)))
$(eval $(call core_lib,sse2,$(CC) $(CORE_CFLAGS) $(SSE2_FLAGS)))
$(eval $(call core_lib,$(FUZZ_DIR),clang $(FUZZ_LIB_CFLAGS)))

# C unit tests of the core (cmocka), plain and with sanitizers

$(BUILD)/unit/%: tests/%.c $(CORE_HDR) $(TEST_HDR) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@echo "CC $@"
	@$(CC) $(CORE_CFLAGS) -Itests -o $@ $< $(CORE_LIB) $(CORE_LIBS) \
	    -lcmocka

$(BUILD)/asan/%: tests/%.c $(CORE_HDR) $(TEST_HDR) $(CORE_LIB_ASAN)
	@mkdir -p $(dir $@)
	@echo "CC (asan) $@"
	@clang $(SAN_CFLAGS) -Itests -o $@ $< $(CORE_LIB_ASAN) $(CORE_LIBS) \
	    -lcmocka

$(BUILD)/unit-nosimd/%: tests/%.c $(CORE_HDR) $(TEST_HDR) \
		$(CORE_LIB_NOSIMD)
	@mkdir -p $(dir $@)
	@echo "CC (no SIMD) $@"
	@$(CC) $(CORE_CFLAGS) $(NOSIMD_FLAGS) -Itests -o $@ $< \
	    $(CORE_LIB_NOSIMD) $(CORE_LIBS) -lcmocka

$(BUILD)/unit-sse2/%: tests/%.c $(CORE_HDR) $(TEST_HDR) $(CORE_LIB_SSE2)
	@mkdir -p $(dir $@)
	@echo "CC (SSE2) $@"
	@$(CC) $(CORE_CFLAGS) $(SSE2_FLAGS) -Itests -o $@ $< \
	    $(CORE_LIB_SSE2) $(CORE_LIBS) -lcmocka

# every binary the tests run, built ahead (make -j2 test-bins): the
# module, the catalog tool, the unit tests in their four flavours and
# the fuzzers of FUZZ_DIR
test-bins: $(MODULE) $(TOOL) $(addprefix $(BUILD)/unit/,$(TESTS)) \
		$(addprefix $(BUILD)/asan/,$(TESTS)) \
		$(addprefix $(BUILD)/unit-nosimd/,$(TESTS)) \
		$(addprefix $(BUILD)/unit-sse2/,$(TESTS)) \
		$(addprefix $(BUILD)/$(FUZZ_DIR)/,$(FUZZERS))

unit: $(addprefix $(BUILD)/unit/,$(TESTS))
	@set -e; for t in $^; do echo "== $$t"; ./$$t; done

unit-nosimd: $(addprefix $(BUILD)/unit-nosimd/,$(TESTS))
	@set -e; for t in $^; do echo "== $$t (no SIMD)"; ./$$t; done

unit-sse2: $(addprefix $(BUILD)/unit-sse2/,$(TESTS))
	@set -e; for t in $^; do echo "== $$t (SSE2)"; ./$$t; done

unit-asan: $(addprefix $(BUILD)/asan/,$(TESTS))
	@set -e; for t in $^; do echo "== $$t (asan, ubsan)"; \
	    ASAN_OPTIONS=detect_leaks=1 ./$$t; done

integration: $(MODULE) $(TOOL)
	AZOAI_MODULE=$(CURDIR)/$(MODULE) NGINX=$(NGINX) \
	    AZOAI_CATALOG_TOOL=$(CURDIR)/$(TOOL) prove -j2 t/

test: style $(MODULE) $(TOOL) unit unit-asan integration

# 80 columns, no tabs or trailing blanks, functions of 80 lines at most
# unless their comment says why; fuzz seeds are written by hand and named
# for what they hold: what libFuzzer finds (hash names) stays in build/
# behaviour kept by a change that should keep it (tools/engine-diff.sh)
engine-diff:
	@tools/engine-diff.sh $(or $(BASE),$(error BASE=REV needed)) \
	    $(or $(N),20000) 1 -- $(wildcard tests/fuzz/corpus/fuzz_body/*) \
	    $(wildcard tests/fuzz/corpus/fuzz_json/*)

style:
	@tools/style.pl $(CORE_SRC) $(filter %.c,$(GLUE_SRC)) $(TOOL_SRC) \
	    $(wildcard tests/*.c tests/*.h tests/fuzz/*.c tests/preload/*.c) \
	    $(wildcard tools/engine-diff/*.c)
	@! git ls-files tests/fuzz/corpus 2>/dev/null \
	    | grep -E '/[0-9a-f]{40}$$' || \
	    { echo "generated fuzz inputs in tests/fuzz/corpus"; exit 1; }

# the t/ suite against the installed NGINX and against the newest
# version of each NGINX_MATRIX line among Debian's source packages
# (trixie, unstable), or source trees named by path; builds are kept in
# build/nginx-VERSION/ (tools/nginx-matrix.sh)
NGINX_MATRIX ?= 1.26 1.30
nginx-matrix: | $(DEB_MARK)
	MAKE="$(MAKE)" tools/nginx-matrix.sh $(NGINX_MATRIX)

# libnginx-mod-http-azoai_VERSION_ARCH.deb for the installed NGINX, laid
# out as Debian's libnginx-mod-http-* packages, lintian run on it; and a
# test that installs it, serves through it and purges it (as root)
deb: $(DEB)

$(DEB): $(MODULE) $(TOOL) tools/make-deb.sh $(wildcard packaging/deb/*) \
		conf.example/nginx.conf README.md
	@test "$(NGX_BUILD)" = "$(BUILD)/nginx" || { echo "make deb builds" \
	    "for the installed NGINX; drop NGINX_SRC"; exit 1; }
	tools/make-deb.sh $(MODULE) $(DEB_VERSION) $(BUILD) $(TOOL)

deb-test: $(DEB)
	tools/deb-test.sh $(DEB)

# the t/ suite with NGINX under valgrind memcheck; fails on errors in the
# module's frames
valgrind: $(MODULE) $(TOOL)
	AZOAI_VALGRIND=1 AZOAI_MODULE=$(CURDIR)/$(MODULE) NGINX=$(NGINX) \
	    AZOAI_CATALOG_TOOL=$(CURDIR)/$(TOOL) \
	    prove -j2 t/

# load with reloads: zero failed requests, flat RSS, clean error.log
SOAK_SECONDS ?= 60
soak: $(MODULE)
	bench/soak.sh $(CURDIR)/$(MODULE) $(SOAK_SECONDS)

run: $(MODULE)
	tools/run.sh $(CURDIR)/$(MODULE)

$(BUILD)/bench_engine: bench/bench_engine.c $(CORE_HDR) $(CORE_LIB)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_LIB) $(CORE_LIBS)

# make bench stays under 5 minutes on the 2-core test VM: wrk runs of 3 s,
# two rounds of each, 10,000 h2load requests, medians of 100 timed
# requests; `make bench BENCH_SECONDS=5 BENCH_ROUNDS=3 H2_REQUESTS=20000
# BENCH_RUNS=200` is the longer run (about 7 minutes)
BENCH_SECONDS ?= 3
BENCH_ROUNDS  ?= 2
H2_REQUESTS   ?= 10000
BENCH_RUNS    ?= 100
bench: export BENCH_SECONDS := $(BENCH_SECONDS)
bench: export BENCH_ROUNDS := $(BENCH_ROUNDS)
bench: export H2_REQUESTS := $(H2_REQUESTS)
bench: export RUNS := $(BENCH_RUNS)
bench: $(MODULE) $(BUILD)/bench_engine
	bench/tlimit.sh $(CURDIR)/$(MODULE)
	bench/run.sh $(CURDIR)/$(MODULE)
	bench/restore.sh $(CURDIR)/$(MODULE)
	bench/upload.sh $(CURDIR)/$(MODULE)

# file uploads alone: a 100 MB fine-tuning file masked end to end, then
# 10 MB under callgrind (instructions per upload and per line)
bench-upload: $(MODULE)
	bench/upload.sh $(CURDIR)/$(MODULE)
	bench/upload-cg.sh $(CURDIR)/$(MODULE)

# the module's instructions per request (callgrind) may not grow more
# than 3% over bench/baseline; BENCH_UPDATE=1 writes a new baseline
BENCH_CHECK_REQUESTS ?= 300
bench-check: $(MODULE)
	bench/check.sh $(CURDIR)/$(MODULE) $(BENCH_CHECK_REQUESTS)

# token budgets alone: limit on vs off, 10,000 keys in a 1 MB zone
bench-tlimit: $(MODULE)
	bench/tlimit.sh $(CURDIR)/$(MODULE)

$(BUILD)/$(FUZZ_DIR)/%: tests/fuzz/%.c $(CORE_HDR) $(TEST_HDR) $(CORE_LIB_FUZZ)
	@mkdir -p $(dir $@)
	@echo "CC ($(FUZZ_DIR)) $@"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
	    $(CORE_LIB_FUZZ) $(CORE_LIBS)

# FUZZ_JOBS fuzzers at a time, each for FUZZ_SECONDS (tools/fuzz-run.sh);
# fails on any crash, leak, timeout or out-of-memory input
FUZZ_JOBS   ?= 1
fuzz: $(addprefix $(BUILD)/$(FUZZ_DIR)/,$(FUZZERS))
	tools/fuzz-run.sh $(BUILD)/$(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_JOBS) \
	    $(FUZZERS)

fuzz-nosimd:
	$(MAKE) fuzz FUZZ_DIR=fuzz-nosimd FUZZ_FLAGS="$(NOSIMD_FLAGS)"

clean:
	rm -rf $(BUILD)
