#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The build as a packager or a library user meets it: `make install` with
# PREFIX and DESTDIR, the installed libaeh.pc used by a program, the user's
# CPPFLAGS/CFLAGS/LDFLAGS honoured, the hardening of the binary, the LICENSE.

load helpers

@test "build: the binary is hardened (PIE, RELRO, BIND_NOW, stack protector)" {
    run readelf -lW "$AECAT"
    assert_status 0
    assert_output --partial "GNU_RELRO"
    assert_output --partial "Position-Independent Executable"
    run readelf -dW "$AECAT"
    assert_status 0
    assert_output --regexp "\(FLAGS\) +BIND_NOW|\(FLAGS_1\) +Flags: NOW"
    run nm -D "$AECAT"
    assert_status 0
    assert_output --partial "__stack_chk_fail"
}

# make, deaf to the flags of a make that runs these tests (make check CFLAGS=...)
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@" </dev/null; }

# make -n: the commands, not run, of a build that starts from nothing.
make_commands() {
    mk -n -B -C "$TOP" "$@"
}

@test "build: the user's CPPFLAGS, CFLAGS and LDFLAGS reach every compile and link, the project's own flags stay" {
    run make_commands all unit CPPFLAGS=-DUSER_CPP CFLAGS='-O0 -g3' LDFLAGS=-Wl,-O1,--as-needed
    assert_status 0
    local compiles links line
    compiles=$(grep -E '^(cc|gcc|clang)[^|]* -c ' <<<"$output")
    links=$(grep -E '^(cc|gcc|clang) ' <<<"$output" | grep -vE ' -c ')
    [ "$(wc -l <<<"$compiles")" -ge 20 ] || fail "too few compile commands: $compiles"
    [ "$(wc -l <<<"$links")" -ge 10 ] || fail "too few link commands: $links"
    while read -r line; do
        for want in -DUSER_CPP '-O0 -g3' -std=c11 -Wall -Wextra -D_GNU_SOURCE -fstack-protector-strong; do
            [[ " $line " == *" $want "* ]] || fail "'$want' missing from: $line"
        done
        # the CLI sees the library as an installed program does (include/)
        if [[ $line == *" -o aecat.o "* || $line == *" -o cli"* ]]; then
            [[ " $line " == *" -Iinclude "* && " $line " != *" -Ilib "* ]] || fail "CLI not on include/ alone: $line"
        else
            [[ " $line " == *" -Ilib "* ]] || fail "'-Ilib' missing from: $line"
        fi
        # without optimisation _FORTIFY_SOURCE checks nothing and warns
        [[ $line != *_FORTIFY_SOURCE* ]] || fail "_FORTIFY_SOURCE at -O0: $line"
    done <<<"$compiles"
    while read -r line; do
        for want in -Wl,-O1,--as-needed -Wl,-z,relro -Wl,-z,now -pie; do
            [[ " $line " == *" $want "* ]] || fail "'$want' missing from: $line"
        done
    done <<<"$links"

    # optimised: fortified, unless the user sets _FORTIFY_SOURCE (theirs is kept)
    CFLAGS=-O2 run make_commands aecat.o
    assert_output --partial " -D_FORTIFY_SOURCE=2 "
    run make_commands aecat.o CPPFLAGS=-D_FORTIFY_SOURCE=3
    assert_output --partial " -D_FORTIFY_SOURCE=3"
    refute_output --partial " -D_FORTIFY_SOURCE=2 "
}

@test "build: the CLI includes only aeh.h of the library: a lib internal does not compile there, and no CLI file uses PCRE2 or getservbyname" {
    local cmd
    cmd=$(make_commands aecat.o | grep -E ' -o aecat\.o ')
    [ -n "$cmd" ] || fail "no compile command for aecat.o"
    cmd=${cmd%% -c *}
    printf '#include "aeh.h"\nint main(void) { return aeh_port_known("1") ? 0 : 1; }\n' >"$T/public.c"
    run $cmd -fsyntax-only "$T/public.c"
    assert_status 0
    printf '#include "aeh.h"\n#include "rematch_int.h"\n' >"$T/internal.c"
    run $cmd -fsyntax-only "$T/internal.c"
    assert_failure
    assert_output --partial "rematch_int.h"
    run grep -rlE 'pcre2|getservbyname|_int\.h' "$TOP"/aecat.c "$TOP"/cli
    assert_failure
    assert_output ""
}

# The CLI's call graph: "caller callee" for each call between its files
# (a function defined, not static, in one and called in the other).
cli_calls() {
    local f g d files
    files="$TOP/aecat.c $(ls "$TOP"/cli/*.c)"
    for g in $files; do
        for d in $(grep -ohE '^[a-z][a-z_ ]*[ *]+[a-z_]+\(' "$g" | grep -v '^static' | sed -E 's/^.*[ *]([a-z_]+)\($/\1/' | sort -u); do
            for f in $files; do
                if [ "$f" != "$g" ] && grep -qE "(^|[^a-z_])$d\(" "$f"; then
                    echo "$(basename "$f") $(basename "$g") $d"
                fi
            done
        done
    done
}

@test "build: the CLI's files call only the layers below them, in cli/session.h's order (no circle)" {
    local order
    order=$(sed -n 's/^ \* Layers, top to bottom: //p' "$TOP/cli/session.h")
    [ -n "$order" ] || fail "no layer line in cli/session.h"
    local -A rank
    local i=0 f
    for f in $order; do rank[$f]=$i; i=$((i + 1)); done
    for f in "$TOP"/aecat.c "$TOP"/cli/*.c; do
        [ -n "${rank[$(basename "$f")]:-}" ] || fail "$(basename "$f") is in no layer of cli/session.h"
    done
    local calls caller callee fn bad=
    calls=$(cli_calls)
    [ "$(wc -l <<<"$calls")" -ge 20 ] || fail "too few calls found: $calls"
    while read -r caller callee fn; do
        [ "${rank[$caller]}" -lt "${rank[$callee]}" ] || bad+="$caller calls $fn of $callee; "
    done <<<"$calls"
    [ -z "$bad" ] || fail "calls back up: $bad"
}

@test "build: --version prints the Makefile's VERSION, the one version string" {
    local version
    version=$(sed -n 's/^VERSION *= *//p' "$TOP/Makefile")
    [ -n "$version" ] || fail "no VERSION in the Makefile"
    run grep -rn '"[0-9]\+\.[0-9]\+\.[0-9]\+"' "$TOP"/aecat.c "$TOP"/cli
    assert_output ""
    run "$AECAT" --version </dev/null
    assert_status 0
    assert_line --index 0 "aecat $version"
    run make_commands aecat VERSION=9.8.7
    assert_output --partial "-DAECAT_VERSION='\"9.8.7\"'"
}

# A copy of the sources, to build and install with flags of our own
# whatever the tree was built with (make asan builds it sanitized).
copy_tree() {
    mkdir -p "$1/lib/starttls" "$1/man" "$1/completions" "$1/include" "$1/cli"
    cp "$TOP"/Makefile "$TOP"/*.c "$1/"
    cp "$TOP"/cli/*.c "$TOP"/cli/*.h "$1/cli/"
    cp "$TOP"/lib/*.c "$TOP"/lib/*.h "$1/lib/"
    cp "$TOP"/lib/starttls/*.c "$TOP"/lib/starttls/*.h "$1/lib/starttls/"
    cp -P "$TOP"/include/aeh.h "$1/include/"
    cp "$TOP"/man/* "$1/man/"
    cp "$TOP"/completions/* "$1/completions/"
}

@test "build: a copy builds warning-free with the user's CFLAGS=-O0; make install writes libaeh.pc for its PREFIX; a program links the installed library through it" {
    local copy=$T/tree root=$T/root prefix=/opt/aeh-test
    copy_tree "$copy"
    # `make` first, then `make install PREFIX=...`, as a user does
    CFLAGS=-O0 run mk -C "$copy" -j2 all LDFLAGS="-Wl,-Map,$T/aecat.map"
    assert_status 0
    refute_output --partial "warning:"
    assert_output --partial " -O0"
    assert_file_exists "$T/aecat.map"     # the user's LDFLAGS reached the link
    run readelf -dW "$copy/aecat"
    assert_output --regexp "BIND_NOW|Flags: NOW"
    run "$copy/aecat" --version </dev/null
    assert_status 0

    CFLAGS=-O0 run mk -s -C "$copy" install PREFIX="$prefix" DESTDIR="$root"
    assert_status 0
    local pc=$root$prefix/lib/pkgconfig/libaeh.pc
    assert_file_exists "$pc"
    assert_file_exists "$root$prefix/lib/libaeh.a"
    assert_file_exists "$root$prefix/include/aeh.h"
    assert_file_exists "$root$prefix/bin/aecat"
    run grep -x "prefix=$prefix" "$pc"
    assert_status 0
    run grep -E '/usr/local' "$pc"
    assert_status 1

    cat >"$T/use.c" <<'EOF'
#include <stdio.h>
#include <aeh.h>
int main(void)
{
    aeh_buf b = {0};
    aeh_error e;
    if (aeh_unescape("tab\\there", &b, &e) < 0)
        return 1;
    aeh_codec *c = aeh_codec_parse("regex:\\r?\\n", &e);   /* PCRE2, a private dependency */
    if (!c)
        return 2;
    printf("%.*s\n", (int)aeh_buf_len(&b), (const char *)aeh_buf_data(&b));
    aeh_codec_free(c);
    aeh_buf_free(&b);
    return 0;
}
EOF
    # The .pc names PREFIX; the files sit under DESTDIR: pkgconf's sysroot
    # maps one to the other, as when building against a staged install.
    local flags
    flags=$(PKG_CONFIG_PATH=$root$prefix/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root \
            pkg-config --cflags --libs --static libaeh)
    [[ $flags == *"-I$root$prefix/include"* ]] || fail "pkg-config flags: $flags"
    run cc -o "$T/use" "$T/use.c" $flags </dev/null
    assert_status 0
    run "$T/use" </dev/null
    assert_status 0
    assert_output "$(printf 'tab\there')"
}

@test "build: LICENSE is the MIT licence of the aecat authors" {
    assert_file_exists "$TOP/LICENSE"
    run head -n 3 "$TOP/LICENSE"
    assert_line --index 0 "MIT License"
    assert_line --index 1 "Copyright (c) 2026 the aecat authors"
    run grep -c 'THE SOFTWARE IS PROVIDED "AS IS"' "$TOP/LICENSE"
    assert_output 1
}

# The licence travels with each file: every source, script, build file,
# manual and completion git tracks names it in its first lines (after a
# #! or #compdef line).  Data (seed corpora, configs, the CLI contract)
# and prose are left out.
@test "build: every source, script, manual and build file has an SPDX-License-Identifier: MIT line" {
    cd "$TOP"
    git rev-parse --is-inside-work-tree >/dev/null || fail "not a git checkout"
    local f missing=()
    while IFS= read -r f; do
        case $f in
            tests/fuzz/corpus/*|*.md|*.conf|*.txt|LICENSE|.gitignore) continue ;;
        esac
        head -n 3 "$f" | grep -q 'SPDX-License-Identifier: MIT' || missing+=("$f")
    done < <(git ls-files)
    [ ${#missing[@]} -eq 0 ] || fail "no SPDX line: ${missing[*]}"
}
