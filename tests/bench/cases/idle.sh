# SPDX-License-Identifier: MIT
# Idle connections held by one keep-open listener: aecat -l -k --frame line
# and ncat -lk (one process each: VmRSS growth per connection held), socat
# fork and tcpserver (a process per connection: the Pss of the whole process
# tree, per connection, for fewer connections).
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

# idle_run TOOL N: the listener, then N idle connections from conns idle.
# Sets IDLE_KIB (growth per connection held), IDLE_HELD, IDLE_OPENED ("" on
# failure).
idle_run() {
    local tool=$1 n=$2 port="" lp pid cp i before after held prev same base
    local ready=$WORK/ready out=$WORK/idle.out
    IDLE_KIB="" IDLE_HELD="" IDLE_OPENED=""
    rm -f "$ready" "$out"
    : >"$ready"
    case $tool in
    aecat)  spawn "rw:$HOLD" /dev/null 120 "$AECAT" -l -k 127.0.0.1 0 --frame line --max-conns $((n + 16)) --ready=3 3>"$ready";;
    ncat)   port=$(free_port)
            spawn "rw:$HOLD" /dev/null 120 ncat -lk -m "$n" 127.0.0.1 "$port";;
    socat)  port=$(free_port)
            spawn /dev/null /dev/null 120 socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,backlog=256" STDOUT;;
    tcpserver) port=$(free_port)
            spawn /dev/null /dev/null 120 tcpserver -HR -l 0 -c $((n + 16)) -b 256 127.0.0.1 "$port" cat;;
    esac
    lp=$LAST
    if [ -z "$port" ]; then
        port=$(wait_ready "$ready" "$lp") || { say "  $tool: did not get ready"; kill "$lp"; wait "$lp"; return 1; }
    else
        wait_listen "$port" "$lp" || { say "  $tool: did not listen"; kill "$lp"; wait "$lp"; return 1; }
    fi
    pid=$(real_pid "$lp") || { say "  $tool: no process"; return 1; }
    # held: fds beyond the listener's own (processes beyond the listener)
    case $tool in
    aecat|ncat) before=$(rss_kib "$pid") base=$(fd_count "$pid");;
    *)          before=$(tree_pss_kib "$pid") base=1;;
    esac
    fifo "$WORK/idle.in"
    spawn "rw:$WORK/idle.in" "$out" 90 "$BIN/conns" idle "$n" 127.0.0.1 "$port"
    cp=$LAST
    for ((i = 0; i < 6000; i++)); do
        grep -q '^opened' "$out" 2>/dev/null && break
        kill -0 "$cp" 2>/dev/null || break
        sleep 0.01
    done
    IDLE_OPENED=$(awk '/^opened/ { print $2 }' "$out")
    # the listener may still be accepting: until its count of fds (processes
    # for socat and tcpserver) holds every connection opened, or stays put
    # for 2 s (ncat accepts in slow bursts, then stops)
    prev=-1 same=0
    for ((i = 0; i < 3000 && same < 200; i++)); do
        case $tool in aecat|ncat) held=$(fd_count "$pid");; *) held=$(tree_pids "$pid" | wc -l);; esac
        [ $((held - base)) -ge "${IDLE_OPENED:-0}" ] && break
        if [ "$held" = "$prev" ]; then same=$((same + 1)); else same=0 prev=$held; fi
        sleep 0.01
    done
    case $tool in aecat|ncat) after=$(rss_kib "$pid");; *) after=$(tree_pss_kib "$pid");; esac
    held=$((held - base))
    kill "$cp" 2>/dev/null; wait "$cp" 2>/dev/null
    kill "$lp" 2>/dev/null; wait "$lp" 2>/dev/null
    [ -n "$IDLE_OPENED" ] && [ "$held" -gt 0 ] || return 1
    IDLE_HELD=$held
    IDLE_KIB=$(calc "sprintf(\"%.2f\", ($after - $before) / $held)")
    say "  $tool: $IDLE_OPENED opened, $held held; ${before} -> ${after} KiB ($IDLE_KIB KiB per connection)"
}

if want idle; then
    IDLE_N=${BENCH_IDLE_CONNS:-10000}
    IDLE_PEER_N=${BENCH_IDLE_PEER_CONNS:-200}
    say "bench: idle connections, $IDLE_N (socat, tcpserver: $IDLE_PEER_N)"
    # the listener and the client each hold an fd per connection: the soft
    # limit raised as far as the hard one allows, for this case only
    idle_soft=$(ulimit -Sn)
    ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || ulimit -Sn $((IDLE_N + 64)) 2>/dev/null
    idle_lim=$(ulimit -Sn)
    if [ "$idle_lim" != unlimited ] && [ "$idle_lim" -lt $((IDLE_N + 64)) ]; then
        R[idlenote]="open files limited to $idle_lim (ulimit -Hn): $((idle_lim - 64)) connections, not $IDLE_N"
        say "  ${R[idlenote]}"
        IDLE_N=$((idle_lim - 64))
    fi
    for tool in aecat ncat socat tcpserver; do
        case $tool in aecat) have aecat || continue;; *) command -v "$tool" >/dev/null || continue;; esac
        case $tool in aecat|ncat) n=$IDLE_N;; *) n=$IDLE_PEER_N;; esac
        if idle_run "$tool" "$n"; then
            R[idle,$tool]=$IDLE_KIB
            R[idleheld,$tool]=$IDLE_HELD
            R[idleopened,$tool]=$IDLE_OPENED
        else
            say "  $tool: failed"
        fi
    done
    ulimit -Sn "$idle_soft" 2>/dev/null
fi
