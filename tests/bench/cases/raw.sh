# SPDX-License-Identifier: MIT
# Raw relay: aecat (both relays), nc, socat and the bare C relays.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

if want raw; then
    say "bench: raw relay, $SIZE_MB MiB, best of $REPS"
    RAW_TO=$((60 + SIZE_MB / 20))
    for ((rep = 1; rep <= REPS; rep++)); do
        for tool in aecat aecat-pipe nc socat rw splice; do
            have $tool || continue
            if raw_run $tool "$SIZE_MB" "$RAW_TO"; then
                say "  run $rep: $tool $RATE MB/s (peak RSS listener $RSS_L KiB, sender $RSS_S KiB; EOF $LAG ms after the last byte)"
                best "R[raw,$tool]" "$RATE"
                lowest "R[lag,$tool]" "$LAG"
                maxof "R[rssl,$tool]" "$RSS_L"
                maxof "R[rsss,$tool]" "$RSS_S"
            else
                say "  run $rep: $tool failed"
            fi
        done
    done
fi
