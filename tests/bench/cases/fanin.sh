# SPDX-License-Identifier: MIT
# Fan-in: C clients at once, each sending the same MiB of 64-byte lines, into
# aecat -l -k --frame line >/dev/null (frames them) and ncat -lk >/dev/null
# (copies the bytes raw), the clock started once the listener has accepted
# them all (ncat listens with a backlog of 10: of 16 connects at once some
# wait for a SYN retried a second later, which would be most of its time);
# the sender alone into socat -u (one connection with all the bytes) shows
# that the sender is not what is measured.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

# fanin_once TOOL PORT: one run of conns fanin against a listener on PORT
# (socat: a fresh one-connection listener); appends its MB/s to FANIN_RATES[TOOL].
fanin_once() {
    local tool=$1 port=$2 c=$FANIN_C bytes=$((FANIN_MB * 1048576)) sp="" res
    if [ "$tool" = sender ]; then
        port=$(free_port)
        spawn /dev/null /dev/null 60 socat -u -b 1048576 "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" STDOUT
        sp=$LAST
        wait_listen "$port" "$sp" || { say "  socat (sender check) did not listen"; return 1; }
        bytes=$((bytes * c)) c=1
    fi
    local total secs t0=0 pid=${FIREAL[$tool]:-} base cp i t1 out=$WORK/fanin.out go=$WORK/fanin.go
    if [ -n "$pid" ]; then
        # the clock starts once the listener has accepted every connection
        base=$(fd_count "$pid")
        fifo "$go"
        : >"$out"
        spawn "rw:$go" "$out" 60 "$BIN/conns" fanin "$c" "$bytes" 127.0.0.1 "$port" -g
        cp=$LAST
        for ((i = 0; i < 1000; i++)); do
            grep -q '^connected' "$out" && break
            kill -0 "$cp" 2>/dev/null || break
            sleep 0.01
        done
        t1=$EPOCHREALTIME
        for ((i = 0; i < 1000; i++)); do
            [ "$(fd_count "$pid")" -ge $((base + c)) ] && break
            sleep 0.001
        done
        FIACC[$tool]+="$(calc "($EPOCHREALTIME - $t1) * 1000 + $(awk '/^connected/ { print $2 }' "$out") * 1000") "
        t0=$(cpu_ticks "$pid")
        echo go >"$go"
        wait "$cp"
        res=$(tail -1 "$out")
    else
        res=$(timeout 60 "$BIN/conns" fanin "$c" "$bytes" 127.0.0.1 "$port" 2>>"$LOG")
    fi
    [ -n "$sp" ] && wait "$sp"
    read -r total secs <<<"$res"
    [ "${total:-}" = $((FANIN_C * FANIN_MB * 1048576)) ] || { say "  $tool: run failed"; return 1; }
    if [ -n "${FIREAL[$tool]:-}" ]; then
        FICPU[$tool]=$(( ${FICPU[$tool]:-0} + $(cpu_ticks "${FIREAL[$tool]}") - t0 ))
        FIBYTES[$tool]=$(( ${FIBYTES[$tool]:-0} + total ))
    fi
    FANIN_RATES[$tool]+="$(calc "$total / $secs / 1e6") "
    say "  $tool: $(calc "sprintf(\"%.0f\", $total / $secs / 1e6)") MB/s"
}

if want fanin; then
    FANIN_C=${BENCH_FANIN_CLIENTS:-16}
    FANIN_MB=${BENCH_FANIN_MB:-32}
    FANIN_REPS=${BENCH_FANIN_REPS:-5}
    say "bench: fan-in, $FANIN_C clients x $FANIN_MB MiB of 64-byte lines, median of $FANIN_REPS"
    # FIREAL: the listener's own PID (under timeout), whose CPU time
    # (user + system) each run adds to FICPU, against the bytes in FIBYTES
    # FIACC: how long after the first connect the listener held them all,
    # each run (ms): the client's connects, then the listener's accepts
    declare -A FANIN_RATES=() FIPORT=() FIPID=() FIREAL=() FICPU=() FIBYTES=() FIACC=()
    if have aecat; then
        : >"$WORK/ready"
        spawn "rw:$HOLD" /dev/null 600 "$AECAT" -l -k 127.0.0.1 0 --frame line --ready=3 3>"$WORK/ready"
        FIPID[aecat]=$LAST
        FIPORT[aecat]=$(wait_ready "$WORK/ready" "$LAST") || say "  aecat -l -k did not get ready"
    fi
    if command -v ncat >/dev/null; then
        FIPORT[ncat]=$(free_port)
        spawn "rw:$HOLD" /dev/null 600 ncat -lk 127.0.0.1 "${FIPORT[ncat]}"
        FIPID[ncat]=$LAST
        wait_listen "${FIPORT[ncat]}" "$LAST" || { say "  ncat -lk did not listen"; FIPORT[ncat]=""; }
    fi
    for tool in "${!FIPID[@]}"; do
        [ -n "${FIPORT[$tool]:-}" ] && FIREAL[$tool]=$(real_pid "${FIPID[$tool]}")
    done
    # aecat, ncat and the sender check alternate, so that a change in the
    # machine's load hits them alike
    for ((rep = 1; rep <= FANIN_REPS; rep++)); do
        for tool in aecat ncat sender; do
            case $tool in
            sender) have socat || continue; fanin_once sender 0;;
            *)      [ -n "${FIPORT[$tool]:-}" ] && fanin_once "$tool" "${FIPORT[$tool]}";;
            esac
        done
    done
    for tool in "${!FIPID[@]}"; do kill "${FIPID[$tool]}" 2>/dev/null; wait "${FIPID[$tool]}" 2>/dev/null; done
    for tool in "${!FICPU[@]}"; do   # none counted (too short a run for a tick): n/a
        [ "${FICPU[$tool]}" -gt 0 ] || continue
        R[fanincpu,$tool]=$(calc "sprintf(\"%.3f\", ${FICPU[$tool]} / $(getconf CLK_TCK) / (${FIBYTES[$tool]} / 1e9))")
    done
    for tool in "${!FIACC[@]}"; do
        for i in ${FIACC[$tool]}; do best "R[fanacc,$tool]" "$i"; done
        R[fanacc,$tool]=$(calc "sprintf(\"%.0f\", ${R[fanacc,$tool]})")
    done
    for tool in "${!FANIN_RATES[@]}"; do
        R[fanin,$tool]=$(printf '%s\n' ${FANIN_RATES[$tool]} | sort -g | awk '{ a[NR] = $1 } END { printf "%s", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    done
fi
