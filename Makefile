# ipcscope — see README.md. GNU make.
VERSION := 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARNFLAGS += -Werror
endif
DEPS := libproc2 jansson
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(DEPS) 2>/dev/null)
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -pthread -Isrc -Isrc/kinds -DIPCSCOPE_VERSION='"$(VERSION)"' \
	$(WARNFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(SANFLAGS)
ALL_LDFLAGS := -pthread $(LDFLAGS) $(SANFLAGS)

SRCS := $(wildcard src/*.c src/*/*.c)
OBJDIR := build$(if $(SANFLAGS),-san)
OBJS := $(patsubst src/%.c,$(OBJDIR)/%.o,$(SRCS))

HELPER := tests/helpers/mkipc

.PHONY: all check test install uninstall clean bench deps deps-check fuzz fuzz-build fuzz-regress

all: ipcscope

deps-check:
	@$(PKG_CONFIG) --exists $(DEPS) || { \
	  echo "missing build dependencies: $(DEPS) (Debian: apt-get install libproc2-dev libjansson-dev pkg-config)" >&2; \
	  exit 1; }

ipcscope: deps-check $(OBJS)
	$(CC) -o $@ $(OBJS) $(ALL_LDFLAGS) $(PKG_LIBS)

$(OBJDIR)/%.o: src/%.c | $(OBJDIR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(OBJDIR):
	mkdir -p $@

-include $(OBJS:.o=.d)

$(HELPER): tests/helpers/mkipc.c
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) $(SANFLAGS) \
		-o $@ $< -lrt -lpthread

check test: ipcscope $(HELPER)
	bats --print-output-on-failure tests/

deps:
	sh tests/install-deps.sh

install: ipcscope
	install -D -m 0755 ipcscope $(DESTDIR)$(BINDIR)/ipcscope
	install -D -m 0644 man/ipcscope.1 $(DESTDIR)$(MANDIR)/man1/ipcscope.1
	install -D -m 0644 completions/ipcscope.bash $(DESTDIR)$(BASHCOMPDIR)/ipcscope
	install -D -m 0644 completions/_ipcscope $(DESTDIR)$(ZSHCOMPDIR)/_ipcscope
	install -D -m 0644 completions/ipcscope.fish $(DESTDIR)$(FISHCOMPDIR)/ipcscope.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ipcscope $(DESTDIR)$(MANDIR)/man1/ipcscope.1 \
		$(DESTDIR)$(BASHCOMPDIR)/ipcscope $(DESTDIR)$(ZSHCOMPDIR)/_ipcscope \
		$(DESTDIR)$(FISHCOMPDIR)/ipcscope.fish

BENCH_BINS := tests/bench/workload tests/bench/floor

tests/bench/%: tests/bench/%.c
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $< -lrt

# libFuzzer targets for every parser of kernel text (clang).
FUZZ_SECONDS ?= 60
fuzz-build:
	bash tests/fuzz/run-fuzz.sh build
fuzz:
	bash tests/fuzz/run-fuzz.sh run $(FUZZ_SECONDS)
fuzz-regress:
	bash tests/fuzz/run-fuzz.sh regress

# Timings live here, never in `make check`.
bench: ipcscope $(BENCH_BINS)
	bash tests/bench/run-bench.sh ./ipcscope

clean:
	rm -rf build build-san ipcscope $(HELPER) tests/bench/workload tests/bench/floor tests/fuzz/out
