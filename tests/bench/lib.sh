# SPDX-License-Identifier: MIT
# Shared by every bench case: settings, helper binaries, the tools found,
# process control (spawn, readiness, cleanup) and the result helpers.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

BIN=$BD/bin
PEERS=$BD/peers
SIZE_MB=${BENCH_SIZE_MB:-4096}
FRAMES=${BENCH_FRAMES:-1000000}
ITEM=64
INSTR_FRAMES=${BENCH_INSTR_FRAMES:-100000}
REPS=${BENCH_REPS:-3}
PEER_REPS=${BENCH_PEER_REPS:-1}
FRAMED_REPS=${BENCH_FRAMED_REPS:-7}
PING_RUNS=${BENCH_PING_RUNS:-100}
SLOW_MB=${BENCH_SLOW_MB:-512}
AECAT=${AECAT:-$ROOT/aecat}
AEH_LIB=${AEH_LIB:-$ROOT/lib/libaeh.a}
JSON_MB=${BENCH_JSON_MB:-1024}
JSON_TEXTS=${BENCH_JSON_TEXTS:-1000000}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
T0=$EPOCHREALTIME
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)

say() { printf '%s\n' "$*" >&2; }

# want CASE: whether BENCH_ONLY (if set) names CASE
want() { [ -z "${BENCH_ONLY:-}" ] || [[ ,$BENCH_ONLY, == *,$1,* ]]; }

# ------------------------------------------------------------ build helpers
mkdir -p "$BIN" "$BD/results"
for p in gen sink blast relay_rw relay_splice ceiling ping maxrss conns handoff; do
    if [ ! -x "$BIN/$p" ] || [ "$BD/$p.c" -nt "$BIN/$p" ] || [ "$BD/bench_util.h" -nt "$BIN/$p" ]; then
        cc -O2 -Wall -Wextra -o "$BIN/$p" "$BD/$p.c" || { say "bench: cannot build $p"; exit 1; }
    fi
done

# json_split links the library: rebuilt when it, its source or the library
# changed, or when AEH_LIB names another library than last time
HAVE_SPLIT=0
if want json; then
    if [ -f "$AEH_LIB" ]; then
        if [ ! -x "$BIN/json_split" ] || [ "$BD/json_split.c" -nt "$BIN/json_split" ] ||
           [ "$BD/bench_util.h" -nt "$BIN/json_split" ] || [ "$AEH_LIB" -nt "$BIN/json_split" ] ||
           [ "$(cat "$BIN/json_split.lib" 2>/dev/null)" != "$AEH_LIB" ]; then
            rm -f "$BIN/json_split.lib"
            cc -O2 -Wall -Wextra -I"$(dirname "$AEH_LIB")" -o "$BIN/json_split" "$BD/json_split.c" \
                "$AEH_LIB" -lev -lpcre2-8 -lpthread && printf '%s\n' "$AEH_LIB" >"$BIN/json_split.lib"
        fi
        [ -s "$BIN/json_split.lib" ] && HAVE_SPLIT=1
    fi
    [ $HAVE_SPLIT = 1 ] || say "bench: cannot build json_split against $AEH_LIB: the codec-alone cells read n/a"
fi

HAVE_AECAT=1
[ -x "$AECAT" ] || { say "bench: $AECAT not built: its columns will read n/a"; HAVE_AECAT=0; }
HAVE_NC=1; command -v nc.openbsd >/dev/null || HAVE_NC=0
HAVE_SOCAT=1; command -v socat >/dev/null || HAVE_SOCAT=0
HAVE_AE=1; perl -MAnyEvent::Handle -e1 2>/dev/null || HAVE_AE=0
HAVE_PY=1; [ -n "$PY" ] || HAVE_PY=0
HAVE_OPENSSL=1; command -v openssl >/dev/null || HAVE_OPENSSL=0
HAVE_JQ=1; command -v jq >/dev/null || HAVE_JQ=0
HAVE_TLS=$HAVE_AECAT   # aecat built with TLS (GnuTLS is loaded only when used)
[ $HAVE_AECAT = 1 ] && { "$AECAT" --help 2>&1 | grep -q -- '--tls-priority' || HAVE_TLS=0; }

WORK=$(mktemp -d /tmp/aecat-bench.XXXXXX)
LOG=$WORK/stderr.log
: >"$LOG"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -0 "$p" 2>/dev/null && kill "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# spawn IN OUT SECS CMD...: CMD in the background under a timeout; IN "rw:F"
# opens F read-write (a fifo that never reaches EOF).  Sets LAST to its PID.
# Its stderr goes to $LOG, or to $ERR if set (ERR=file spawn ...).
spawn() {
    local in=$1 out=$2 t=$3
    shift 3
    if [[ $in == rw:* ]]; then
        timeout -k 3 "$t" "$@" <>"${in#rw:}" >"$out" 2>>"${ERR:-$LOG}" &
    else
        timeout -k 3 "$t" "$@" <"$in" >"$out" 2>>"${ERR:-$LOG}" &
    fi
    LAST=$!
    PIDS+=("$LAST")
}

# wait_ready FILE PID: until FILE holds "listening HOST PORT [PIN]"; prints PORT.
wait_ready() {
    local i line
    for ((i = 0; i < 1000; i++)); do
        line=$(grep -m1 '^listening ' "$1" 2>/dev/null)
        if [ -n "$line" ]; then
            line=${line#listening * }
            echo "${line%% *}"
            return 0
        fi
        kill -0 "$2" 2>/dev/null || break
        sleep 0.01
    done
    return 1
}

# wait_listen PORT PID: until 127.0.0.1:PORT is in LISTEN state (for nc, socat).
wait_listen() {
    local hex i
    hex=$(printf '0100007F:%04X' "$1")
    for ((i = 0; i < 1000; i++)); do
        grep -q " $hex 00000000:0000 0A " /proc/net/tcp && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

fifo() { rm -f "$1"; mkfifo "$1"; }
# A listener's stdin is HOLD opened read-write, so it never ends (the
# listener does not half-close at once); an aecat listener therefore gets
# --peer-eof-grace 0, to end at the sender's EOF as nc does, and not wait
# for a stdin that may still be sent (END OF STREAM in aecat(1)).
HOLD=$WORK/hold
fifo "$HOLD"

calc() { awk "BEGIN { printf \"%s\", $* }"; }

# real_pid PID: the command spawn started under timeout (its first child)
real_pid() {
    local i c _
    for ((i = 0; i < 500; i++)); do
        read -r c _ <"/proc/$1/task/$1/children" 2>/dev/null
        [ -n "${c:-}" ] && { echo "$c"; return 0; }
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}
# tree_pids PID: PID and all its descendants
tree_pids() {
    local c
    echo "$1"
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}
# rss_kib PID: VmRSS in KiB
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# tree_pss_kib PID: the Pss of PID and its descendants in KiB (shared pages
# split between the processes that map them, so that a process per
# connection is not charged the whole of libc each time)
tree_pss_kib() {
    local p t=0 k
    for p in $(tree_pids "$1"); do
        k=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
        t=$((t + ${k:-0}))
    done
    echo "$t"
}
# cpu_ticks PID: user + system CPU time in clock ticks (getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
# fd_count PID: open file descriptors
fd_count() { local f=(/proc/"$1"/fd/*); echo "${#f[@]}"; }


# ------------------------------------------------------------ raw relay
# One run: gen | SENDER --wire--> LISTENER | sink.  Rate from sink's first byte
# to EOF.  Sets RATE (MB/s, 1 MB = 10^6 bytes; "" on failure), RSS_L, RSS_S (KiB).
# SINKARGS: extra arguments for the sink (the slow reader).
raw_run() {
    local tool=$1 mb=$2 to=$3 port lp sp gp kp rc=0
    local res=$WORK/res rl=$WORK/rss.l rs=$WORK/rss.s lout=$WORK/l.out sout=$WORK/s.out
    RATE="" RSS_L="" RSS_S="" LAG=""
    rm -f "$res" "$rl" "$rs" "$WORK/ready"
    : >"$WORK/ready"
    fifo "$lout"
    fifo "$sout"
    spawn "$lout" /dev/null "$to" "$BIN/sink" -n $((mb * 1048576)) -o "$res" ${SINKARGS:-}
    kp=$LAST
    case $tool in
    aecat|aecat-pipe)
            spawn "rw:$HOLD" "$lout" "$to" "$BIN/maxrss" "$rl" "$AECAT" -l 127.0.0.1 0 --peer-eof-grace 0 --ready=3 3>"$WORK/ready";;
    nc)     port=$(free_port)
            spawn "rw:$HOLD" "$lout" "$to" "$BIN/maxrss" "$rl" nc.openbsd -l 127.0.0.1 "$port";;
    socat)  port=$(free_port)
            spawn "rw:$HOLD" "$lout" "$to" "$BIN/maxrss" "$rl" socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" STDOUT;;
    rw)     spawn "rw:$HOLD" "$lout" "$to" "$BIN/maxrss" "$rl" "$BIN/relay_rw" -L "$WORK/ready";;
    splice) spawn "rw:$HOLD" "$lout" "$to" "$BIN/maxrss" "$rl" "$BIN/relay_splice" -L "$WORK/ready";;
    esac
    lp=$LAST
    if [ -z "${port:-}" ]; then
        port=$(wait_ready "$WORK/ready" "$lp") || { say "bench: $tool -l did not get ready"; rc=1; }
    else
        wait_listen "$port" "$lp" || { say "bench: $tool -l did not listen"; rc=1; }
    fi
    if [ $rc = 0 ]; then
        case $tool in
        aecat)  spawn "$sout" /dev/null "$to" "$BIN/maxrss" "$rs" "$AECAT" 127.0.0.1 "$port";;
        aecat-pipe)   # the sender's stdout a pipe too (aecat's splice path needs both ends)
                fifo "$WORK/s2.out"
                spawn "$WORK/s2.out" /dev/null "$to" "$BIN/sink"
                spawn "$sout" "$WORK/s2.out" "$to" "$BIN/maxrss" "$rs" "$AECAT" 127.0.0.1 "$port";;
        nc)     spawn "$sout" /dev/null "$to" "$BIN/maxrss" "$rs" nc.openbsd -N 127.0.0.1 "$port";;
        socat)  spawn "$sout" /dev/null "$to" "$BIN/maxrss" "$rs" socat -u STDIN "TCP:127.0.0.1:$port";;
        rw)     spawn "$sout" /dev/null "$to" "$BIN/maxrss" "$rs" "$BIN/relay_rw" 127.0.0.1 "$port";;
        splice) spawn "$sout" /dev/null "$to" "$BIN/maxrss" "$rs" "$BIN/relay_splice" 127.0.0.1 "$port";;
        esac
        sp=$LAST
        spawn /dev/null "$sout" "$to" "$BIN/gen" raw "$mb"
        gp=$LAST
        wait "$gp"; wait "$sp"; wait "$kp"; wait "$lp"
    else
        kill "$lp" "$kp" 2>/dev/null
        wait "$lp" "$kp" 2>/dev/null
    fi
    rm -f "$lout" "$sout"
    [ -s "$res" ] || return 1
    local bytes secs acc last eof
    read -r bytes secs acc last eof <"$res"
    if [ "$bytes" != $((mb * 1048576)) ]; then
        say "bench: $tool relayed $bytes bytes of $((mb * 1048576))"
        return 1
    fi
    RATE=$(calc "$bytes / $secs / 1e6")
    LAG=$(calc "($eof - $last) * 1000")   # ms from the last byte to the listener's exit
    RSS_L=$(cat "$rl" 2>/dev/null)
    RSS_S=$(cat "$rs" 2>/dev/null)
}


# best VAR VALUE: keeps the larger number in VAR
best() {
    local cur=${!1:-}
    [ -n "$2" ] || return 0
    if [ -z "$cur" ] || awk "BEGIN { exit !($2 > $cur) }"; then printf -v "$1" '%s' "$2"; fi
}
lowest() {
    local cur=${!1:-}
    [ -n "$2" ] || return 0
    if [ -z "$cur" ] || awk "BEGIN { exit !($2 < $cur) }"; then printf -v "$1" '%s' "$2"; fi
}
maxof() {
    local cur=${!1:-}
    [ -n "$2" ] || return 0
    if [ -z "$cur" ] || [ "$2" -gt "$cur" ]; then printf -v "$1" '%s' "$2"; fi
}

declare -A R   # results: R[case,tool]
declare -A ALL # framed: every run's rate

have() {
    case $1 in
    aecat|aecat-pipe) [ $HAVE_AECAT = 1 ];; nc) [ $HAVE_NC = 1 ];; socat) [ $HAVE_SOCAT = 1 ];;
    ae) [ $HAVE_AE = 1 ];; asyncio) [ $HAVE_PY = 1 ];; s_client) [ $HAVE_OPENSSL = 1 ];;
    aecat-tls) [ $HAVE_TLS = 1 ];; jq) [ $HAVE_JQ = 1 ];; split) [ $HAVE_SPLIT = 1 ];; *) true;;
    esac
}
