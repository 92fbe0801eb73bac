# SPDX-License-Identifier: MIT
# One-shot PING: aecat, nc and a bare C client.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

if want ping; then
    say "bench: one-shot PING, $PING_RUNS runs each"
    printf 'PING\r\n' >"$WORK/ping.txt"
    : >"$WORK/ready"
    spawn /dev/null /dev/null 600 "$BIN/ping" serve "$WORK/ready"
    PINGD=$LAST
    if PPORT=$(wait_ready "$WORK/ready" "$PINGD"); then
        declare -A PT
        ping_once() {   # tool -> appends the run's milliseconds to PT[tool]
            local t0 t1 out
            t0=$EPOCHREALTIME
            case $1 in
            aecat) out=$("$AECAT" -w 5 127.0.0.1 "$PPORT" <"$WORK/ping.txt" 2>>"$LOG");;
            nc)    out=$(nc.openbsd -N -w 5 127.0.0.1 "$PPORT" <"$WORK/ping.txt" 2>>"$LOG");;
            floor) out=$("$BIN/ping" client 127.0.0.1 "$PPORT" </dev/null 2>>"$LOG");;
            esac
            t1=$EPOCHREALTIME
            [ "$out" = $'PONG\r' ] || { PT[$1,bad]=1; return; }
            PT[$1]+="$(calc "($t1 - $t0) * 1000") "
        }
        for ((i = 0; i < PING_RUNS; i++)); do
            for tool in aecat nc floor; do
                have $tool && ping_once $tool
            done
        done
        for tool in aecat nc floor; do
            if [ -n "${PT[$tool,bad]:-}" ]; then
                say "  $tool: a run did not answer PONG"
            elif [ -n "${PT[$tool]:-}" ]; then
                R[ping,$tool]=$(printf '%s\n' ${PT[$tool]} | sort -g | awk '{ a[NR] = $1 } END { printf "%.3f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
                say "  $tool: median ${R[ping,$tool]} ms"
            fi
        done
    fi
    kill "$PINGD" 2>/dev/null; wait "$PINGD" 2>/dev/null
fi
