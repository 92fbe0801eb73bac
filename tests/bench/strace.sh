# SPDX-License-Identifier: MIT
# Optional (BENCH_STRACE=1): aecat's syscalls for the raw relay and the line decode.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

# ------------------------------------------------------------ optional strace
if [ "${BENCH_STRACE:-0}" = 1 ] && [ $HAVE_AECAT = 1 ] && command -v strace >/dev/null; then
    SMB=$((SIZE_MB < 1024 ? SIZE_MB : 1024))
    say "bench: strace -c of aecat, raw relay of $SMB MiB (listener, then sender)"
    REAL_AECAT=$AECAT
    for side in l s; do
        # one end under strace, the other plain: the wrapper tells them apart by -l
        cat >"$WORK/aecat-both" <<EOF
#!/bin/sh
case " \$* " in *" -l "*) [ $side = l ] && exec strace -f -c -o $WORK/strace.l $REAL_AECAT "\$@";;
                 *) [ $side = s ] && exec strace -f -c -o $WORK/strace.s $REAL_AECAT "\$@";; esac
exec $REAL_AECAT "\$@"
EOF
        chmod +x "$WORK/aecat-both"
        AECAT=$WORK/aecat-both
        raw_run aecat "$SMB" 300 && say "  (under strace: $RATE MB/s)"
    done
    AECAT=$REAL_AECAT
    for side in l s; do
        [ -s "$WORK/strace.$side" ] || continue
        [ $side = l ] && say "  listener (wire -> stdout), calls per MB:" || say "  sender (stdin -> wire), calls per MB:"
        awk -v mb="$SMB" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" { printf "    %-14s %10d calls  %8.2f /MB\n", $NF, $4, $4 / (mb * 1.048576) }' "$WORK/strace.$side" | sort -k2 -nr | head -8 >&2
    done
    say "bench: I/O calls of the listener relaying 64 MiB (strace -e), mean bytes per call"
    cat >"$WORK/aecat-both" <<EOF
#!/bin/sh
case " \$* " in *" -l "*) exec strace -e trace=read,recvfrom,readv,splice,write,writev,sendto,sendmsg -o $WORK/strace.io $REAL_AECAT "\$@";; esac
exec $REAL_AECAT "\$@"
EOF
    AECAT=$WORK/aecat-both
    raw_run aecat 64 120 >/dev/null 2>&1
    AECAT=$REAL_AECAT
    if [ -s "$WORK/strace.io" ]; then
        awk '/= [0-9]+$/ { split($1, a, "("); n[a[1]]++; s[a[1]] += $NF } END { for (k in n) printf "    %-9s %7d calls, mean %8.0f bytes\n", k, n[k], s[k] / n[k] }' "$WORK/strace.io" >&2
    fi
    say "bench: strace -c of aecat, decode line"
    cat >"$WORK/aecat-both" <<EOF
#!/bin/sh
exec strace -f -c -o $WORK/strace.d $REAL_AECAT "\$@"
EOF
    "$BIN/gen" frames line "$FRAMES" "$ITEM" >"$WORK/frames.line"
    AECAT=$WORK/aecat-both
    frames_run decode aecat line 300
    AECAT=$REAL_AECAT
    [ -s "$WORK/strace.d" ] && awk '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" { printf "    %-14s %10d calls\n", $NF, $4 }' "$WORK/strace.d" | sort -k2 -nr | head -8 >&2
fi
