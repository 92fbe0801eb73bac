#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# tests/lint.sh (`make lint`) on small trees made to break one rule each:
# every rule must catch what it is there for, and only that.

load helpers

# A tree that passes: tests/lint.sh, an archive exporting aeh_ only, a CLI
# (at the top, or under cli/ with CLI=cli) and the lib files the rules name.
make_tree() {
    T=$BATS_TEST_TMPDIR/tree
    mkdir -p "$T/tests" "$T/lib"
    cp "$TOP/tests/lint.sh" "$TOP/tests/lint_copies.py" "$T/tests/"
    printf 'int aeh_api(void);\nstatic int helper(void) { return 1; }\nint aeh_api(void) { return helper(); }\n' >"$T/lib/api.c"
    archive_of "$T/lib/api.c"
    printf '#include <stdio.h>\n#include "aeh.h"\n' >"$T/lib/aeh.h"
    printf '#include <string.h>\n#include "codec_int.h"\n#include "rematch_int.h"\n' >"$T/lib/frame_x.c"
    printf '#include <gnutls/gnutls.h>\n#include "textenc_int.h"\n#include "tls_int.h"\n' >"$T/lib/tls.c"
    local cli=$T
    if [ "${CLI:-}" = cli ]; then cli=$T/cli; mkdir -p "$cli"; fi
    printf '#include <ev.h>\n#include "aeh.h"\n' >"$cli/cli.h"
    printf '#include <stdio.h>\n#include "cli.h"\n' >"$cli/cli_main.c"
    if [ "${CLI:-}" = cli ]; then printf '#include "cli/cli.h"\n' >"$T/aecat.c"; else printf '#include "cli.h"\n' >"$T/aecat.c"; fi
}

archive_of() {   # lib/libaeh.a of the one C file $1
    cc -c -o "${1%.c}.o" "$1" && rm -f "$T/lib/libaeh.a" && ar rcs "$T/lib/libaeh.a" "${1%.c}.o"
}

lint() { run "$T/tests/lint.sh" </dev/null; }

@test "lint: a tree that keeps the rules passes, with the CLI at the top or under cli/" {
    make_tree
    lint
    assert_status 0
    assert_output --partial "ok 1 - lint: lib/libaeh.a exports only the aeh_ API"
    refute_output --partial "not ok"
    rm -rf "$T"
    CLI=cli make_tree
    lint
    assert_status 0
    refute_output --partial "not ok"
}

@test "lint: a global symbol without the aeh_ prefix in lib/libaeh.a fails rule 1, and names it" {
    make_tree
    printf 'int aeh_api(void);\nint tls_handshake(void) { return 1; }\nint aeh__internal(void) { return 2; }\nint aeh_api(void) { return 3; }\n' >"$T/lib/api.c"
    archive_of "$T/lib/api.c"
    lint
    assert_status 1
    assert_line "not ok 1 - lint: lib/libaeh.a exports only the aeh_ API"
    assert_line "# lib/libaeh.a exports tls_handshake"
    assert_line "# lib/libaeh.a exports aeh__internal"
    refute_line --partial "exports aeh_api"
    assert_output --partial "ok 2 - lint: include rules"
}

@test "lint: the CLI including PCRE2, GnuTLS or a lib internal, at the top or under cli/, fails rule 2" {
    make_tree
    printf '#include <pcre2.h>\n#include "cli.h"\n' >"$T/aecat.c"
    printf '#include "handle_int.h"\n' >>"$T/cli_main.c"
    printf '#include <gnutls/gnutls.h>\n' >>"$T/cli.h"
    lint
    assert_status 1
    assert_output --partial "not ok 2 - lint: include rules"
    assert_line "# aecat.c includes <pcre2.h>"
    assert_line '# cli_main.c includes "handle_int.h"'
    assert_line "# cli.h includes <gnutls/gnutls.h>"
    rm -rf "$T"
    CLI=cli make_tree
    printf '#include "rematch_int.h"\n#include "../lib/net.h"\n' >>"$T/cli/cli_main.c"
    lint
    assert_status 1
    assert_line '# cli/cli_main.c includes "rematch_int.h"'
    assert_line '# cli/cli_main.c includes "../lib/net.h"'
}

@test "lint: lib/frame_*.c beyond aeh.h, codec_int.h and rematch_int.h, or tls.c reaching into codec_int.h, fails rule 2" {
    make_tree
    printf '#include "handle_int.h"\n#include <pcre2.h>\n' >>"$T/lib/frame_x.c"
    printf '#include "codec_int.h"\n' >>"$T/lib/tls.c"
    lint
    assert_status 1
    assert_line '# lib/frame_x.c includes "handle_int.h"'
    assert_line '# lib/frame_x.c includes <pcre2.h>'
    assert_line '# lib/tls.c includes "codec_int.h"'
    refute_line --partial '"rematch_int.h"'
}

@test "lint: a C file over 1000 lines fails rule 3; 1000 lines pass" {
    make_tree
    mkdir -p "$T/tests/unit"
    yes '/* line */' | head -n 1000 >"$T/tests/unit/long.c"
    lint
    assert_status 0
    yes '/* line */' | head -n 1001 >"$T/tests/unit/long.c"
    lint
    assert_status 1
    assert_line "not ok 3 - lint: no C file over 1000 lines"
    assert_line "# tests/unit/long.c: 1001 lines"
}

@test "lint: six identical code lines in two places of lib/ or cli/ fail rule 4, and name both; five, or comments alike, pass" {
    CLI=cli make_tree
    body() {   # body NAME: a function of six counted lines and a comment
        printf 'int %s(int a)\n{\n    /* why */\n    int b = a + 1;\n    b *= 2;\n    b -= 3;\n    b /= 4;\n    return b;\n}\n' "$1"
    }
    { body one; body two; } >"$T/lib/same.c"
    lint
    assert_status 0                      # "int one" and "int two": five lines alike
    body one >"$T/lib/same.c"
    { printf '#include "aeh.h"\n'; body one; } >"$T/cli/copy.c"
    lint
    assert_status 1
    assert_line "not ok 4 - lint: no run of 6 identical code lines in two places (lib/, cli/, aecat.c)"
    assert_line "# lib/same.c:1-8 = cli/copy.c:2-9"
    printf '/* a comment\n * of six\n * lines\n * that\n * repeat\n */\n' | tee "$T/lib/same.c" >"$T/cli/copy.c"
    lint
    assert_status 0
}
