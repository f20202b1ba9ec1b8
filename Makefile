# The registration service. `make run` runs the stack, `make test` every test.
# Both install missing Debian packages first (tools/deps.sh).

PKG_CONFIG ?= pkg-config
PKGS       := fcgi sqlite3 libcurl libcrypto libpq
CXX        ?= g++
CXXFLAGS   ?= -O2 -g
CXXFLAGS   += -std=c++20 -pthread -Wall -Wextra -Wshadow -Werror
CPPFLAGS   += -MMD -MP -Ifcgi -Itests -I$(BUILD)/gen -DOPENSSL_NO_DEPRECATED_3_0 \
              $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDFLAGS    += -pthread
LDLIBS     := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
GTEST_LIBS := $(shell $(PKG_CONFIG) --libs gtest_main gmock 2>/dev/null)

comma := ,
NPROC ?= $(shell nproc 2>/dev/null || echo 2)
BUILD := build
ifdef SANITIZE                       # make test SANITIZE=address,undefined
  CXXFLAGS += -O1 -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDFLAGS  += -fsanitize=$(SANITIZE)
  BUILD    := build/$(subst $(comma),-,$(SANITIZE))
endif

MAINS      := fcgi/main.cc fcgi/regctl_main.cc
LIB_OBJS   := $(patsubst %.cc,$(BUILD)/%.o,$(filter-out $(MAINS),$(sort $(shell find fcgi -name "*.cc")))) \
              $(BUILD)/gen/schema.o $(BUILD)/gen/pg_schema.o
UNIT_OBJS  := $(patsubst %.cc,$(BUILD)/%.o,$(wildcard tests/unit/*.cc))
INTEG_OBJS := $(patsubst %.cc,$(BUILD)/%.o,$(wildcard tests/integration/*.cc))
SERVICE    := $(BUILD)/registrar $(BUILD)/regctl
BINS       := $(SERVICE) $(BUILD)/unit_tests $(BUILD)/integration_tests

BENCH_BINS := $(patsubst tests/bench/%.cc,$(BUILD)/bench/%,$(wildcard tests/bench/*.cc))

.PHONY: all service deps run test test-build build-plain build-asan build-tsan \
        unit integration browser bench fuzz clean format
all: $(BINS)

# The service alone: the responder and regctl, no tests.
service: $(SERVICE)

deps:
	@tools/deps.sh

# Install first, then build in a fresh make so pkg-config sees the packages.
run: deps
	@$(MAKE) --no-print-directory -j$(NPROC) service
	@BUILD=$(BUILD) tools/stack

# Every test, in phases timed by tests/run.sh: the three builds below at
# once (one job per core), then the unit and browser tests, the unit and
# integration tests under ASan+UBSan, the integration tests under TSan, and
# the plain integration tests last, so `make test` ends with GoogleTest's
# summary.
test: deps
	@MAKE="$(MAKE)" NPROC=$(NPROC) tests/run.sh

# Each variant builds only what its runs need. The integration driver
# (tests/integration) is built once, plain: it drives whichever build's
# responder REGISTRAR_BUILD names, and the sanitizers watch the responder.
test-build: build-plain build-asan build-tsan
build-plain:
	+@$(MAKE) --no-print-directory all
build-asan:
	+@$(MAKE) --no-print-directory SANITIZE=address,undefined service build/address-undefined/unit_tests
build-tsan:
	+@$(MAKE) --no-print-directory SANITIZE=thread service

unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

integration: $(SERVICE)
	+@$(MAKE) --no-print-directory SANITIZE= build/integration_tests
	REGISTRAR_BUILD=$(BUILD) build/integration_tests

# End-to-end in headless Chromium (tests/browser/run.sh).
browser: $(BUILD)/registrar
	BUILD=$(BUILD) tests/browser/run.sh

# The benchmark: not part of `make test` (tests/bench/run.sh prints a table).
bench: deps
	@$(MAKE) --no-print-directory -j$(NPROC) service $(BENCH_BINS)
	BUILD=$(BUILD) tests/bench/run.sh

$(BUILD)/bench/%: tests/bench/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $< $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/registrar: $(BUILD)/fcgi/main.o $(LIB_OBJS)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/regctl: $(BUILD)/fcgi/regctl_main.o $(LIB_OBJS)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/unit_tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) $(GTEST_LIBS) -o $@

$(BUILD)/integration_tests: $(INTEG_OBJS) $(LIB_OBJS)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) $(GTEST_LIBS) -o $@

# The migrations, compiled in: sql/*.sql for SQLite, sql/postgres/*.sql.
$(BUILD)/gen/schema.cc: $(sort $(wildcard sql/*.sql)) tools/embed_sql.sh
	@mkdir -p $(@D)
	tools/embed_sql.sh storage/sqlite/migrations.h kMigrations \
	  $(sort $(wildcard sql/*.sql)) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/pg_schema.cc: $(sort $(wildcard sql/postgres/*.sql)) tools/embed_sql.sh
	@mkdir -p $(@D)
	tools/embed_sql.sh storage/postgres/migrations.h kPgMigrations \
	  $(sort $(wildcard sql/postgres/*.sql)) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.cc
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

# --- fuzzing (make fuzz) ---
# libFuzzer targets, one per parser of outside bytes (tests/fuzz/*_fuzz.cc).
# They need clang: `fuzz` rebuilds the library under clang++ with ASan and
# UBSan into build/fuzz, links each target, then tests/fuzz/run.sh runs each
# one for FUZZ_SECONDS on a scratch copy of its seed corpus and prints a table.
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_OBJS    := $(patsubst %.cc,$(BUILD)/%.o,$(wildcard tests/fuzz/*_fuzz.cc))
FUZZ_BINS    := $(patsubst tests/fuzz/%.cc,$(BUILD)/bin/%,$(wildcard tests/fuzz/*_fuzz.cc))

fuzz: deps
	@$(MAKE) --no-print-directory CXX=clang++ BUILD=$(FUZZ_BUILD) \
	  SANITIZE=fuzzer-no-link,address,undefined fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# Only meaningful inside `fuzz` (clang, SANITIZE and BUILD set as above).
.PHONY: fuzz-build
fuzz-build: $(FUZZ_BINS)

$(FUZZ_BINS): $(BUILD)/bin/%: $(BUILD)/tests/fuzz/%.o $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -fsanitize=fuzzer,address,undefined $^ $(LDLIBS) -o $@

-include $(FUZZ_OBJS:.o=.d)
# --- fuzzing (make fuzz) ---

clean:
	rm -rf build

format:
	clang-format -i $$(find fcgi tests -name "*.cc" -o -name "*.h")

-include $(LIB_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(INTEG_OBJS:.o=.d) \
         $(BUILD)/fcgi/main.d $(BUILD)/fcgi/regctl_main.d
