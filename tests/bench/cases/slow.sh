# SPDX-License-Identifier: MIT
# Peak RSS with a slow reader: aecat and socat.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

SMALL_MB=$((SLOW_MB / 8)); [ "$SMALL_MB" -ge 1 ] || SMALL_MB=1
if want slow; then
    say "bench: peak RSS with a slow reader (64 KiB every ms), $SMALL_MB and $SLOW_MB MiB"
    SINKARGS="-r 65536 -d 1000"
    SLOW_TO=$((60 + SLOW_MB / 10))
    for mb in "$SMALL_MB" "$SLOW_MB"; do
        for tool in aecat socat; do
            have $tool || continue
            if raw_run $tool "$mb" "$SLOW_TO"; then
                say "  $mb MiB: $tool $RATE MB/s, peak RSS listener $RSS_L KiB, sender $RSS_S KiB"
                R[slow$mb,$tool]=$RSS_L
                R[slows$mb,$tool]=$RSS_S
            else
                say "  $mb MiB: $tool failed"
            fi
        done
    done
    SINKARGS=""
fi
