# pitestbed - plain, overridable Makefile.
#
#   make                      build every program into build/ (native, dynamic)
#   make CC=clang             same with clang
#   make CROSS=aarch64-linux-gnu-      static binaries into build/aarch64-linux-gnu/
#   make CROSS=arm-linux-gnueabihf-    static binaries into build/arm-linux-gnueabihf/
#   make SAN=1                ASan+UBSan build into build/san/
#   make STATIC=1             static native programs into build/static/ (what the images ship)
#   make test                 install missing dependencies, then run every suite (tests/run.sh)
#   make demo                 install missing dependencies, then run the local pipeline (ci/demo)
#   make unit | integration | fuzz | cross-test | bench   single suites
#
# Each program is a directory (msdemo/, ptest/, picluster/) whose main.c holds main();
# every other .c of it goes into a per-program archive that the unit tests link against.

# BUILD (the output folder) is taken from the command line only: test scripts export BUILD
# as the absolute folder of the binaries under test, and a make run inside them must not
# turn that into object paths that no longer match the dependency files.
ifeq ($(origin BUILD),environment)
  undefine BUILD
endif

CROSS   ?=
CC      ?= cc
ifneq ($(CROSS),)
CC      := $(CROSS)gcc
AR      := $(CROSS)ar
endif
AR      ?= ar
V       ?= 0

VERSION := $(shell git describe --always --dirty --tags 2>/dev/null || echo unknown)

WARN    := -Wall -Wextra -Wshadow -Wpedantic -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CSTD    := -std=c11 -D_GNU_SOURCE
OPT     ?= -O2 -g
CFLAGS  ?= $(OPT)
# Sources live in one folder per concern (lib/core, ptest/engine, ...: the README's layout).
# Every folder that holds headers is on the include path, as nginx does with src/core,
# src/event, ...: a module includes "buf.h" or "stats.h" by its name alone, so moving a
# module between folders touches no source. That needs header names unique across the
# tree: checked below, at parse time. Tests and fuzz targets include by full path from the
# root ("ptest/engine/stats.h"), to say which program a module belongs to.
SRC_ROOTS := lib msdemo ptest picluster
ALL_HDRS  := $(shell find $(SRC_ROOTS) -name '*.h' 2>/dev/null)
DUP_HDRS  := $(shell printf '%s\n' $(notdir $(ALL_HDRS)) | sort | uniq -d)
ifneq ($(DUP_HDRS),)
  $(error header names must be unique across $(SRC_ROOTS) (they are included by name): $(DUP_HDRS))
endif
INC_DIRS  := $(sort $(patsubst %/,%,$(dir $(ALL_HDRS))))
CPPFLAGS_ALL := $(CSTD) $(addprefix -I,$(INC_DIRS)) -I. -DPT_VERSION='"$(VERSION)"' -MMD -MP
LDLIBS  ?=
LDLIBS_ALL := -lyaml -ljansson -lexpat -lssl -lcrypto -lz -lm -lpthread $(LDLIBS)
LDFLAGS ?=

ifeq ($(CROSS),)
  ifeq ($(STATIC),1)
    # Static programs, as shipped in the images: no shared-library pages in RSS.
    BUILD   ?= build/static
    PROG_LDFLAGS := -static
  else ifeq ($(SAN),1)
    BUILD   ?= build/san
    SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
    CFLAGS  += $(SANFLAGS)
    LDFLAGS += $(SANFLAGS)
  else
    BUILD   ?= build
  endif
else
  # Cross builds link against the Debian arm packages unpacked into a sysroot by
  # scripts/sysroot.sh (no multiarch install needed on the host).
  TRIPLE  := $(patsubst %-,%,$(CROSS))
  BUILD   ?= build/$(TRIPLE)
  SYSROOT ?= build/sysroot/$(TRIPLE)
  CPPFLAGS_ALL += -isystem $(SYSROOT)/usr/include -isystem $(SYSROOT)/usr/include/$(TRIPLE)
  LDFLAGS += -L$(SYSROOT)/usr/lib/$(TRIPLE)
  PROG_LDFLAGS := -static
  # Unit tests link cmocka dynamically (Debian ships no libcmocka.a); they run under qemu.
  TEST_LDFLAGS := -Wl,-rpath-link,$(SYSROOT)/usr/lib/$(TRIPLE)
endif
# io_uring backend of lib/event (evloop_uring.c): built when <liburing.h> and liburing link
# for this compiler and sysroot (liburing-dev, scripts/deps.sh; the arm sysroots carry it
# too), else lib/event is epoll only and PT_EVLOOP=uring fails. URING=0|1 overrides.
URING ?= $(shell printf '\043include <liburing.h>\nint main(void) { struct io_uring r; return io_uring_queue_init(1, &r, 0); }\n' | \
           $(CC) $(filter-out -MMD -MP,$(CPPFLAGS_ALL)) $(LDFLAGS) $(PROG_LDFLAGS) -x c -o /dev/null - -luring >/dev/null 2>&1 \
           && echo 1 || echo 0)
ifeq ($(URING),1)
  CPPFLAGS_ALL += -DPT_HAVE_URING
  LDLIBS_ALL := -luring $(LDLIBS_ALL)
endif
ifeq ($(WERROR),1)
  WARN += -Werror
endif

ifeq ($(V),0)
  Q = @
  say = @printf '  %-6s %s\n' $(1) $(2)
else
  Q =
  say =
endif

PROGS     := $(foreach d,msdemo ptest picluster,$(if $(wildcard $(d)/main.c),$(d)))
LIB_SRC   := $(filter-out $(if $(filter 1,$(URING)),,lib/event/evloop_uring.c),$(shell find lib -name '*.c'))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB_A     := $(BUILD)/libpt.a
prog_src   = $(filter-out $(1)/main.c,$(shell find $(1) -name '*.c'))
PROG_AS   := $(foreach p,$(PROGS),$(BUILD)/lib$(p).a)
BINS      := $(foreach p,$(PROGS),$(BUILD)/$(p))

# tests/unit mirrors the tree by program (lib/, msdemo/, ptest/, picluster/); the test
# executables stay flat: build/tests/test_NAME.
UNIT_SRC  := $(shell find tests/unit -name 'test_*.c')
UNIT_BINS := $(addprefix $(BUILD)/tests/,$(basename $(notdir $(UNIT_SRC))))
UNIT_HELPERS := $(wildcard tests/unit/*.c)
UNIT_HELPER_OBJ := $(UNIT_HELPERS:%.c=$(BUILD)/obj/%.o)

TOOL_SRC  := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

.PHONY: all clean test demo unit integration fuzz cross-test bench image deps tools format
.DEFAULT_GOAL := all
# Keep every intermediate object (make would otherwise delete the unit-test helpers' .o
# after each link and rebuild them every time).
.SECONDARY:

all: $(BINS)

tools: $(TOOL_BINS)

# --- the libraries, checked before the first compile ---------------------------------
# LIB:HEADER:DEBIAN-PACKAGE. One compile and link of a program that includes every
# header, as the programs (or unit tests) are linked; only when that fails, one probe per
# library names the missing packages. Once per build folder and compiler: the stamp.
DEPS_LIBS      := yaml:yaml.h:libyaml-dev jansson:jansson.h:libjansson-dev expat:expat.h:libexpat1-dev \
                  ssl:openssl/ssl.h:libssl-dev crypto:openssl/crypto.h:libssl-dev z:zlib.h:zlib1g-dev
DEPS_UNIT_LIBS := cmocka:cmocka.h:libcmocka-dev
DEPS_CC_NAME   := $(subst /,_,$(notdir $(firstword $(CC))))
DEPS_STAMP     := $(BUILD)/deps-ok.$(DEPS_CC_NAME)
DEPS_UNIT_STAMP := $(BUILD)/deps-unit-ok.$(DEPS_CC_NAME)
DEPS_HINT      := $(if $(CROSS),scripts/deps.sh test (it makes the cross sysroots),scripts/deps.sh build)

# deps_check LIST, LINK-FLAGS: the recipe of a stamp.
define deps_check
	@mkdir -p $(dir $@)
	$(Q)probe() { \
	  { for h in stdarg.h stddef.h stdint.h setjmp.h $$1; do printf '#include <%s>\n' "$$h"; done; \
	    echo 'int main(void) { return 0; }'; } >$@.c && \
	  $(CC) $(filter-out -MMD -MP,$(CPPFLAGS_ALL)) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(2) -o $@.out $@.c $$2 \
	    >$@.log 2>&1; }; \
	libs= hdrs=; for d in $(1); do h=$${d#*:}; hdrs="$$hdrs $${h%:*}"; libs="$$libs -l$${d%%:*}"; done; \
	if probe "$$hdrs" "$$libs $(LDLIBS)"; then rm -f $@.c $@.out $@.log; touch $@; exit 0; fi; \
	if ! probe "" ""; then \
	  echo "make: '$(CC)' cannot build an empty C program ($(DEPS_HINT) installs the compiler):" >&2; \
	  sed 's/^/  /' $@.log >&2; rm -f $@.c $@.out; exit 1; fi; \
	missing=; for d in $(1); do h=$${d#*:}; \
	  probe "$${h%:*}" "-l$${d%%:*}" || missing="$$missing $${d##*:}"; done; \
	rm -f $@.c $@.out; \
	if [ -z "$$missing" ]; then \
	  echo "make: every library is there, but a program using all of them does not build with '$(CC)':" >&2; \
	  sed 's/^/  /' $@.log >&2; exit 1; fi; \
	echo "make: missing libraries (Debian packages):$$missing" >&2; \
	echo "make: install them with $(DEPS_HINT), then run make again" >&2; \
	rm -f $@.log; exit 1
endef

$(DEPS_STAMP):
	$(call deps_check,$(DEPS_LIBS),$(PROG_LDFLAGS))

$(DEPS_UNIT_STAMP): | $(DEPS_STAMP)
	$(call deps_check,$(DEPS_UNIT_LIBS),$(TEST_LDFLAGS))

# Every object waits for the library check (order-only: the stamp never makes anything
# rebuild); unit-test objects also for cmocka's.
$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(UNIT_SRC:%.c=$(BUILD)/obj/%.o) $(UNIT_HELPER_OBJ): | $(DEPS_UNIT_STAMP)
$(UNIT_SRC:%.c=$(BUILD)/obj/%.o): CPPFLAGS_ALL += -Itests/unit

# The objects that PT_HAVE_URING changes are rebuilt when URING flips (liburing-dev installed
# or removed since the last build).
# (A file rewritten at parse time when the value differs: .SECONDARY would not remake a
# missing stamp target.)
URING_STAMP := $(BUILD)/uring-flag
$(shell mkdir -p $(BUILD) && [ "$$(cat $(URING_STAMP) 2>/dev/null)" = "$(URING)" ] || echo $(URING) >$(URING_STAMP))
$(BUILD)/obj/lib/event/evloop.o $(BUILD)/obj/lib/event/evloop_uring.o: $(URING_STAMP)

$(LIB_A): $(LIB_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

define prog_rules
$(BUILD)/lib$(1).a: $$(patsubst %.c,$(BUILD)/obj/%.o,$$(call prog_src,$(1)))
	$$(call say,AR,$$@)
	$$(Q)rm -f $$@ && $$(AR) rcs $$@ $$^

$(BUILD)/$(1): $(BUILD)/obj/$(1)/main.o $(BUILD)/lib$(1).a $(LIB_A)
	$$(call say,LD,$$@)
	$$(Q)$$(CC) $$(CFLAGS) $$(LDFLAGS) $$(PROG_LDFLAGS) -o $$@ $$^ $$(LDLIBS_ALL)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rules,$(p))))

# Unit tests: one cmocka executable per module; every archive is offered to the linker,
# which pulls only what the test uses.
define unit_rule
$(BUILD)/tests/$(basename $(notdir $(1))): $(BUILD)/obj/$(1:.c=.o) $(UNIT_HELPER_OBJ) $(PROG_AS) $(LIB_A)
	@mkdir -p $$(dir $$@)
	$$(call say,LD,$$@)
	$$(Q)$$(CC) $$(CFLAGS) $$(LDFLAGS) $$(TEST_LDFLAGS) -o $$@ $$< $$(UNIT_HELPER_OBJ) $$(PROG_AS) $$(LIB_A) -lcmocka $$(LDLIBS_ALL)
endef
$(foreach t,$(UNIT_SRC),$(eval $(call unit_rule,$(t))))

# Test tools (servers and clients written for integration tests).
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

unit-build: $(UNIT_BINS)

# --- fuzzing (clang libFuzzer); targets are tests/fuzz/fuzz_*.c ---------------------
FUZZ_BUILD := build/fuzz
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer

fuzz-build:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD)/lib CC=clang \
	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	    $(FUZZ_BUILD)/lib/libpt.a $(foreach p,$(PROGS),$(FUZZ_BUILD)/lib/lib$(p).a)
	$(Q)mkdir -p $(FUZZ_BUILD)
	$(Q)for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	    printf '  %-6s %s\n' FUZZ $$n; \
	    clang $(CSTD) $(addprefix -I,$(INC_DIRS)) -I. $(FUZZ_FLAGS) -o $(FUZZ_BUILD)/$$n $$f \
	      $(foreach p,$(PROGS),$(FUZZ_BUILD)/lib/lib$(p).a) $(FUZZ_BUILD)/lib/libpt.a $(LDLIBS_ALL) || exit 1; done

# --- suites -------------------------------------------------------------------------
deps:
	$(Q)scripts/deps.sh build

test:
	$(Q)scripts/deps.sh test
	$(Q)tests/run.sh

demo:
	$(Q)scripts/deps.sh demo
	$(Q)$(MAKE) --no-print-directory all
	$(Q)ci/demo $(if $(SLOW),--slow $(SLOW))

# Multi-arch FROM scratch image (amd64, arm64, arm/v7), tag TAG (default BRANCH-COMMIT), as
# the OCI layout build/image/oci, written by ci/oci (no container engine); needs the cross
# toolchains (scripts/deps.sh test); IMAGE_PLATFORMS=amd64 for the host arch only.
image:
	$(Q)ci/mkimage $(TAG)

unit: all unit-build
	$(Q)tests/run.sh unit

integration: all tools
	$(Q)tests/run.sh integration

fuzz: fuzz-build
	$(Q)tests/run.sh fuzz

cross-test:
	$(Q)tests/run.sh cross

bench: all tools
	$(Q)$(MAKE) --no-print-directory STATIC=1 all
	$(Q)bench/run.sh

# The C style (.clang-format, clang-format 14) applied to every tracked file; the suite checks it.
format:
	$(Q)scripts/format.sh

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
