# SPDX-License-Identifier: MIT
# Connection rate: N sequential short connections (connect, "PING\n", read
# the echo, close) against a keep-open listener running cat per connection:
# aecat -l -k -e cat, tcpserver, ncat -lk -e and socat fork,EXEC:cat.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

# connrate_run TOOL: the listener, then conns rate; sets R[connrate,TOOL]
# (connections/s), or R[connrate,note] when aecat has no -k -e.
connrate_run() {
    local tool=$1 port="" lp rc res n secs err=$WORK/connrate.err
    : >"$WORK/ready"
    : >"$err"
    case $tool in
    aecat)     ERR=$err spawn "rw:$HOLD" /dev/null 600 "$AECAT" -l -k -e cat 127.0.0.1 0 --max-conns 1000 --ready=3 3>"$WORK/ready";;
    tcpserver) port=$(free_port)
               spawn /dev/null /dev/null 600 tcpserver -HR -l 0 -c 1000 -b 256 127.0.0.1 "$port" cat;;
    ncat)      port=$(free_port)   # ncat -e ends at once with stdin at EOF
               spawn "rw:$HOLD" /dev/null 600 ncat -lk -m 1000 127.0.0.1 "$port" -e /bin/cat;;
    socat)     port=$(free_port)
               spawn /dev/null /dev/null 600 socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,backlog=256" EXEC:cat;;
    esac
    lp=$LAST
    if [ -z "$port" ]; then
        if ! port=$(wait_ready "$WORK/ready" "$lp"); then
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
        wait_listen "$port" "$lp" || { say "  $tool did not listen"; kill "$lp"; wait "$lp"; return 1; }
    fi
    res=$(timeout 300 "$BIN/conns" rate "$CONN_N" 127.0.0.1 "$port" 2>>"$LOG")
    kill "$lp" 2>/dev/null; wait "$lp" 2>/dev/null
    cat "$err" >>"$LOG"
    read -r n secs <<<"$res"
    [ "${n:-}" = "$CONN_N" ] || { say "  $tool: failed"; return 1; }
    R[connrate,$tool]=$(calc "sprintf(\"%.0f\", $n / $secs)")
    say "  $tool: ${R[connrate,$tool]} connections/s"
}

if want connrate; then
    CONN_N=${BENCH_CONNS:-5000}
    say "bench: connection rate, $CONN_N sequential connections"
    for tool in aecat tcpserver ncat socat; do
        case $tool in aecat) have aecat || continue;; *) command -v "$tool" >/dev/null || continue;; esac
        connrate_run "$tool"
    done
fi
