# climrisk — build, test, demo, bench, install.
#
#   make            build $(BUILD)/climrisk
#   make test       unit + integration tests (one summary line at the end)
#   make asan       the same tests under AddressSanitizer + UBSan (build-asan/)
#   make demo       install what is missing, build, run the demo job end to end
#   make bench      benchmarks (each prints a table)
#   make install    PREFIX=/usr/local DESTDIR=
#   make format     clang-format every C file
#
# Libraries are found through pkg-config only. Flags use '=' (not ':=') so
# that `make demo` on a fresh machine can install them before they are needed.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
# One spelling per build tree (tests export BUILD as an absolute path and
# call make again): dependency files (.d) name their targets as $(BUILD)
# spelled it, so a second spelling would hide header changes.
override BUILD := $(patsubst $(CURDIR)/%,%,$(abspath $(BUILD)))
CC      ?= cc

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKGS      = netcdf hdf5 libdeflate libisal proj gdal libpq libcurl sqlite3 inih libmicrohttpd libcrypto zlib libpng json-c
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
TEST_LIBS  = $(shell pkg-config --libs cmocka)

OPT       ?= -O2
WARN       = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
DEFS       = -D_GNU_SOURCE -DCR_VERSION='"$(VERSION)"' \
             -DCR_DATADIR='"$(PREFIX)/share/climrisk"'
ifeq ($(SANITIZE),1)
SAN        = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT        = -O1
endif
ifeq ($(SANITIZE),fuzz)
SAN        = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
OPT        = -O1
endif
CFLAGS_ALL = $(WARN) $(OPT) -g -pthread $(DEFS) $(SAN) -I. -I$(BUILD)/gen $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = -pthread $(SAN) $(LDFLAGS)
LIBS_ALL   = $(PKG_LIBS) -lm

MODULES  := core config ingest indicators scenarios sql tiles pipeline
LIB_SRC  := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
CLI_SRC  := $(wildcard cli/*.c)
GEN_SRC  := $(BUILD)/gen/safran_grid_data.c
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/safran_grid_data.o
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_SECONDS ?= 60
TEST_SUPPORT := $(wildcard tests/unit/support/*.c)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/obj/%.o)
# Test tools (tests/tools/*.c): programs the integration tests and
# benchmarks run, such as the fault-injecting HTTP server and the datamart
# fixture writer; linked with the test support code and the library.
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)

.PHONY: valgrind all test asan demo bench install uninstall clean format format-check unit deps fuzz fuzz-run tools web

all: $(BUILD)/climrisk

$(BUILD)/climrisk: $(CLI_OBJ) $(BUILD)/libclimrisk.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/libclimrisk.a $(LIBS_ALL)

$(BUILD)/libclimrisk.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Wno-missing-field-initializers -c -o $@ $<

# The git revision goes into a generated header rewritten only when it
# changes, so that the files printing it (--version, datamart lineage,
# TileJSON) are recompiled after a commit and only then; as a -D flag it
# stayed stale in objects that an incremental build did not touch.
GIT_REV_H := $(BUILD)/gen/git_rev.h
$(GIT_REV_H): FORCE
	@mkdir -p $(dir $@)
	@echo '#define CR_GIT_REV "$(GIT_REV)"' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/obj/cli/main.o $(BUILD)/obj/sql/dmlock.o $(BUILD)/obj/tiles/tilejson.o: $(GIT_REV_H)
.PHONY: FORCE
FORCE:

# The SAFRAN grid (8981 land points) is compiled into the binary so that no
# run can pick up a different grid file by accident.
$(GEN_SRC): ingest/data/grilleSafran_utile_drias2021.csv scripts/grid2c.awk
	@mkdir -p $(dir $@)
	awk -f scripts/grid2c.awk $< > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libclimrisk.a $(TEST_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(TEST_SUPPORT_OBJ) $(BUILD)/libclimrisk.a $(LDFLAGS_ALL) $(LIBS_ALL) $(TEST_LIBS)

$(BUILD)/tests/tools/%: tests/tools/%.c $(BUILD)/libclimrisk.a $(TEST_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(TEST_SUPPORT_OBJ) $(BUILD)/libclimrisk.a $(LDFLAGS_ALL) $(LIBS_ALL)

unit: $(UNIT_BIN)

tools: $(TOOL_BIN)

# Fuzz targets: with libFuzzer under `make fuzz`, else with fuzz/replay.c so
# that `make test` replays the corpus (regressions stay fixed).
ifeq ($(SANITIZE),fuzz)
$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(BUILD)/libclimrisk.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $< $(BUILD)/libclimrisk.a $(LDFLAGS_ALL) $(LIBS_ALL)
else
$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/replay.c $(BUILD)/libclimrisk.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< fuzz/replay.c $(BUILD)/libclimrisk.a $(LDFLAGS_ALL) $(LIBS_ALL)
endif

test: all $(UNIT_BIN) $(FUZZ_BIN) $(TOOL_BIN)
	tests/run.sh $(BUILD)

# Unit tests under valgrind memcheck: no errors, no definite/indirect leaks.
# (test_synth takes about ten minutes there.)
VALGRIND_TESTS ?= $(UNIT_BIN)
valgrind: $(UNIT_BIN)
	@for t in $(VALGRIND_TESTS); do \
	    printf '%-40s ' "$$t"; \
	    valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	        --errors-for-leak-kinds=definite,indirect --error-exitcode=9 $$t >$$t.valgrind.log 2>&1 \
	        && echo ok || { echo "FAILED (see $$t.valgrind.log)"; exit 1; }; \
	done

fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang SANITIZE=fuzz fuzz-run

fuzz-run: $(FUZZ_BIN)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(BUILD)/corpus/$$t; \
	    echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	    $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -print_final_stats=1 $(BUILD)/corpus/$$t fuzz/corpus/$$t || exit 1; \
	done

asan:
	$(MAKE) BUILD=build-asan SANITIZE=1 test

deps:
	scripts/install-deps.sh

demo:
	scripts/install-deps.sh
	$(MAKE) all web
	scripts/demo.sh $(BUILD)

bench: all $(TOOL_BIN)
	bench/run.sh $(BUILD)

# Benchmark helpers (bench/*.c): programs the bench scripts time.
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
$(BUILD)/bench/%: bench/%.c $(BUILD)/libclimrisk.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libclimrisk.a $(LDFLAGS_ALL) $(LIBS_ALL)
bench: $(BENCH_BIN)

# The map viewer: web/dist, bundled offline by esbuild from the npm
# packages pinned in web/package-lock.json (npm ci only when the lock file
# changed; node_modules is not committed).
WEB_SRC := $(wildcard web/src/*) web/build.mjs sql/data/admin_fr/departements.geojson

web: web/dist/index.html

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --prefer-offline --loglevel=error

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run --silent build

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/climrisk
	install -m 0755 $(BUILD)/climrisk $(DESTDIR)$(PREFIX)/bin/climrisk
	cp -r scenarios sql config $(DESTDIR)$(PREFIX)/share/climrisk/
	if [ -d web/dist ]; then cp -r web/dist $(DESTDIR)$(PREFIX)/share/climrisk/web; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/climrisk
	rm -rf $(DESTDIR)$(PREFIX)/share/climrisk

clean:
	rm -rf build build-asan build-fuzz $(BUILD)

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(C_FILES)

format-check:
	clang-format --dry-run --Werror $(C_FILES)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
