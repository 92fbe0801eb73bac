#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds one libFuzzer binary per decoder from fuzz_decoders.c (clang,
# ASan + UBSan, the codec sources compiled with the same flags) and runs
# each for SECONDS (default 10), as many at once as there are CPUs.
# Exits non-zero if a build fails or any target finds a crash.
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-10}
[ $# -gt 0 ] && shift
ALL_TARGETS="line line_crlf line_nl netstring packstring_N packstring_w packstring_q packstring_c
varint grpc hex base64 chunk regex line_re json json_strings cbor len_pg len_h2 len_adj len_strip
len_varint len_mqtt len_ber len_rpc switch_pg switch_line resp resp_json smtp http"
TARGETS=${*:-$ALL_TARGETS}
BIN=tests/fuzz/bin
CC=${FUZZ_CC:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-std=c11 -g -O1 -D_GNU_SOURCE -Ilib -Itests/unit -Wall -Wextra -Wno-unused-parameter $SAN"

if [ "${RUN_ONE:-}" ]; then
    # One target: its own writable corpus, then the seeds from the repo.
    t=$RUN_ONE
    mkdir -p "$BIN/corpus/$t" "tests/fuzz/corpus/$t"
    if "$BIN/fuzz_$t" -max_total_time="$SECONDS_EACH" -artifact_prefix="$BIN/crash-$t-" \
        -print_final_stats=1 "$BIN/corpus/$t" "tests/fuzz/corpus/$t" >"$BIN/$t.log" 2>&1; then
        echo "fuzz $t: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$BIN/$t.log" | grep -o '[0-9]*$') runs)"
    else
        echo "fuzz $t: FAILED, see $BIN/$t.log"
        tail -n 40 "$BIN/$t.log"
        exit 1
    fi
    exit 0
fi

command -v "$CC" >/dev/null || { echo "run.sh: $CC not found (apt-get install clang)" >&2; exit 1; }
mkdir -p "$BIN/obj"
rm -f "$BIN/libaeh_fuzz.a"
for src in lib/buf.c lib/error.c lib/codec.c lib/codec_parse.c lib/textenc.c lib/frame_*.c lib/rematch*.c; do
    [ -f "$src" ] || continue
    obj="$BIN/obj/$(basename "$src" .c).o"
    $CC $CFLAGS -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
    ar rcs "$BIN/libaeh_fuzz.a" "$obj"
done
for t in $TARGETS; do
    $CC $CFLAGS -fsanitize=fuzzer -DFUZZ_TARGET="\"$t\"" tests/fuzz/fuzz_decoders.c \
        "$BIN/libaeh_fuzz.a" -lpcre2-8 -o "$BIN/fuzz_$t" || {
        echo "run.sh: cannot build fuzz_$t (clang -fsanitize=fuzzer needs libclang-rt-14-dev)" >&2
        exit 1
    }
done
jobs=$(nproc 2>/dev/null || echo 1)
# shellcheck disable=SC2086
printf '%s\n' $TARGETS | RUN_ONE= xargs -P "$jobs" -I{} env RUN_ONE={} "$0" "$SECONDS_EACH"
