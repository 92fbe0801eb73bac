# SPDX-License-Identifier: MIT
# aecat / libaeh.  `make demo` and `make check` work on a fresh Debian 12 as root.
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
# CPPFLAGS, CFLAGS and LDFLAGS are the user's (environment or command line):
# they come last, so they can override, but never replace what the code
# needs (C11, the warnings, _GNU_SOURCE, the include path) or the hardening below.
CFLAGS  ?= -O2 -g
WARN     = -std=c11 -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# The usual hardening, as Debian builds packages.  _FORTIFY_SOURCE checks
# nothing without optimisation (and glibc warns then), and a user who
# sets it keeps theirs; `make asan` clears FORTIFY, of no use under ASan.
HARDEN_CFLAGS  ?= -fstack-protector-strong -fPIE
HARDEN_LDFLAGS ?= -pie -Wl,-z,relro -Wl,-z,now
FORTIFY  ?= $(if $(filter-out -O0,$(filter -O%,$(CFLAGS))),$(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-D_FORTIFY_SOURCE=2))
# The library and its tests see lib/; the CLI sees only include/, where
# aeh.h is all there is (a link to lib/aeh.h), as for a program built
# against the installed library: a CLI file that includes a lib/*_int.h
# does not compile.
INCLUDE_DIR    = -Ilib
AECAT_CPPFLAGS = -D_GNU_SOURCE $(INCLUDE_DIR) $(FORTIFY) $(CPPFLAGS)
AECAT_CFLAGS   = $(WARN) $(HARDEN_CFLAGS) $(CFLAGS)
AECAT_LDFLAGS  = $(HARDEN_LDFLAGS) $(LDFLAGS)
LIBS     = -lev -lpcre2-8 -lpthread
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt)
VERSION  = 0.1.0

# Debian packages: build, tests (real peers), benchmarks, fuzzing.
DEPS_BUILD = gcc make pkgconf libev-dev libgnutls28-dev libpcre2-dev ca-certificates check
DEPS_TEST  = mandoc bats bats-support bats-assert bats-file parallel python3 perl socat openssl gnutls-bin \
             libanyevent-perl libnet-ssleay-perl libjson-xs-perl libcbor-xs-perl netcat-openbsd bash-completion zsh fish \
             ncat ucspi-tcp systemd python3-pymodbus
DEPS_BENCH = libev-perl clang libclang-rt-14-dev valgrind hyperfine time strace jq
# Real servers for the STARTTLS and len: preset tests, each run privately by a test
# (tests/servers/); installing them must not start their services.
DEPS_SERVERS = exim4-daemon-light dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-managesieved \
             slapd ldap-utils postgresql-15 vsftpd prosody inn2 inspircd mariadb-server mariadb-client \
             nginx-light redis-server mosquitto dnsmasq-base
DEPS       = $(DEPS_BUILD) $(DEPS_TEST) $(DEPS_BENCH) $(DEPS_SERVERS)

# lib/starttls/: the STARTTLS presets, one file per protocol (both roles).
LIB_SRC  = $(sort $(wildcard lib/*.c lib/starttls/*.c))
LIB_OBJ  = $(LIB_SRC:.c=.o)
CLI_SRC  = aecat.c $(sort $(wildcard cli/*.c))
CLI_OBJ  = $(CLI_SRC:.c=.o)
$(CLI_OBJ): INCLUDE_DIR = -Iinclude
# The one version string: --version prints what this Makefile says.
$(CLI_OBJ): AECAT_CPPFLAGS += -DAECAT_VERSION='"$(VERSION)"'
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:.c=)

.PHONY: all deps check lint unit bats demo asan fuzz fuzz-diff bench install uninstall clean

all: aecat lib/libaeh.a

# inn2's install script needs a domain in inn.conf, which a host name
# without one does not give: INNCONF points it at a copy that sets one
# (/etc/news/inn.conf stays as shipped).  A policy-rc.d that we create
# keeps the servers' services from starting, and goes afterwards.
deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "deps: all installed"; exit 0; fi; \
	cmd="apt-get update -qq && DEBIAN_FRONTEND=noninteractive INNCONF=$(CURDIR)/tests/servers/inn2-dpkg.conf apt-get install -y -qq --no-install-recommends $$(echo $$missing)"; \
	if [ "$$(id -u)" != 0 ]; then echo "deps: missing: $$missing"; echo "deps: run as root: $$cmd"; exit 1; fi; \
	echo "deps: installing $$(echo $$missing)"; \
	policy=; if [ ! -e /usr/sbin/policy-rc.d ]; then policy=/usr/sbin/policy-rc.d; \
	  printf '#!/bin/sh\nexit 101\n' >$$policy && chmod +x $$policy; fi; \
	sh -c "$$cmd"; rc=$$?; [ -z "$$policy" ] || rm -f "$$policy"; exit $$rc

%.o: %.c lib/aeh.h $(wildcard cli/*.h) $(wildcard lib/*_int.h lib/starttls/*_int.h)
	$(CC) $(AECAT_CPPFLAGS) $(AECAT_CFLAGS) -c -o $@ $<

# The library's objects are compiled with hidden visibility (aeh.h marks
# the API visible).  The installed archive is one partial link of them
# whose hidden symbols are then made local: it exports the aeh_ API and
# nothing else, so no internal can collide with a name of the program or
# of another library (`make lint` checks it).  libaeh_int.a, the plain
# objects, is for the unit tests that call internals; it is not installed.
$(LIB_OBJ): AECAT_CFLAGS += -fvisibility=hidden
LD      ?= ld
OBJCOPY ?= objcopy

lib/libaeh.a: $(LIB_OBJ)
	$(LD) -r -o lib/libaeh.o $^
	$(OBJCOPY) --localize-hidden lib/libaeh.o
	rm -f $@; ar rcs $@ lib/libaeh.o

lib/libaeh_int.a: $(LIB_OBJ)
	rm -f $@; ar rcs $@ $^

aecat: $(CLI_OBJ) lib/libaeh.a
	$(CC) $(AECAT_CFLAGS) $(AECAT_LDFLAGS) -o $@ $(CLI_OBJ) lib/libaeh.a $(LIBS)

# libaeh.pc names the PREFIX that `make install` is given, so it is
# written there, not built beforehand with whatever PREFIX `make` had.
PC_TEXT = 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: libaeh\nDescription: non-blocking stream handles with framing on libev\nVersion: %s\nLibs: -L$${libdir} -laeh\nLibs.private: %s\nCflags: -I$${includedir}\n' \
	  '$(PREFIX)' '$(VERSION)' '$(LIBS)'

# The unit tests link the installed archive, but for those that call
# library internals (the STARTTLS presets, the regex matcher).
UNIT_LIB = lib/libaeh.a
tests/unit/test_starttls tests/unit/test_frame_regex tests/unit/test_batch: UNIT_LIB = lib/libaeh_int.a
tests/unit/%: tests/unit/%.c tests/unit/unit.h tests/unit/codec_harness.h tests/unit/handle_fixture.h lib/libaeh.a lib/libaeh_int.a
	$(CC) $(AECAT_CPPFLAGS) $(AECAT_CFLAGS) $(AECAT_LDFLAGS) -o $@ $< $(UNIT_LIB) $(LIBS) $(CHECK_LIBS)

# The C half of the JSON differential test (tests/json_diff.bats runs it
# through tests/fuzz/json_diff.py); built with the unit tests so that
# `make asan` builds it sanitized too.
JSON_DIFF = tests/fuzz/bin/json_diff
$(JSON_DIFF): tests/fuzz/json_diff.c lib/aeh.h lib/libaeh.a
	@mkdir -p $(@D)
	$(CC) $(AECAT_CPPFLAGS) $(AECAT_CFLAGS) $(AECAT_LDFLAGS) -o $@ $< lib/libaeh.a $(LIBS)

unit: $(UNIT_BIN) $(JSON_DIFF)

# The tree's rules (exported symbols, include rules, file length), as TAP;
# tests/run runs them with the suites, so `make check` and .ci/run count them.
lint: lib/libaeh.a
	@tests/lint.sh

# The README's test command.  Prints "N passed, N failed" last.
check: deps all unit
	@tests/run

demo: deps all
	@tests/demo.sh

# The whole suite under ASan + UBSan, in a separate build tree.
asan:
	$(MAKE) deps
	rm -rf build-asan && mkdir -p build-asan
	git ls-files -co --exclude-standard | grep -v '^build-' | tar -cf - -T - | tar -xf - -C build-asan
	$(MAKE) -C build-asan all unit CC=clang \
	  CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	  LDFLAGS='-fsanitize=address,undefined' FORTIFY=
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run

FUZZ_SECONDS ?= 10
fuzz: deps
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# lib/frame_json.c against a strict Python parser over many generated
# inputs; a new seed each run (printed last, to rerun a failure with
# JSON_DIFF_SEED=...).
JSON_DIFF_N    ?= 1000000
JSON_DIFF_SEED ?= $(shell date +%s)
JSON_DIFF_PY   ?= $(firstword $(wildcard /usr/bin/python3) python3)
fuzz-diff: deps $(JSON_DIFF)
	$(JSON_DIFF_PY) tests/fuzz/json_diff.py -j $$(nproc 2>/dev/null || echo 1) $(JSON_DIFF_SEED) $(JSON_DIFF_N)

bench: deps all
	tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 aecat $(DESTDIR)$(PREFIX)/bin/aecat
	install -m 644 lib/libaeh.a $(DESTDIR)$(PREFIX)/lib/libaeh.a
	printf $(PC_TEXT) >$(DESTDIR)$(PREFIX)/lib/pkgconfig/libaeh.pc
	chmod 644 $(DESTDIR)$(PREFIX)/lib/pkgconfig/libaeh.pc
	install -m 644 lib/aeh.h $(DESTDIR)$(PREFIX)/include/aeh.h
	install -m 644 man/aecat.1 $(DESTDIR)$(PREFIX)/share/man/man1/aecat.1
	install -m 644 man/libaeh.3 $(DESTDIR)$(PREFIX)/share/man/man3/libaeh.3
	install -m 644 completions/aecat.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/aecat
	install -m 644 completions/_aecat $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_aecat
	install -m 644 completions/aecat.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/aecat.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/aecat $(DESTDIR)$(PREFIX)/lib/libaeh.a $(DESTDIR)$(PREFIX)/lib/pkgconfig/libaeh.pc \
	  $(DESTDIR)$(PREFIX)/include/aeh.h $(DESTDIR)$(PREFIX)/share/man/man1/aecat.1 $(DESTDIR)$(PREFIX)/share/man/man3/libaeh.3 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/aecat $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_aecat \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/aecat.fish

clean:
	rm -rf aecat lib/*.o lib/starttls/*.o lib/libaeh.a lib/libaeh_int.a *.o libaeh.pc $(UNIT_BIN) build-asan tests/fuzz/bin tests/bench/bin
