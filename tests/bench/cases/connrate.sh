# SPDX-License-Identifier: MIT
# Connection rate: N sequential short connections (connect, "PING\n", read
# the echo, close) against a keep-open listener running cat per connection:
# aecat -l -k -e cat, tcpserver, ncat -lk -e and socat fork,EXEC:cat; and
# the floor, handoff.c: the socket itself handed to cat, nothing else done.
# Every listener starts once; then the tools take turns, REPS rounds of N
# connections each, so that a change in the machine's load hits them alike;
# each tool's figure is its median round.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

# connrate_start TOOL: its listener, port in CRPORT[TOOL]; sets
# R[connrate,note] when aecat has no -k -e.
connrate_start() {
    local tool=$1 port="" lp rc i ready=$WORK/connrate.$1.ready err=$WORK/connrate.err
    : >"$ready"
    case $tool in
    aecat)     ERR=$err spawn "rw:$HOLD" /dev/null 900 "$AECAT" -l -k -e cat 127.0.0.1 0 --max-conns 1000 --ready=3 3>"$ready";;
    tcpserver) port=$(free_port)
               spawn /dev/null /dev/null 900 tcpserver -HR -l 0 -c 1000 -b 256 127.0.0.1 "$port" cat;;
    ncat)      port=$(free_port)   # ncat -e ends at once with stdin at EOF
               spawn "rw:$HOLD" /dev/null 900 ncat -lk -m 1000 127.0.0.1 "$port" -e /bin/cat;;
    socat)     port=$(free_port)
               spawn /dev/null /dev/null 900 socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,backlog=256" EXEC:cat;;
    handoff)   spawn /dev/null "$ready" 900 "$BIN/handoff" "$(command -v cat)";;
    esac
    lp=$LAST
    CRPID[$tool]=$lp
    if [ "$tool" = aecat ]; then
        if ! port=$(wait_ready "$ready" "$lp"); then
            wait "$lp"; rc=$?
            if [ $rc = 64 ]; then
                R[connrate,note]="aecat -k -e not available (exit 64: $(head -1 "$err"))"
            else
                R[connrate,note]="aecat -l -k -e cat did not get ready (exit $rc: $(head -1 "$err"))"
            fi
            say "  ${R[connrate,note]}"
            return 1
        fi
    else
        if [ "$tool" = handoff ]; then
            for ((i = 0; i < 500; i++)); do
                port=$(head -1 "$ready")
                [ -n "$port" ] && break
                sleep 0.01
            done
        fi
        wait_listen "$port" "$lp" || { say "  $tool did not listen"; kill "$lp"; wait "$lp"; return 1; }
    fi
    CRPORT[$tool]=$port
}

# connrate_once TOOL: one round; appends its connections/s to CRRATES[TOOL].
connrate_once() {
    local tool=$1 res n secs rate
    res=$(timeout 300 "$BIN/conns" rate "$CONN_N" 127.0.0.1 "${CRPORT[$tool]}" 2>>"$LOG")
    read -r n secs <<<"$res"
    [ "${n:-}" = "$CONN_N" ] || { say "  $tool: failed"; return 1; }
    rate=$(calc "sprintf(\"%.0f\", $n / $secs)")
    CRRATES[$tool]+="$rate "
    say "  $tool: $rate connections/s"
}

if want connrate; then
    CONN_N=${BENCH_CONNS:-5000}
    CONN_REPS=${BENCH_CONN_REPS:-3}
    say "bench: connection rate, $CONN_N sequential connections, median of $CONN_REPS rounds"
    declare -A CRPORT=() CRPID=() CRRATES=()
    tools=()
    for tool in aecat tcpserver ncat socat handoff; do
        case $tool in aecat) have aecat || continue;; handoff) ;; *) command -v "$tool" >/dev/null || continue;; esac
        connrate_start "$tool" && tools+=("$tool")
    done
    for ((rep = 1; rep <= CONN_REPS; rep++)); do
        for tool in "${tools[@]}"; do connrate_once "$tool"; done
    done
    for tool in "${!CRPID[@]}"; do kill "${CRPID[$tool]}" 2>/dev/null; wait "${CRPID[$tool]}" 2>/dev/null; done
    cat "$WORK/connrate.err" >>"$LOG" 2>/dev/null
    for tool in "${!CRRATES[@]}"; do
        R[connrate,$tool]=$(printf '%s\n' ${CRRATES[$tool]} | sort -g | awk '{ a[NR] = $1 } END { printf "%s", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    done
fi
