# faas-lambda: run OpenFaaS functions on AWS Lambda.
#   make            build build/faas-lambda, build/bootstrap, build/bootstrap-arm64
#   make test       unit tests (plain and ASan+UBSan), fuzz smoke runs, integration tests
#   make demo       the main job on the embedded local Lambda
#   make bench      benchmarks (bench/), results in bench/RESULTS.md
#   make install    PREFIX=/usr/local DESTDIR=
# `make` installs missing Debian packages (mk/deps.sh) and builds the static
# third-party archives (libcurl with our patches, for the host and for the
# bootstrap; cJSON for the bootstrap) from Debian sources (mk/thirdparty.sh).

PREFIX ?= /usr/local
DESTDIR ?=
B := build
VERSION := $(shell cat VERSION)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -I. -MMD -MP \
	-DFL_VERSION='"$(VERSION)"' -DFL_GIT_REV='"$(GIT_REV)"'
TP := $(B)/third_party
# Host binaries link our static libcurl (Debian's source with mk/patches:
# mk/thirdparty.sh host), not the system's shared one.
HOST_CURL := $(TP)/host/lib/libcurl.a
CURL_CFLAGS := -I$(TP)/host/include -DCURL_STATICLIB
HOST_CFLAGS := $(BASE_CFLAGS) $(CURL_CFLAGS) -O2 -g -fno-strict-aliasing
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_CFLAGS := $(BASE_CFLAGS) $(CURL_CFLAGS) -O1 -g $(SAN_FLAGS)
HOST_LIBS := $(HOST_CURL) -lcjson -larchive -lmicrohttpd -lssl -lcrypto -lz -lpthread
TEST_LIBS := -lcriterion

# Sources, found by folder: a new file needs no Makefile change.
COMMON_SRC := $(wildcard common/*.c)
SHIM_SRC := $(wildcard shim/*.c)
BOOT_SRC := $(wildcard bootstrap/*.c)
LIB_SRC := $(COMMON_SRC) $(SHIM_SRC) $(wildcard emulator/*.c packer/*.c provider/*.c)
CLI_SRC := $(wildcard cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FIXTURE_SRC := $(wildcard tests/fixtures/*.c)
BENCH_SRC := $(wildcard bench/*.c)

UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
SAN_UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(B)/san/tests/%)
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
FIXTURE_BINS := $(FIXTURE_SRC:tests/fixtures/%.c=$(B)/tests/fixture-%)
BENCH_BINS := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

DEPS_STAMP := $(B)/.deps-installed

# Keep intermediate objects (test and fixture objects would be rebuilt every run).
.SECONDARY:

.PHONY: all test unit-test san-test fuzz-test integration-test demo bench install dist clean distclean layers
all: $(B)/faas-lambda $(B)/bootstrap $(B)/bootstrap-arm64

$(DEPS_STAMP): mk/deps.sh
	@mkdir -p $(B)
	@mk/deps.sh
	@touch $@

# ---- host objects and the library every host binary links ----
$(B)/obj/%.o: %.c | $(DEPS_STAMP) $(HOST_CURL)
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(HOST_CFLAGS) -c $< -o $@
$(B)/san/obj/%.o: %.c | $(DEPS_STAMP) $(HOST_CURL)
	@mkdir -p $(dir $@)
	@echo "  CC [san] $<"
	@$(CC) $(SAN_CFLAGS) -c $< -o $@

$(B)/libfaaslambda.a: $(LIB_SRC:%.c=$(B)/obj/%.o)
	@rm -f $@
	@ar rcs $@ $^
$(B)/san/libfaaslambda.a: $(LIB_SRC:%.c=$(B)/san/obj/%.o)
	@rm -f $@
	@ar rcs $@ $^

$(B)/faas-lambda: $(CLI_SRC:%.c=$(B)/obj/%.o) $(B)/libfaaslambda.a
	$(CC) -o $@ $^ $(HOST_LIBS)

# ---- the static bootstrap (musl), x86_64 and arm64 ----
MUSL_CFLAGS := $(BASE_CFLAGS) -O2 -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
# The bootstrap has no event loop (nor libmicrohttpd) of its own.
BOOT_ALL := $(BOOT_SRC) $(SHIM_SRC) $(filter-out common/loop%.c common/pool.c,$(COMMON_SRC))
MUSL_CC_x86_64 := musl-gcc
MUSL_CC_arm64 := $(TP)/arm64/musl/bin/musl-gcc
STRIP_x86_64 := strip
STRIP_arm64 := aarch64-linux-gnu-strip

$(TP)/%/lib/libcurl.a: mk/thirdparty.sh $(wildcard mk/patches/*.patch) | $(DEPS_STAMP)
	@echo "  THIRDPARTY $*"
	@rm -rf $(TP)/$*/lib $(TP)/$*/include
	@mk/thirdparty.sh $(TP) $*
	@touch $@

define musl_rules
$(B)/musl-$(1)/%.o: %.c $(TP)/$(1)/lib/libcurl.a
	@mkdir -p $$(dir $$@)
	@echo "  CC [$(1)] $$<"
	@$$(MUSL_CC_$(1)) $$(MUSL_CFLAGS) -I$(TP)/$(1)/include -DCURL_STATICLIB -c $$< -o $$@
endef
$(eval $(call musl_rules,x86_64))
$(eval $(call musl_rules,arm64))

$(B)/bootstrap: $(BOOT_ALL:%.c=$(B)/musl-x86_64/%.o)
	$(MUSL_CC_x86_64) -static -Wl,--gc-sections -o $@ $^ $(TP)/x86_64/lib/libcurl.a $(TP)/x86_64/lib/libcjson.a
	$(STRIP_x86_64) $@
$(B)/bootstrap-arm64: $(BOOT_ALL:%.c=$(B)/musl-arm64/%.o)
	$(MUSL_CC_arm64) -static -Wl,--gc-sections -o $@ $^ $(TP)/arm64/lib/libcurl.a $(TP)/arm64/lib/libcjson.a
	$(STRIP_arm64) $@

# The same bootstrap built for the host with ASan+UBSan, for the integration
# tests to run through the emulator (the host's root is visible in sandboxes).
$(B)/san/bootstrap: $(BOOT_ALL:%.c=$(B)/san/obj/%.o)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# ---- tests ----
$(B)/tests/test_%: $(B)/obj/tests/unit/test_%.o $(B)/libfaaslambda.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(HOST_LIBS) $(TEST_LIBS)
$(B)/san/tests/test_%: $(B)/san/obj/tests/unit/test_%.o $(B)/san/libfaaslambda.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS) $(TEST_LIBS)
$(B)/tests/fixture-%: $(B)/obj/tests/fixtures/%.o $(B)/libfaaslambda.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(HOST_LIBS)

$(B)/bench/%: $(B)/obj/bench/%.o $(B)/libfaaslambda.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(HOST_LIBS)

# libFuzzer targets: clang, the library instrumented for coverage.
FUZZ_CFLAGS := $(BASE_CFLAGS) $(CURL_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined
$(B)/fuzz/obj/%.o: %.c | $(DEPS_STAMP) $(HOST_CURL)
	@mkdir -p $(dir $@)
	@echo "  CC [fuzz] $<"
	@clang $(FUZZ_CFLAGS) -c $< -o $@
$(B)/fuzz/libfaaslambda.a: $(LIB_SRC:%.c=$(B)/fuzz/obj/%.o)
	@rm -f $@
	@ar rcs $@ $^
$(B)/fuzz/fuzz_%: $(B)/fuzz/obj/tests/fuzz/fuzz_%.o $(B)/fuzz/libfaaslambda.a
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)

unit-test: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)
san-test: $(SAN_UNIT_BINS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run-unit.sh $(SAN_UNIT_BINS)
fuzz-test: $(FUZZ_BINS)
	@tests/run-fuzz.sh $(FUZZ_BINS)
integration-test: all $(FIXTURE_BINS) $(B)/san/bootstrap
	@tests/run-integration.sh
test: all $(FIXTURE_BINS) $(B)/san/bootstrap
	@$(MAKE) --no-print-directory unit-test san-test fuzz-test integration-test

# The published layers: the static bootstrap at the root of a deterministic zip.
LAYERS := $(B)/layers/faas-lambda-bootstrap-x86_64.zip $(B)/layers/faas-lambda-bootstrap-arm64.zip
layers: $(LAYERS)
$(B)/layers/faas-lambda-bootstrap-x86_64.zip: $(B)/bootstrap $(B)/faas-lambda
	@mkdir -p $(dir $@)
	$(B)/faas-lambda layer build --arch x86_64 --bootstrap $(B)/bootstrap -o $@
$(B)/layers/faas-lambda-bootstrap-arm64.zip: $(B)/bootstrap-arm64 $(B)/faas-lambda
	@mkdir -p $(dir $@)
	$(B)/faas-lambda layer build --arch arm64 --bootstrap $(B)/bootstrap-arm64 -o $@

demo: all $(FIXTURE_BINS)
	@tests/demo.sh

bench: all $(FIXTURE_BINS) $(BENCH_BINS)
	@bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/faas-lambda $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(B)/faas-lambda $(DESTDIR)$(PREFIX)/bin/faas-lambda
	install -m 755 $(B)/bootstrap $(DESTDIR)$(PREFIX)/lib/faas-lambda/bootstrap-x86_64
	install -m 755 $(B)/bootstrap-arm64 $(DESTDIR)$(PREFIX)/lib/faas-lambda/bootstrap-arm64
	install -m 644 dist/faas-lambda.1 $(DESTDIR)$(PREFIX)/share/man/man1/faas-lambda.1
	install -m 644 dist/faas-lambda.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/faas-lambda

# Release tarballs with checksums: the sources (git archive of HEAD) and the
# built files for this machine (Debian 12 x86_64), installed under a prefix.
DIST := $(B)/dist
dist: all layers
	@rm -rf $(DIST) && mkdir -p $(DIST)/stage
	git archive --format=tar.gz --prefix=faas-lambda-$(VERSION)/ -o $(DIST)/faas-lambda-$(VERSION).tar.gz HEAD
	$(MAKE) --no-print-directory install PREFIX=/usr/local DESTDIR=$(CURDIR)/$(DIST)/stage >/dev/null
	cp $(LAYERS) $(DIST)/
	tar -C $(DIST)/stage --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
	  -czf $(DIST)/faas-lambda-$(VERSION)-debian12-x86_64.tar.gz usr
	@rm -rf $(DIST)/stage
	cd $(DIST) && sha256sum *.tar.gz *.zip > SHA256SUMS && cat SHA256SUMS

# Keeps the third-party cache (sources and archives): `make distclean` drops it.
clean:
	find $(B) -mindepth 1 -maxdepth 1 ! -name third_party ! -name .deps-installed -exec rm -rf {} +
distclean:
	rm -rf $(B)

-include $(shell find $(B)/obj $(B)/san $(B)/fuzz $(B)/musl-x86_64 $(B)/musl-arm64 -name '*.d' 2>/dev/null)
