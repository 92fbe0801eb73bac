#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make lint`: the tree's structural rules, as TAP (tests/run counts them
# with the suites).  Needs lib/libaeh.a built.  Exit 1 when a rule fails;
# each offence is a "#" line under its test.
#   1. lib/libaeh.a exports the aeh_ API only (internals are aeh__, hidden
#      and localized by the Makefile).
#   2. Include rules: the CLI (aecat.c, cli*.[ch], or cli/) sees the
#      library through aeh.h alone, not its internals (*_int.h) nor its
#      private dependencies (PCRE2, GnuTLS); lib/frame_*.c see aeh.h,
#      codec_int.h and rematch_int.h only; tls.c does not reach into the
#      codecs (codec_int.h, rematch_int.h).
#   3. No C file over 1000 lines.
#   4. No copy-paste: no run of 6 identical code lines in two places of
#      lib/, cli/ or aecat.c (tests/lint_copies.py says which).
set -u
cd "$(dirname "$0")/.." || exit 1
MAX_LINES=1000
n=0 failed=0
echo "1..4"

report() {   # report NAME OFFENCES: one TAP line, then the offences
    n=$((n + 1))
    if [ -z "$2" ]; then
        echo "ok $n - lint: $1"
    else
        echo "not ok $n - lint: $1"
        printf '%s\n' "$2" | sed 's/^/# /'
        failed=1
    fi
}

# ---------------------------------------------------------------- 1. symbols
archive=lib/libaeh.a
if [ ! -f "$archive" ]; then
    offences="$archive: not built (make all)"
elif ! symbols=$(nm -g --defined-only "$archive"); then
    offences="$archive: nm failed"
else
    offences=$(printf '%s\n' "$symbols" | awk 'NF == 3 && $3 !~ /^aeh_[a-z0-9]/ { print $3 }' |
               sort -u | sed "s|^|$archive exports |")
fi
report "lib/libaeh.a exports only the aeh_ API" "$offences"

# ---------------------------------------------------------------- 2. includes
# The names a file includes, one a line: "<name>" or "\"name\"".
includes() {
    sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"][^>"]+[>"]).*/\1/p' "$1"
}

# check_includes FILE ALLOWED_QUOTED FORBIDDEN: a quoted include must be one
# of ALLOWED_QUOTED (an ERE; empty: any), and no include may match
# FORBIDDEN (an ERE on the name with its <> or "").
check_includes() {
    local file=$1 allowed=$2 forbidden=$3 inc name
    while IFS= read -r inc; do
        name=${inc:1:${#inc}-2}
        if [[ $inc =~ $forbidden ]] ||
           { [ -n "$allowed" ] && [[ $inc == \"* ]] && ! [[ $name =~ ^($allowed)$ ]]; }; then
            echo "$file includes $inc"
        fi
    done < <(includes "$file")
}

# The CLI's own headers are quoted too: cli.h at the top, or cli/*.h (as
# "cli/x.h" from the top, "x.h" from cli/).
cli_files=$(ls aecat.c cli*.c cli*.h 2>/dev/null; [ -d cli ] && find cli -name '*.[ch]' | sort)
cli_headers=$(for f in $cli_files; do case $f in *.h) printf '%s|%s|' "$f" "${f#cli/}";; esac; done)
cli_allowed="${cli_headers}aeh.h"
lib_private='^<(pcre2\.h|gnutls/.*)>$|_int\.h[">]$'
offences=$(
    for f in $cli_files; do check_includes "$f" "${cli_allowed//./\\.}" "$lib_private"; done
    for f in lib/frame_*.c; do check_includes "$f" 'aeh\.h|codec_int\.h|rematch_int\.h' '^<(pcre2\.h|gnutls/.*)>$'; done
    check_includes lib/tls.c '' '^"(codec_int|rematch_int)\.h"$'
)
report "include rules (CLI: aeh.h only; lib/frame_*.c: aeh.h, codec_int.h, rematch_int.h; tls.c: no codec internals)" "$offences"

# ---------------------------------------------------------------- 3. length
offences=$(find . \( -path ./.git -o -path './build-*' \) -prune -o -name '*.[ch]' -type f -print |
           sort | xargs wc -l | awk -v max=$MAX_LINES '$2 != "total" && $1 > max { sub(/^\.\//, "", $2); print $2 ": " $1 " lines" }')
report "no C file over $MAX_LINES lines" "$offences"

# ---------------------------------------------------------------- 4. copies
offences=$(python3 tests/lint_copies.py 2>&1)
report "no run of 6 identical code lines in two places (lib/, cli/, aecat.c)" "$offences"

exit "$failed"
