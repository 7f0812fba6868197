# hearth — one GNU Makefile.  `make` builds, `make run` sets up and starts,
# `make test` sets up and runs every test, `make bench` prints figures.
# Quiet by default; V=1 shows full commands; SAN=1 builds with ASan+UBSan.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
ifeq ($(SAN),1)
B       ?= build-san
else
B       ?= build
endif

PKGS    := ncursesw readline libcurl libcjson sqlite3
# Debian packages that provide PKGS and the tools the build, images and tests use.
DEBS    := build-essential pkg-config libncurses-dev libreadline-dev \
	   libcurl4-openssl-dev libcjson-dev libsqlite3-dev libseccomp-dev \
	   libvterm-dev python3 nodejs tmux curl sqlite3 zsh fish \
	   qemu-system-x86 cpio erofs-utils clang libclang-rt-14-dev

# Tables (columns, options, settings) are written positionally, naming
# only the fields a row uses; the trailing ones are zero unless given.
WARN    := -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	   -Wshadow -Wpointer-arith -Wsign-compare -Wno-unused-parameter \
	   -Wno-missing-field-initializers \
	   -Wvla -Wwrite-strings -Werror=implicit-function-declaration
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=address,undefined
endif

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
endif

# The layers, lowest first: the shared base, the VM manager, the manager,
# the command layer with its front ends, the console.  Each is an archive
# compiled with only the include paths it may use, so a layer reaching into
# one it must not (vm/ into the manager, a command or the console into a
# driver) does not compile; tests/integration/00-layers.sh checks what
# include paths cannot (the store's private header, streams, SQL).
.DEFAULT_GOAL := all
LAYERS    := util vm core cmd tui
SRCS_util := $(wildcard src/util/*.c)
SRCS_vm   := $(wildcard vm/*.c)
SRCS_core := $(wildcard src/core/*.c)
SRCS_cmd  := $(filter-out src/main.c,$(wildcard src/*.c src/cmd/*.c))
SRCS_tui  := $(wildcard tui/*.c)
INC_util  := -Isrc/util
INC_vm    := $(INC_util) -Ivm -Ivm/agent
INC_core  := $(INC_util) -Isrc/core -Ivm -Ivm/agent
INC_cmd   := $(INC_util) -Isrc/core -Isrc
INC_tui   := $(INC_cmd) -Itui
INC_ALL   := $(INC_util) -Ivm -Ivm/agent -Isrc/core -Isrc -Itui
# The libraries each layer compiles against: SQLite only in the manager,
# curses only in the console, libcurl only in vm/.
PKG_util  :=
PKG_vm    := libcurl libcjson
PKG_core  := sqlite3 libcjson
PKG_cmd   := readline libcjson
PKG_tui   := ncursesw libcjson
SRCS    := $(foreach l,$(LAYERS),$(SRCS_$(l))) src/main.c
OBJS    := $(SRCS:%.c=$(B)/%.o)
LIBS    := $(LAYERS:%=$(B)/lib%.a)
# Archives in one group: the console and the command layer call each other.
LINKLIBS := -Wl,--start-group $(LIBS) -Wl,--end-group
$(foreach l,$(LAYERS),$(eval $$(SRCS_$(l):%.c=$$(B)/%.o): INC := $$(INC_$(l))))
$(foreach l,$(LAYERS),$(eval $$(SRCS_$(l):%.c=$$(B)/%.o): PKG := $$(PKG_$(l))))
$(B)/src/main.o: INC := $(INC_cmd)
$(B)/src/main.o: PKG := $(PKG_cmd)
$(foreach l,$(LAYERS),$(eval $$(B)/lib$(l).a: $$(SRCS_$(l):%.c=$$(B)/%.o)))
AGENT_SRCS := $(filter-out vm/agent/seccomp-gen.c,$(wildcard vm/agent/*.c))
SHIM_SRCS  := $(wildcard vm/shim/*.c)
UNIT_SRCS  := $(wildcard tests/unit/*.c)
UNITS   := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

# libFuzzer harnesses (tests/fuzz/): clang's, with their own flags, each
# linked with only the sources it fuzzes, in $(FUZZ_B).
FUZZ_CC    ?= clang
FUZZ_RUNS  ?= 1000000
FUZZ_B     := $(B)/fuzz
FUZZ_NAMES := http reply stream code
FUZZ_BINS  := $(FUZZ_NAMES:%=$(FUZZ_B)/fuzz-%)
FUZZ_HDRS  := $(wildcard src/*.h src/*/*.h vm/*.h vm/agent/*.h tests/fuzz/*.h)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Wno-format-nonliteral -g -O1 \
	   -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	   -fno-sanitize-recover=all -Isrc -Isrc/util -Isrc/core -Ivm -Ivm/agent
FUZZ_SRCS_http   := vm/agent/http.c
FUZZ_SRCS_reply  := vm/agent-client.c src/util/util.c src/util/xmalloc.c src/util/interrupt.c
FUZZ_SRCS_stream := vm/agent-stream.c src/util/util.c src/util/xmalloc.c
FUZZ_SRCS_code   := vm/agent/code.c vm/bundle.c src/util/util.c src/util/xmalloc.c
FUZZ_INCLUDED    := vm/agent-client.c vm/agent-stream.c
# Whether clang and its libFuzzer runtime are here (else the fuzz tests skip).
FUZZ_OK = $(shell f=$$($(FUZZ_CC) -print-file-name=libclang_rt.fuzzer-$$(uname -m).a \
	   2>/dev/null) && [ -e "$$f" ] && echo 1)

.PHONY: all deps print-debs images run test bench install completions clean fuzz fuzz-build fuzz-corpus
all: $(B)/hearth $(B)/hearth-agent $(B)/hearth-shim

print-debs:
	@echo $(DEBS)

# deps: install what is missing (as root) or print the exact apt-get line.
deps:
	@missing=""; \
	for p in $(PKGS) libseccomp; do pkg-config --exists $$p 2>/dev/null || missing=1; done; \
	for t in cc tmux curl /usr/bin/python3 node sqlite3 qemu-system-x86_64 cpio mkfs.erofs; do command -v $$t >/dev/null 2>&1 || missing=1; done; \
	[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/libc.a ] || missing=1; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "deps: installing Debian packages"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBS) >/dev/null || exit 1; \
		else \
			echo "hearth needs: apt-get install -y $(DEBS)"; exit 1; \
		fi; \
	fi

$(B)/hearth: $(B)/src/main.o $(LIBS)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) -o $@ $< $(LINKLIBS) $$(pkg-config --libs $(PKGS))

$(B)/lib%.a:
	$(call say,AR,$@)rm -f $@ && $(AR) rcs $@ $^

# The agent runs inside every image, so it is static: no dependency on the
# image's libc (busybox, alpine and distroless images must host it too).
# Its seccomp programs are compiled here, with libseccomp, by seccomp-gen.
$(B)/hearth-agent: $(AGENT_SRCS) vm/agent/proto.h vm/agent/agent.h $(B)/gen/seccomp-bpf.h
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -static -I$(B)/gen -o $@ $(AGENT_SRCS)

$(B)/seccomp-gen: vm/agent/seccomp-gen.c
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 $$(pkg-config --cflags libseccomp) -o $@ $< $$(pkg-config --libs libseccomp)

$(B)/gen/seccomp-bpf.h: $(B)/seccomp-gen
	@mkdir -p $(@D)
	$(call say,GEN,$@)./$(B)/seccomp-gen runtime agent > $@.tmp && mv $@.tmp $@

$(B)/gen/seccomp-vmm.h: $(B)/seccomp-gen
	@mkdir -p $(@D)
	$(call say,GEN,$@)./$(B)/seccomp-gen vmm > $@.tmp && mv $@.tmp $@

# One shim supervises each microVM; it needs nothing but libc.  It sees
# no include path but the generated filters: of hearth's headers it can
# reach only its own and, by its path, the wire format (proto.h).
$(B)/hearth-shim: $(SHIM_SRCS) vm/shim/shim.h vm/agent/proto.h $(B)/gen/seccomp-vmm.h
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(CFLAGS) -I$(B)/gen $(LDFLAGS) -o $@ $(SHIM_SRCS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CFLAGS) $(INC) $(if $(PKG),$$(pkg-config --cflags $(PKG))) -c -o $@ $<

# Unit tests of vm/ and the base see only their headers and link only
# their archives: the VM manager builds and is tested without the store.
UNITS_VM := $(addprefix $(B)/tests/,test-agent-client test-qemu-argv \
	    test-util-split test-bundle test-copytree)
$(UNITS_VM): $(B)/tests/%: tests/unit/%.c $(B)/libvm.a $(B)/libutil.a
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(CFLAGS) $(INC_vm) $(LDFLAGS) $$(pkg-config --cflags libcurl) -o $@ $< $(B)/libvm.a $(B)/libutil.a $$(pkg-config --libs libcurl)

$(B)/tests/%: tests/unit/%.c $(LIBS)
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(CFLAGS) $(INC_ALL) $(LDFLAGS) $$(pkg-config --cflags $(PKGS)) -o $@ $< $(LINKLIBS) $$(pkg-config --libs $(PKGS))

images: all
	$(Q)sh images/build.sh $(B)/images $(B)/hearth-agent

# Set-up first, then build: the compiler needs the packages deps installs.
run: deps
	$(Q)$(MAKE) --no-print-directory all images
	$(Q)exec ./$(B)/hearth

test: deps
	$(Q)$(MAKE) --no-print-directory all images $(UNITS) $(if $(FUZZ_OK),$(FUZZ_BINS))
	$(Q)sh tests/run.sh $(B)

bench: deps
	$(Q)$(MAKE) --no-print-directory all images $(B)/tests/bench-spawn $(B)/tests/bench-defences $(if $(FUZZ_OK),$(FUZZ_BINS))
	$(Q)sh tests/bench.sh $(B)

# fuzz: every harness for FUZZ_RUNS executions from its seed corpus; fails
# on any crash or sanitizer report.  fuzz-corpus writes the seeds again.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)sh tests/fuzz/fuzz.sh $(FUZZ_B) $(FUZZ_RUNS) $(FUZZ_NAMES)

fuzz-build: $(FUZZ_BINS)

fuzz-corpus: all images $(B)/fuzz/fuzz-seeds
	$(Q)/usr/bin/python3 tests/fuzz/corpus.py $(B)

# The reply and stream harnesses include the file they fuzz (to see its
# handle and buffers): a prerequisite there, not compiled on its own.
.SECONDEXPANSION:
$(FUZZ_B)/fuzz-%: tests/fuzz/fuzz-%.c $$(FUZZ_SRCS_$$*) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(call say,FUZZ,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) $$(pkg-config --cflags $(PKGS)) \
	    -o $@ $< $(filter-out $(FUZZ_INCLUDED),$(FUZZ_SRCS_$*)) \
	    $(if $(filter reply,$*),$$(pkg-config --libs libcurl))

$(B)/fuzz/fuzz-seeds: tests/fuzz/seeds.c $(LIBS)
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(CFLAGS) $(INC_ALL) $(LDFLAGS) $$(pkg-config --cflags $(PKGS)) -o $@ $< $(LINKLIBS) $$(pkg-config --libs $(PKGS))

$(B)/tests/bench-spawn: tests/bench-spawn.c
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $<

$(B)/tests/bench-defences: tests/bench-defences.c $(B)/gen/seccomp-bpf.h
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -Ivm/agent -I$(B)/gen -o $@ $<

install: all images
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/hearth
	install -m 755 $(B)/hearth $(DESTDIR)$(PREFIX)/bin/hearth
	install -m 755 $(B)/hearth-agent $(DESTDIR)$(PREFIX)/lib/hearth/hearth-agent
	install -m 755 $(B)/hearth-shim $(DESTDIR)$(PREFIX)/lib/hearth/hearth-shim
	cp -a $(B)/images $(DESTDIR)$(PREFIX)/lib/hearth/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 644 completions/hearth.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/hearth
	install -d $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 644 completions/_hearth $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_hearth
	install -d $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 644 completions/hearth.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/hearth.fish

# The completion scripts are what `hearth completion SHELL` prints, kept in
# the tree so an install needs no built binary to write them; 21-cli checks
# they agree.
completions: $(B)/hearth
	$(B)/hearth completion bash > completions/hearth.bash
	$(B)/hearth completion zsh > completions/_hearth
	$(B)/hearth completion fish > completions/hearth.fish

clean:
	rm -rf $(B)

-include $(OBJS:.o=.d) $(UNITS:=.d)
