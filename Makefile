# The registration service. `make run` runs the stack, `make test` every test.
# Both install missing Debian packages first (tools/deps.sh).

PKG_CONFIG ?= pkg-config
PKGS       := fcgi sqlite3 libcurl libcrypto libpq
CXX        ?= g++
CXXFLAGS   ?= -O2 -g1
CXXFLAGS   += -std=c++20 -pthread -Wall -Wextra -Wshadow -Werror
CPPFLAGS   += -MMD -MP -Ifcgi -Itests -I$(BUILD)/gen -DOPENSSL_NO_DEPRECATED_3_0 \
              $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# lld links in a third of GNU ld's time (the test binaries: 0.5 s, not 1.5).
LDFLAGS    += -pthread -fuse-ld=lld
LDLIBS     := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
GTEST_LIBS := $(shell $(PKG_CONFIG) --libs gtest_main gmock 2>/dev/null)

comma := ,
NPROC ?= $(shell nproc 2>/dev/null || echo 2)
BUILD := build
ifdef SANITIZE                       # make test SANITIZE=address,undefined
  # -g1: line tables for the reports' stack traces, no variable info (a
  # third less compile time, measured on the heaviest test file).
  CXXFLAGS += -O1 -g1 -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDFLAGS  += -fsanitize=$(SANITIZE)
  BUILD    := build/$(subst $(comma),-,$(SANITIZE))
endif

MAINS      := fcgi/main.cc fcgi/regctl_main.cc fcgi/error_pages_main.cc
LIB_SRCS   := $(filter-out $(MAINS),$(sort $(shell find fcgi -name "*.cc")))

# Unity builds (UNITY=1, the default): the .cc files compile in chunks,
# build/unity-src/NAME_N.cc, each including its files (tools/unity.sh). The
# headers and templates they share (nlohmann-json's, GoogleTest's, the
# standard library's) are then parsed and instantiated once per chunk
# instead of once per file. Touching one file recompiles its chunk.
# `make UNITY=0` builds file by file (what a unity build can hide, such as
# a missing include, shows there). The chunks are written when make reads
# this file, and only when their lists of files change.
UNITY ?= 1
# The service's library goes in LIB_UNITY chunks across every folder
# ("all:K": K chunks of files next to each other), not a chunk per folder:
# its headers (nlohmann-json's, the standard library's, libpq's and
# libcurl's) cost about 4 s of processor time per chunk whatever the chunk
# holds, so fewer chunks cost less. Measured on this 2-core host,
# processor seconds for the library:
#   plain (-O2):  93 in 17 chunks of a folder each (at most 8 files),
#                 61 in all:8, 49 in all:6, 43 in all:2;
#   ASan+UBSan:  187 in folder chunks, 140 in all:2, 101 in all:1;
#   TSan:         95 in folder chunks, 54 in all:2.
# The plain build takes 6 chunks: touching one file recompiles a sixth of
# the service (about 8 s), and -j2 keeps both cores busy. Under a
# sanitizer (built by `make test` only, never edited against) one chunk:
# build-sanitized compiles both flavours' chunks at once, one core each.
# Names at file scope must differ across the whole of fcgi/ (macros too:
# a file #undefs its own).
LIB_UNITY ?= $(if $(SANITIZE),all:1,all:6)
# The tests' chunks hold up to TEST_UNITY_MAX files of one folder: at -O0
# a chunk's time is mostly parsing the headers every test includes
# (GoogleTest, gmock, nlohmann-json, about 5 s), so fewer chunks parse them
# fewer times; names at file scope must differ across a folder.
TEST_UNITY_MAX ?= 13
UNITY_SRC := build/unity-src
UNIT_SRCS  := $(wildcard tests/unit/*.cc)
INTEG_SRCS := $(filter-out tests/integration/stack.cc,$(wildcard tests/integration/*.cc))
# unity_objs FILES,CHUNKING: the objects FILES build into (CHUNKING as
# tools/unity.sh takes it: a number of files per folder's chunk, or all:K).
ifeq ($(UNITY),1)
unity_objs = $(patsubst $(UNITY_SRC)/%.cc,$(BUILD)/unity/%.o,\
               $(shell tools/unity.sh $(UNITY_SRC) $(2) $(1)))
else
unity_objs = $(patsubst %.cc,$(BUILD)/%.o,$(1))
endif
LIB_OBJS   := $(call unity_objs,$(LIB_SRCS),$(LIB_UNITY))
LIB_OBJS   += $(BUILD)/gen/schema.o $(BUILD)/gen/pg_schema.o
UNIT_OBJS  := $(call unity_objs,$(UNIT_SRCS),$(TEST_UNITY_MAX))
INTEG_OBJS := $(call unity_objs,$(INTEG_SRCS),$(TEST_UNITY_MAX)) $(BUILD)/tests/integration/stack.o
# The mail tests (a private Postfix) share the integration tests' fixture.
MAIL_OBJS  := $(patsubst %.cc,$(BUILD)/%.o,$(wildcard tests/mail/*.cc)) \
              $(BUILD)/tests/integration/stack.o
SERVICE    := $(BUILD)/registrar $(BUILD)/regctl $(BUILD)/errors/.made
BINS       := $(SERVICE) $(BUILD)/unit_tests $(BUILD)/integration_tests \
              $(BUILD)/mail_tests

BENCH_BINS := $(patsubst tests/bench/%.cc,$(BUILD)/bench/%,$(wildcard tests/bench/*.cc))

# `make` alone builds the service (the responder, regctl, nginx's error
# pages), not the tests.
.DEFAULT_GOAL := service

.PHONY: all service deps build-deps run test check test-build build-plain build-sanitized build-asan build-tsan \
        unit integration mail browser bench fuzz clean format install deb
all: $(BINS)

# The service alone: the responder, regctl and the pages nginx answers its
# own errors with; no tests.
service: $(SERVICE)

deps:
	@tools/deps.sh

# Only what building the service needs (make deb on a fresh host).
build-deps:
	@tools/deps.sh build

# Install first, then build in a fresh make so pkg-config sees the packages.
run: deps
	@$(MAKE) --no-print-directory -j$(NPROC) service
	@BUILD=$(BUILD) tools/stack

# Every build and every test, as one pipeline (tests/run.sh): the plain,
# ASan+UBSan and TSan builds one after another, each test run starting as
# soon as the build it needs is done (unit, integration on SQLite and on
# PostgreSQL, mail, browser and deployment tests on the plain build; unit
# and integration tests under ASan+UBSan, integration under TSan). It ends
# with the jobs' times and GoogleTest's summaries.
test: deps
	@MAKE="$(MAKE)" NPROC=$(NPROC) tests/run.sh

# The inner loop: the plain build, the unit tests and the integration tests
# on SQLite (in shards, at once); no sanitizers, PostgreSQL, Postfix,
# browser or packaging. Seconds after touching one file; make test before
# a commit goes out.
check: deps
	@MAKE="$(MAKE)" NPROC=$(NPROC) tests/run.sh check

# Each variant builds only what its runs need. The integration driver
# (tests/integration) is built once, plain: it drives whichever build's
# responder REGISTRAR_BUILD names, and the sanitizers watch the responder.
test-build: build-plain build-sanitized
# Both sanitizer flavours in one make: with -jN they share its N job slots,
# so that each flavour's one-chunk library (LIB_UNITY) compiles beside the
# other's and beside the unit tests' chunks, not one after another.
build-sanitized: build-tsan build-asan
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

# The mail against a private Postfix (root only; tests/mail).
mail: $(SERVICE) $(BUILD)/mail_tests
	REGISTRAR_BUILD=$(BUILD) $(BUILD)/mail_tests

# End-to-end in headless Chromium (tests/browser/run.sh; regctl records
# its bounce).
browser: $(SERVICE)
	BUILD=$(BUILD) tests/browser/run.sh

# The benchmark: not part of `make test` (tests/bench/run.sh prints a table).
bench: deps
	@$(MAKE) --no-print-directory -j$(NPROC) service $(BENCH_BINS)
	BUILD=$(BUILD) tests/bench/run.sh

$(BUILD)/bench/%: tests/bench/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $< $(LDFLAGS) $(LDLIBS) -o $@

# The service's objects, built once per flavour, in one archive that every
# binary of that flavour links (each takes only the objects it needs).
LIB := $(BUILD)/libregistrar.a
$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The one bench program that links the service's own storage.
$(BUILD)/bench/store_loop: tests/bench/store_loop.cc $(LIB)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $< $(LIB) $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/registrar: $(BUILD)/fcgi/main.o $(LIB)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/regctl: $(BUILD)/fcgi/regctl_main.o $(LIB)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The pages nginx answers its own errors with (400, 413, 414, 429, 502,
# 504), made from the catalogues by the workers' own ErrorPage
# (http/html.h NginxErrorPages), part of the service: tools/stack serves
# them from here, `make install` ships them.
$(BUILD)/error_pages: $(BUILD)/fcgi/error_pages_main.o $(LIB)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/errors/.made: $(BUILD)/error_pages $(wildcard lang/*.json)
	$(BUILD)/error_pages lang $(@D)
	@touch $@

$(BUILD)/unit_tests: $(UNIT_OBJS) $(LIB)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) $(GTEST_LIBS) -o $@

$(BUILD)/integration_tests: $(INTEG_OBJS) $(LIB)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) $(GTEST_LIBS) -o $@

$(BUILD)/mail_tests: $(MAIL_OBJS) $(LIB)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) $(GTEST_LIBS) -o $@

# The migrations, compiled in: sql/*.sql for SQLite, sql/postgres/*.sql.
# SQL_LIST holds their names, rewritten when make reads this file and the
# list changed: a file added, removed or renamed regenerates the sources
# even when its own time is older than theirs (a checkout, a git mv).
SQL_LIST := $(BUILD)/gen/sql.list
SQL_NAMES := $(sort $(wildcard sql/*.sql sql/postgres/*.sql))
$(shell mkdir -p $(BUILD)/gen && { [ "$$(cat $(SQL_LIST) 2>/dev/null)" = "$(SQL_NAMES)" ] \
          || echo "$(SQL_NAMES)" > $(SQL_LIST); })
$(BUILD)/gen/schema.cc: $(sort $(wildcard sql/*.sql)) tools/embed_sql.sh $(SQL_LIST)
	@mkdir -p $(@D)
	tools/embed_sql.sh storage/migrations.h kMigrations \
	  $(sort $(wildcard sql/*.sql)) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/pg_schema.cc: $(sort $(wildcard sql/postgres/*.sql)) tools/embed_sql.sh $(SQL_LIST)
	@mkdir -p $(@D)
	tools/embed_sql.sh storage/postgres/migrations.h kPgMigrations \
	  $(sort $(wildcard sql/postgres/*.sql)) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.cc
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

# The tests' own code needs no optimisation: built at -O0, it compiles in
# about half the time (GoogleTest's and nlohmann-json's templates), and
# the code under test keeps its flags. Nor debug information (-g0, 14 %
# less processor time for a unit-test chunk): GoogleTest names the file
# and line of each failure itself, and the sanitizers report on the
# service's code, which keeps its line tables (TEST_G=-g for a debugger).
TEST_G ?= -g0
$(BUILD)/tests/%.o $(BUILD)/unity/tests_%.o: CXXFLAGS += -O0 $(TEST_G)
# The tests' own code compiles with clang++ (TEST_CXX): at -O0 it takes
# about 40 % less processor time than g++ (a unit-test chunk 6.0 s
# against 10.3, another 4.7 against 8.1), and links with the service's
# g++ objects and Debian's GoogleTest (the same libstdc++ and ABI).
# TEST_CXX=g++ builds them with g++ again.
TEST_CXX ?= clang++
$(BUILD)/tests/%.o $(BUILD)/unity/tests_%.o: CXX := $(TEST_CXX)
# Under a sanitizer the tests' own code is not instrumented (it links with
# the runtime all the same): the sanitizers watch the service's code, and
# instrumenting GoogleTest's templates took half the sanitized build.
ifdef SANITIZE
$(BUILD)/tests/%.o $(BUILD)/unity/tests_%.o: CXXFLAGS := $(filter-out -fsanitize=%,$(CXXFLAGS)) -O0 $(TEST_G)
endif

$(BUILD)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(BUILD)/unity/%.o: $(UNITY_SRC)/%.cc
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

# --- install and package (make install, make deb) ---
# `make install` puts the service where Debian expects it, under DESTDIR:
# binaries, static files and language catalogues under PREFIX, the systemd units, sysusers.d and
# tmpfiles.d entries, /etc/registrar/registrar.env, the nginx site (in
# sites-available/ only) and logrotate. The paths inside the units and the
# site follow PREFIX. Then, on the host, run PKGLIBDIR/setup (the user and
# folders) as root; the package's postinst does that. README.md, "Deploying".
PREFIX      ?= /usr/local
DESTDIR     ?=
SYSCONFDIR  ?= /etc
UNITDIR     ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
PKGLIBDIR   := $(PREFIX)/lib/registrar
PKGDATADIR  := $(PREFIX)/share/registrar
# The files name the packaged paths (/usr/lib/registrar, /usr/share/registrar).
RELOCATE    := sed -e 's|/usr/lib/registrar|$(PKGLIBDIR)|g' \
                   -e 's|/usr/share/registrar|$(PKGDATADIR)|g' \
                   -e 's|/usr/sbin/regctl|$(PREFIX)/sbin/regctl|g'

install: $(SERVICE)
	install -d $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(PREFIX)/sbin \
	  $(DESTDIR)$(PKGDATADIR)/static $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/registrar $(DESTDIR)$(SYSCONFDIR)/nginx/sites-available \
	  $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0755 $(BUILD)/registrar $(DESTDIR)$(PKGLIBDIR)/registrar
	install -m 0755 $(BUILD)/regctl $(DESTDIR)$(PREFIX)/sbin/regctl
	install -m 0755 deploy/setup $(DESTDIR)$(PKGLIBDIR)/setup
	$(RELOCATE) deploy/workers > $(DESTDIR)$(PKGLIBDIR)/workers
	chmod 0755 $(DESTDIR)$(PKGLIBDIR)/workers
	install -m 0644 nginx/static/* $(DESTDIR)$(PKGDATADIR)/static/
	install -d $(DESTDIR)$(PKGDATADIR)/lang
	install -m 0644 lang/*.json $(DESTDIR)$(PKGDATADIR)/lang/
	install -d $(DESTDIR)$(PKGDATADIR)/nginx
	install -m 0644 nginx/client_key.conf nginx/error_pages.conf $(DESTDIR)$(PKGDATADIR)/nginx/
	install -d $(DESTDIR)$(PKGDATADIR)/errors
	install -m 0644 $(BUILD)/errors/* $(DESTDIR)$(PKGDATADIR)/errors/
	for u in deploy/systemd/*; do \
	  $(RELOCATE) $$u > $(DESTDIR)$(UNITDIR)/$${u##*/} && chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	install -m 0644 deploy/sysusers/registrar.conf $(DESTDIR)$(SYSUSERSDIR)/registrar.conf
	install -m 0644 deploy/tmpfiles/registrar.conf $(DESTDIR)$(TMPFILESDIR)/registrar.conf
	@# The settings and the site are the operator's once there: never overwritten.
	env=$(DESTDIR)$(SYSCONFDIR)/registrar/registrar.env; \
	if [ -e $$env ]; then echo "kept $$env"; \
	else (umask 077 && $(RELOCATE) deploy/registrar.env > $$env) && chmod 0640 $$env; fi
	site=$(DESTDIR)$(SYSCONFDIR)/nginx/sites-available/registrar; \
	if [ -e $$site ]; then echo "kept $$site"; \
	else $(RELOCATE) nginx/registrar.site.conf.example > $$site && chmod 0644 $$site; fi
	install -m 0644 deploy/logrotate/registrar $(DESTDIR)$(SYSCONFDIR)/logrotate.d/registrar

# `make deb`: build/registrar_VERSION_ARCH.deb with dpkg-deb (no debhelper):
# `make install PREFIX=/usr` into build/deb, stripped binaries, docs, the
# maintainer scripts of deploy/debian/ (postinst runs setup), conffiles.
DEB_VERSION ?= 0.1.$(shell git rev-list --count HEAD 2>/dev/null || echo 0)
DEB_ARCH    := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_ROOT    := build/deb/root
DEB_FILE    := build/registrar_$(DEB_VERSION)_$(DEB_ARCH).deb
# Depends: the package of each library the binaries link, at least at the
# version installed where the package is built (tools/deb-depends.sh).

deb: build-deps
	+@$(MAKE) --no-print-directory -j$(NPROC) service
	rm -rf build/deb build/registrar_*.deb
	+@$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEB_ROOT) PREFIX=/usr
	strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	  $(DEB_ROOT)/usr/lib/registrar/registrar $(DEB_ROOT)/usr/sbin/regctl
	install -d $(DEB_ROOT)/DEBIAN $(DEB_ROOT)/usr/share/doc/registrar
	install -m 0644 deploy/debian/copyright $(DEB_ROOT)/usr/share/doc/registrar/copyright
	gzip -9n < README.md > $(DEB_ROOT)/usr/share/doc/registrar/README.md.gz
	printf 'registrar (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- registrar maintainers <registrar@example.com>  %s\n' \
	  '$(DEB_VERSION)' "$$(git rev-parse --short HEAD 2>/dev/null || echo source)" \
	  "$$(date -R -d @$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)})" \
	  | gzip -9n > $(DEB_ROOT)/usr/share/doc/registrar/changelog.gz
	chmod 0644 $(DEB_ROOT)/usr/share/doc/registrar/*
	install -m 0755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm $(DEB_ROOT)/DEBIAN/
	install -m 0644 deploy/debian/conffiles $(DEB_ROOT)/DEBIAN/conffiles
	deps=$$(tools/deb-depends.sh $(DEB_ROOT)/usr/lib/registrar/registrar $(DEB_ROOT)/usr/sbin/regctl) \
	&& sed -e 's|@VERSION@|$(DEB_VERSION)|' -e 's|@ARCH@|$(DEB_ARCH)|' -e "s|@DEPENDS@|$$deps|" \
	  -e "s|@SIZE@|$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)|" \
	  deploy/debian/control.in > $(DEB_ROOT)/DEBIAN/control
	cd $(DEB_ROOT) && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' \
	  | sort -z | xargs -0 md5sum > DEBIAN/md5sums
	chmod 0644 $(DEB_ROOT)/DEBIAN/md5sums
	dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $(DEB_FILE)
	@echo "make deb: $(DEB_FILE)"

clean:
	rm -rf build

format:
	clang-format -i $$(find fcgi tests -name "*.cc" -o -name "*.h")

-include $(LIB_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(INTEG_OBJS:.o=.d) $(MAIL_OBJS:.o=.d) \
         $(BUILD)/fcgi/main.d $(BUILD)/fcgi/regctl_main.d $(BUILD)/fcgi/error_pages_main.d
