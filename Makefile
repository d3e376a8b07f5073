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
DEPS_OK := $(shell $(PKG_CONFIG) --exists $(DEPS) 2>/dev/null && echo yes)
DEPS_MSG := missing build dependencies: $(DEPS) (Debian: apt-get install libproc2-dev libjansson-dev pkg-config)
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(DEPS) 2>/dev/null)
# First line of the recipes that need the libraries: stops make with DEPS_MSG
# when they are missing. A recipe is expanded only when its target is rebuilt,
# so an up-to-date tree neither checks again nor relinks.
need_deps = $(if $(DEPS_OK),,$(error $(DEPS_MSG)))
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -pthread -DIPCSCOPE_VERSION='"$(VERSION)"' \
	$(WARNFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(SANFLAGS)
ALL_LDFLAGS := -pthread $(LDFLAGS) $(SANFLAGS)

# The bpf backend (src/collect/bpf/) is built when clang, bpftool and
# libbpf-dev are all present, and never with BPF=0; without it the binary
# has the proc backend only, and says so (ipcscope --version).
CLANG ?= clang
BPFTOOL ?= $(or $(shell command -v bpftool 2>/dev/null),$(wildcard /usr/sbin/bpftool /sbin/bpftool))
BPF ?= $(if $(and $(shell command -v $(CLANG) 2>/dev/null),$(BPFTOOL),\
	$(shell $(PKG_CONFIG) --exists libbpf 2>/dev/null && echo yes)),1,0)
BPF_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/s390x/s390/' -e 's/riscv64/riscv/')

SRCS := $(wildcard src/*.c src/*/*.c)
# The folders show the flow, collect → model (link, filter) → render, with
# kinds/ and cmd/ beside it. Only src/ is on the path: an include names
# its folder ("collect/fd.h"), so it says which layer it reaches.
ALL_CFLAGS += -Isrc
OBJDIR := build$(if $(SANFLAGS),-san)
OBJS := $(patsubst src/%.c,$(OBJDIR)/%.o,$(SRCS))
# Only headers of libbpf are used (a light skeleton): nothing to link.
ifeq ($(BPF),1)
ALL_CFLAGS += -DIPCSCOPE_HAVE_BPF -I$(OBJDIR)/bpf $(shell $(PKG_CONFIG) --cflags libbpf)
endif

HELPER := tests/helpers/mkipc
# The test binary: the same objects, but src/testhooks.c compiled with its
# hooks (IPCSCOPE_TEST_*). Only `make check` builds it, in OBJDIR, and
# nothing installs it; ./ipcscope reads no IPCSCOPE_TEST_* variable.
HOOKED := $(OBJDIR)/ipcscope-test
HOOKED_OBJS := $(filter-out $(OBJDIR)/testhooks.o,$(OBJS)) $(OBJDIR)/testhooks-hooked.o
# the large scenes of tests/bounds.bats
BIGIPC := tests/helpers/bigipc
# a sanitizer build's peak RSS says nothing of ipcscope's (bounds.bats)
SANITIZED := $(if $(SANFLAGS),IPCSCOPE_SANITIZED=1)

.PHONY: all check test install uninstall clean bench deps deps-check fuzz fuzz-build fuzz-regress

all: ipcscope

deps-check:
	@$(PKG_CONFIG) --exists $(DEPS) || { echo "$(DEPS_MSG)" >&2; exit 1; }

ipcscope: $(OBJS)
	$(need_deps)
	$(CC) -o $@ $(OBJS) $(ALL_LDFLAGS) $(PKG_LIBS)

$(HOOKED): $(HOOKED_OBJS)
	$(need_deps)
	$(CC) -o $@ $(HOOKED_OBJS) $(ALL_LDFLAGS) $(PKG_LIBS)

# Objects mirror src/'s folders; the folders are order-only, so that an
# up-to-date tree has nothing to do, not even a mkdir.
OBJDIRS := $(sort $(dir $(OBJS)))
$(OBJS): | $(OBJDIRS)
$(OBJDIRS):
	mkdir -p $@

$(OBJDIR)/%.o: src/%.c
	$(need_deps)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(OBJDIR)/testhooks-hooked.o: src/testhooks.c | $(OBJDIR)/
	$(need_deps)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -DIPCSCOPE_TEST_HOOKS -MMD -MP -c -o $@ $<

-include $(HOOKED_OBJS:.o=.d)

# The iterators: compiled for the BPF target, then embedded in a light
# skeleton header (bpftool gen skeleton -L) that collect/bpfscan.c
# includes. CO-RE: the programs carry relocations, not one kernel's
# offsets (src/collect/bpf/kernel.h), and the kernel resolves them.
ifeq ($(BPF),1)
BPF_SRC := src/collect/bpf/iter.bpf.c
BPF_DEPS := $(BPF_SRC) src/collect/bpf/kernel.h src/collect/bpf/records.h
$(OBJDIR)/collect/bpfscan.o: $(OBJDIR)/bpf/iter.skel.h
$(OBJDIR)/bpf/iter.bpf.o: $(BPF_DEPS) | $(OBJDIR)/bpf
	$(CLANG) $(CPPFLAGS) -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall \
		$(if $(filter 1,$(WERROR)),-Werror) -Isrc \
		$(shell $(PKG_CONFIG) --cflags libbpf) -c -o $@ $<
$(OBJDIR)/bpf/iter.skel.h: $(OBJDIR)/bpf/iter.bpf.o
	$(BPFTOOL) gen skeleton -L $< name ipcscope_iter > $@.tmp && mv $@.tmp $@
$(OBJDIR)/bpf:
	mkdir -p $@
endif

$(HELPER): tests/helpers/mkipc.c
	$(CC) $(CPPFLAGS) -std=gnu11 -O1 -g -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) $(SANFLAGS) \
		-o $@ $< $(LDFLAGS) -lrt -lpthread

$(BIGIPC): tests/helpers/bigipc.c
	$(CC) $(CPPFLAGS) -std=gnu11 -O1 -g -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) $(SANFLAGS) \
		-o $@ $< $(LDFLAGS) -lpthread

# The suite runs once per backend: proc, then bpf when this build has it
# and its programs load here (root, a kernel with BTF); otherwise it says
# why the bpf pass did not run. Tests that need a hook run $(HOOKED)
# (IPCSCOPE_HOOKED), every other one ./ipcscope.
check test: ipcscope $(HOOKED) $(HELPER) $(BIGIPC)
	IPCSCOPE_HOOKED=$(CURDIR)/$(HOOKED) $(SANITIZED) IPCSCOPE_BACKEND=proc bats --print-output-on-failure tests/
	@if why=$$(./ipcscope list --backend bpf --type pipe 2>&1 >/dev/null); then \
		echo "== the suite again, with the bpf backend"; \
		IPCSCOPE_HOOKED=$(CURDIR)/$(HOOKED) $(SANITIZED) IPCSCOPE_BACKEND=bpf bats --print-output-on-failure tests/; \
	else \
		echo "== the bpf backend cannot run here, so its pass is skipped: $$why"; \
	fi

deps:
	sh tests/install-deps.sh

INSTALLED := $(BINDIR)/ipcscope $(MANDIR)/man1/ipcscope.1 $(BASHCOMPDIR)/ipcscope \
	$(ZSHCOMPDIR)/_ipcscope $(FISHCOMPDIR)/ipcscope.fish

install: ipcscope
	install -D -m 0755 ipcscope $(DESTDIR)$(BINDIR)/ipcscope
	install -D -m 0644 man/ipcscope.1 $(DESTDIR)$(MANDIR)/man1/ipcscope.1
	install -D -m 0644 completions/ipcscope.bash $(DESTDIR)$(BASHCOMPDIR)/ipcscope
	install -D -m 0644 completions/_ipcscope $(DESTDIR)$(ZSHCOMPDIR)/_ipcscope
	install -D -m 0644 completions/ipcscope.fish $(DESTDIR)$(FISHCOMPDIR)/ipcscope.fish
	@# fish reads PREFIX/share/fish/vendor_completions.d only when XDG_DATA_DIRS
	@# names PREFIX/share, and Debian's fish 3.6 does not add /usr/local/share
	@if [ -z '$(DESTDIR)' ] && command -v fish >/dev/null 2>&1 && \
	  ! fish -c 'contains -- $$argv[1] $$fish_complete_path' '$(FISHCOMPDIR)' 2>/dev/null; then \
	  echo "note: fish does not look in $(FISHCOMPDIR); for the fish completion run" \
	    "'make install FISHCOMPDIR=/etc/fish/completions' (as root) or copy" \
	    "completions/ipcscope.fish to ~/.config/fish/completions/" >&2; \
	fi

# Removes what install put there, then the directories that are left empty,
# up to DESTDIR when there is one. Without DESTDIR it stops below PREFIX and
# keeps PREFIX/bin, PREFIX/share and MANDIR, which every system has
# (/usr/local/bin on Debian) whether or not install made them.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@top='$(if $(DESTDIR),$(DESTDIR),$(PREFIX))'; \
	keep=' $(if $(DESTDIR),,$(BINDIR) $(PREFIX)/share $(MANDIR)) '; \
	for f in $(addprefix $(DESTDIR),$(INSTALLED)); do \
	  d=$${f%/*}; \
	  while case $$d in "$${top%/}"/?*) ;; *) false ;; esac && \
	    case $$keep in *" $$d "*) false ;; esac && rmdir "$$d" 2>/dev/null; do \
	    d=$${d%/*}; \
	  done; \
	done

BENCH_BINS := tests/bench/workload tests/bench/floor

tests/bench/%: tests/bench/%.c
	$(CC) $(CPPFLAGS) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $< $(LDFLAGS) -lrt

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
	rm -rf build build-san ipcscope $(HELPER) $(BIGIPC) tests/bench/workload tests/bench/floor tests/fuzz/out
