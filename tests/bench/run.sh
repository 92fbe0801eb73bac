#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: aecat against its peers and against bare C programs doing the
# same work with no library (the machine's ceiling), all in this one run,
# printed side by side in one table with the ratios of DESIGN.md section 7.
# A benchmark, never a test: it always exits 0 unless it cannot run at all.
#
# Environment:
#   BENCH_SIZE_MB    raw relay size in MiB (default 4096)
#   BENCH_FRAMES     framed items (default 1000000, 64 bytes each)
#   BENCH_REPS       runs of aecat and the C ceilings, best kept (default 3)
#   BENCH_FRAMED_REPS  runs of aecat and the ceiling in the framed cases, the
#                    median kept (default 7: each run is short, so noise is larger)
#   BENCH_PEER_REPS  runs of nc/socat/AnyEvent/asyncio, best kept (default 1;
#                    the raw relay peers run BENCH_REPS times)
#   BENCH_PING_RUNS  one-shot PING runs per client (default 100)
#   BENCH_TLS_MB     TLS relay size in MiB (default 2048; aecat and socat
#                    run BENCH_REPS times each, best kept)
#   BENCH_TLS_PING_RUNS  one-shot TLS PING runs per client (default
#                    BENCH_PING_RUNS)
#   BENCH_SLOW_MB    data for the slow-reader RSS case (default 512; a second
#                    run with 1/8 of it shows whether RSS grows with the size)
#   BENCH_JSON_MB    size in MiB of the mixed JSON stream split and validated
#                    (default 1024; aecat over TCP best of BENCH_REPS, and
#                    libaeh's codec alone in memory)
#   BENCH_JSON_TEXTS 64-byte JSON texts turned into JSON Lines (default
#                    1000000; aecat median of BENCH_FRAMED_REPS, asyncio,
#                    AnyEvent and jq BENCH_PEER_REPS times, each tool's output
#                    checked once more in a separate run)
#   BENCH_STRACE=1   also count aecat's syscalls (strace -c -f) for the raw
#                    relay and the line decode, per MB, with the read sizes
#   BENCH_ONLY       comma-separated cases to run, the others skipped and
#                    left out of the table: raw, framed, ping, slow, tls, json (e.g.
#                    BENCH_ONLY=tls).  The table then goes to
#                    results/last-CASES.txt, leaving last.txt to full runs.
#   AECAT            the binary (default ./aecat)
#   AEH_LIB          the library json_split links (default lib/libaeh.a; the
#                    headers are taken from its directory)
# TLS cases: a throwaway ECDSA P-256 certificate is made per run (openssl, or
# certtool) in the work directory, used by every server (aecat included) and
# trusted by the clients through --ca/-CAfile.  Every tool is held to TLS 1.3
# TLS_AES_256_GCM_SHA384 (aecat: --tls-priority; OpenSSL tools: OPENSSL_CONF),
# and the suite each one negotiated is read back and printed under the table.
# JSON case (json): three targets of the JSON framing.  (1) A mixed stream of
# JSON texts (gen jsonmix: small objects, long strings with escapes and UTF-8,
# nesting 100-400 deep, numbers of every shape, back to back or separated by
# whitespace) sent to aecat -l --frame json --records raw, in MB/s of input;
# (2) BENCH_JSON_TEXTS texts of 64 bytes turned into JSON Lines by aecat
# (--frame json --records json), Python asyncio + json, AnyEvent::Handle's
# json read type and jq -c . (which cannot listen: it reads the same file on
# its stdin, with no TCP, which only favours jq), in M texts/s, every output
# checked (line count, md5 equal to the input's, which is already compact
# JSON Lines); (3) one 16 MiB text (an array of objects, a string) fed to the
# codec in 1-byte, 4 KiB and 1 MiB reads, in ns/byte.  The codec-alone figures
# come from json_split (tests/bench/json_split.c, linked with AEH_LIB), which
# drives aeh_codec_json in memory as lib/handle.c does, timed in CPU time.
# Helpers are built from tests/bench/*.c (sharing tests/bench/bench_util.h)
# into tests/bench/bin/ with cc -O2.
# Every process is started with a timeout and stopped by its PID (the timed
# one-shot TLS clients under a watchdog that kills them by PID after 10 s).
# The table is also written to tests/bench/results/last.txt.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
BD=$ROOT/tests/bench
BIN=$BD/bin
PEERS=$BD/peers
SIZE_MB=${BENCH_SIZE_MB:-4096}
FRAMES=${BENCH_FRAMES:-1000000}
ITEM=64
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
for p in gen sink blast relay_rw relay_splice ceiling ping maxrss; do
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
HOLD=$WORK/hold
fifo "$HOLD"

calc() { awk "BEGIN { printf \"%s\", $* }"; }

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
            spawn "rw:$HOLD" "$lout" "$to" "$BIN/maxrss" "$rl" "$AECAT" -l 127.0.0.1 0 --ready=3 3>"$WORK/ready";;
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

# ------------------------------------------------------------ framed
# decode: blast pre-encoded frames --wire--> DECODER | sink
# encode: lines file | ENCODER --wire--> sink -L
# Sets RATE in M frames/s ("" on failure).
frames_run() {
    local dir=$1 tool=$2 type=$3 to=$4 port lp kp st rc=0 expect
    local res=$WORK/res out=$WORK/f.out
    RATE="" LAG=""
    rm -f "$res" "$WORK/ready"
    : >"$WORK/ready"
    if [ "$dir" = decode ]; then
        expect=$((FRAMES * (ITEM + 1)))
        fifo "$out"
        spawn "$out" /dev/null "$to" "$BIN/sink" -n "$expect" -o "$res"
        kp=$LAST
        case $tool in
        aecat)   spawn "rw:$HOLD" "$out" "$to" "$AECAT" -l 127.0.0.1 0 --ready=3 --recv-frame "$type" --records lines 3>"$WORK/ready";;
        ae)      spawn /dev/null "$out" "$to" perl "$PEERS/ae_decode.pl" "$type" "$WORK/ready";;
        asyncio) spawn /dev/null "$out" "$to" env -u PYTHONUNBUFFERED "$PY" "$PEERS/asyncio_decode.py" "$type" "$WORK/ready";;
        ceiling) spawn /dev/null "$out" "$to" "$BIN/ceiling" decode "$type" -L "$WORK/ready";;
        esac
        lp=$LAST
        if port=$(wait_ready "$WORK/ready" "$lp"); then
            st=$(timeout "$to" "$BIN/blast" "$WORK/frames.$type" 127.0.0.1 "$port" 2>>"$LOG")
        else
            say "bench: $tool ($type decode) did not get ready"
            kill "$lp" "$kp" 2>/dev/null
            rc=1
        fi
        wait "$lp" 2>/dev/null; wait "$kp" 2>/dev/null
        rm -f "$out"
    else
        case $type in line) expect=$((FRAMES * (ITEM + 1)));; *) expect=$((FRAMES * (ITEM + 4)));; esac
        spawn /dev/null /dev/null "$to" "$BIN/sink" -L "$WORK/ready" -n "$expect" -o "$res"
        kp=$LAST
        if port=$(wait_ready "$WORK/ready" "$kp"); then
            case $tool in
            aecat)   spawn "$WORK/lines" /dev/null "$to" "$AECAT" --send-frame "$type" 127.0.0.1 "$port";;
            ae)      spawn "$WORK/lines" /dev/null "$to" perl "$PEERS/ae_encode.pl" "$type" 127.0.0.1 "$port";;
            asyncio) spawn "$WORK/lines" /dev/null "$to" env -u PYTHONUNBUFFERED "$PY" "$PEERS/asyncio_encode.py" "$type" 127.0.0.1 "$port";;
            ceiling) spawn "$WORK/lines" /dev/null "$to" "$BIN/ceiling" encode "$type" 127.0.0.1 "$port";;
            esac
            lp=$LAST
            wait "$kp"; wait "$lp"
        else
            kill "$kp" 2>/dev/null; wait "$kp" 2>/dev/null
            rc=1
        fi
    fi
    [ $rc = 0 ] && [ -s "$res" ] || return 1
    local bytes secs acc last eof
    read -r bytes secs acc last eof <"$res"
    if [ "$bytes" != "$expect" ]; then
        say "bench: $tool $dir $type: $bytes bytes, expected $expect"
        return 1
    fi
    if [ "$dir" = decode ]; then
        RATE=$(calc "$FRAMES / ($last - $st) / 1e6")  # from blast's connect to the last byte out
    else
        RATE=$(calc "$FRAMES / $acc / 1e6")           # from the accepted connection to the last byte
    fi
    LAG=$(calc "($eof - $last) * 1000")
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

if want framed; then
    say "bench: framed, $FRAMES items of $ITEM bytes"
    "$BIN/gen" lines "$FRAMES" "$ITEM" >"$WORK/lines"
    FR_TO=$((30 + FRAMES / 20000))
    for type in line netstring packstring:N; do
        "$BIN/gen" frames "$type" "$FRAMES" "$ITEM" >"$WORK/frames.$type"
        for dir in decode encode; do
            # aecat and the ceiling alternate, so that a change in the machine's
            # load hits both alike; the slow peers run PEER_REPS times
            for ((rep = 1; rep <= FRAMED_REPS; rep++)); do
                for tool in aecat ceiling ae asyncio; do
                    have $tool || continue
                    case $tool in ae|asyncio) [ $rep -le "$PEER_REPS" ] || continue;; esac
                    if frames_run $dir $tool "$type" "$FR_TO"; then
                        say "  $dir $type $tool: $RATE M frames/s (EOF $LAG ms after the last byte)"
                        ALL["$dir $type,$tool"]+="$RATE "
                        [ $dir = decode ] && lowest "R[lag,$tool]" "$LAG"
                    else
                        say "  $dir $type $tool: failed"
                    fi
                done
            done
        done
        rm -f "$WORK/frames.$type"
    done
    # framed: the median of the runs (a best-of would follow single lucky runs of
    # the short C ceiling; the spread is in the log above)
    for k in "${!ALL[@]}"; do
        R[$k]=$(printf '%s\n' ${ALL[$k]} | sort -g | awk '{ a[NR] = $1 } END { printf "%s", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    done
fi

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

# ------------------------------------------------------------ TLS
# aecat --tls against socat's and OpenSSL's TLS, all held to one suite.
TLS_MB=${BENCH_TLS_MB:-2048}
TLS_PING_RUNS=${BENCH_TLS_PING_RUNS:-$PING_RUNS}
TLS_SUITE=TLS_AES_256_GCM_SHA384
TLS_PRIO=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM

# make_cert: sets CERT and KEY, a self-signed ECDSA P-256 certificate for
# localhost and 127.0.0.1 (two days), and OSSL_CNF, an OpenSSL configuration
# allowing TLS 1.3 with $TLS_SUITE only.  Fails when neither openssl nor
# certtool can make it.
make_cert() {
    CERT=$WORK/cert.pem KEY=$WORK/key.pem OSSL_CNF=$WORK/openssl.cnf
    rm -f "$CERT" "$KEY"
    if [ $HAVE_OPENSSL = 1 ]; then
        timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$KEY" -out "$CERT" -days 2 -subj /CN=localhost \
            -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' >/dev/null 2>"$WORK/cert.err" ||
            cat "$WORK/cert.err" >>"$LOG"
    fi
    if ! [ -s "$CERT" ] && command -v certtool >/dev/null; then
        printf 'cn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\nexpiration_days = 2\ntls_www_server\nsigning_key\n' >"$WORK/cert.cfg"
        { timeout 30 certtool --generate-privkey --key-type ecdsa --curve secp256r1 --no-text --outfile "$KEY" &&
          timeout 30 certtool --generate-self-signed --load-privkey "$KEY" --template "$WORK/cert.cfg" \
            --no-text --outfile "$CERT"; } >/dev/null 2>"$WORK/cert.err" || cat "$WORK/cert.err" >>"$LOG"
    fi
    cat >"$OSSL_CNF" <<EOF
openssl_conf = bench_conf
[bench_conf]
ssl_conf = bench_ssl
[bench_ssl]
system_default = bench_tls
[bench_tls]
MinProtocol = TLSv1.3
Ciphersuites = $TLS_SUITE
EOF
    [ -s "$CERT" ] && [ -s "$KEY" ]
}

# negotiated FILE: "TLS1.3 SUITE" from aecat's --tls-info, socat's -d -d or
# s_client's -brief lines in FILE (empty if none)
negotiated() {
    awk '/aecat: tls: version /   { v = $NF } /aecat: tls: cipher / { c = $NF }
         /SSL proto version used: / { v = $NF } /SSL connection using / { c = $NF }
         /^Protocol version: /     { v = $NF } /^Ciphersuite: /       { c = $NF }
         END { sub(/^TLSv/, "TLS", v); if (c != "") printf "%s %s", v, c }' "$1" 2>/dev/null
}

# One TLS relay run, as raw_run: gen | CLIENT --TLS--> SERVER | sink.  Sets
# RATE, RSS_L, RSS_S, LAG, and SUITE, what the server and the client
# negotiated ("server / client" when they differ).
tls_run() {
    local tool=$1 mb=$2 to=$3 port="" lp sp gp kp rc=0 src lrc
    local res=$WORK/res rl=$WORK/rss.l rs=$WORK/rss.s lout=$WORK/l.out sout=$WORK/s.out
    local le=$WORK/tls.l.err se=$WORK/tls.s.err
    RATE="" RSS_L="" RSS_S="" LAG="" SUITE=""
    rm -f "$res" "$rl" "$rs"
    : >"$WORK/ready"; : >"$le"; : >"$se"
    fifo "$lout"
    fifo "$sout"
    spawn "$lout" /dev/null "$to" "$BIN/sink" -n $((mb * 1048576)) -o "$res"
    kp=$LAST
    case $tool in
    aecat)  ERR=$le spawn "rw:$HOLD" "$lout" "$to" "$BIN/maxrss" "$rl" "$AECAT" -l --tls --cert "$CERT" --key "$KEY" \
                --tls-priority "$TLS_PRIO" --tls-info --ready=3 127.0.0.1 0 3>"$WORK/ready";;
    socat)  port=$(free_port)
            ERR=$le spawn "rw:$HOLD" "$lout" "$to" env OPENSSL_CONF="$OSSL_CNF" "$BIN/maxrss" "$rl" socat -d -d -u \
                "OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,cert=$CERT,key=$KEY,verify=0" STDOUT;;
    esac
    lp=$LAST
    if [ -z "$port" ]; then
        port=$(wait_ready "$WORK/ready" "$lp") || { say "bench: $tool -l --tls did not get ready"; rc=1; }
    else
        wait_listen "$port" "$lp" || { say "bench: $tool TLS listener did not listen"; rc=1; }
    fi
    if [ $rc = 0 ]; then
        case $tool in
        aecat)  ERR=$se spawn "$sout" /dev/null "$to" "$BIN/maxrss" "$rs" "$AECAT" --tls --ca "$CERT" \
                    --tls-priority "$TLS_PRIO" --tls-info 127.0.0.1 "$port";;
        socat)  ERR=$se spawn "$sout" /dev/null "$to" env OPENSSL_CONF="$OSSL_CNF" "$BIN/maxrss" "$rs" socat -d -d -u \
                    STDIN "OPENSSL:127.0.0.1:$port,verify=0";;
        esac
        sp=$LAST
        spawn /dev/null "$sout" "$to" "$BIN/gen" raw "$mb"
        gp=$LAST
        wait "$gp"; wait "$sp"; src=$?; wait "$kp"; wait "$lp"; lrc=$?
        if [ $src != 0 ] || [ $lrc != 0 ]; then
            say "bench: TLS $tool: client exit $src, server exit $lrc (124: killed by the $to s timeout); their stderr:"
            sed 's/^/    client: /' "$se" | grep -v ' N \| I ' | head -5 >&2
            sed 's/^/    server: /' "$le" | grep -v ' N \| I ' | head -5 >&2
            rc=1
        fi
    else
        kill "$lp" "$kp" 2>/dev/null
        wait "$lp" "$kp" 2>/dev/null
    fi
    rm -f "$lout" "$sout"
    local a b
    a=$(negotiated "$le") b=$(negotiated "$se")
    SUITE=$a; [ "$a" = "$b" ] || SUITE="$a / $b"
    [ $rc = 0 ] && [ -s "$res" ] || return 1
    local bytes secs acc last eof
    read -r bytes secs acc last eof <"$res"
    if [ "$bytes" != $((mb * 1048576)) ]; then
        say "bench: TLS $tool relayed $bytes bytes of $((mb * 1048576))"
        return 1
    fi
    RATE=$(calc "$bytes / $secs / 1e6")
    LAG=$(calc "($eof - $last) * 1000")
    RSS_L=$(cat "$rl" 2>/dev/null)
    RSS_S=$(cat "$rs" 2>/dev/null)
}

# watchdog FILE SECS: every 0.5 s, kills the PID in FILE ("PID EPOCHSECONDS")
# once it has run SECS; ends with this shell.  For the timed one-shot clients,
# which a timeout(1) around each would slow down.
watchdog() {
    local pid st
    while kill -0 $$ 2>/dev/null && sleep 0.5; do
        pid="" st=""
        read -r pid st <"$1" 2>/dev/null
        if [ -n "$st" ] && [ $((EPOCHSECONDS - st)) -ge "$2" ]; then
            kill "$pid" 2>/dev/null
            : >"$1"
        fi
    done
}

# tls_ping_once TOOL [-v]: one timed PING over TLS to $TPORT; appends the
# milliseconds to TP[TOOL], or counts a failure in TP[TOOL,bad] (the first
# one described in TP[TOOL,why]).  -v: untimed, sets TLS_NEG to the
# negotiated version and suite instead.
tls_ping_once() {
    local t0 t1 rc out="" info=()
    [ "${2:-}" = -v ] && case $1 in aecat) info=(--tls-info);; s_client) info=(-brief -ign_eof);; esac
    t0=$EPOCHREALTIME
    case $1 in
    aecat)    "$AECAT" -w 5 --tls --ca "$CERT" "${info[@]}" 127.0.0.1 "$TPORT" \
                  <"$WORK/ping.txt" >"$WORK/tp.out" 2>"$WORK/tp.err" & ;;
    s_client) openssl s_client -connect "127.0.0.1:$TPORT" -quiet -CAfile "$CERT" -verify_return_error \
                  -verify_ip 127.0.0.1 "${info[@]}" <"$WORK/ping.txt" >"$WORK/tp.out" 2>"$WORK/tp.err" & ;;
    esac
    printf '%s %s\n' $! "$EPOCHSECONDS" >"$WD"
    wait $!
    rc=$?
    t1=$EPOCHREALTIME
    : >"$WD"
    IFS= read -r -d '' out <"$WORK/tp.out"
    if [ $rc != 0 ] || [ "$out" != $'PONG\r\n' ]; then
        TP[$1,bad]=$((${TP[$1,bad]:-0} + 1))
        [ -n "${TP[$1,why]:-}" ] ||
            TP[$1,why]="exit $rc$([ $rc = 143 ] && echo ' (killed after 10 s)'), stdout $(printf %q "$out"), stderr: $(grep -v '^depth=\|^verify return:\|SSL_get_servername' "$WORK/tp.err" | head -c 400 | tr '\n' '|')"
        return 1
    fi
    [ "${2:-}" = -v ] && { TLS_NEG=$(negotiated "$WORK/tp.err"); return 0; }
    TP[$1]+="$(calc "($t1 - $t0) * 1000") "
}

if want tls; then
    if [ $HAVE_TLS = 0 ]; then
        say "bench: TLS: aecat without --tls: the TLS cells read n/a"
    elif ! make_cert; then
        say "bench: TLS: cannot make a certificate (no openssl, no certtool): the TLS cells read n/a"
    else
        say "bench: TLS relay, $TLS_MB MiB, TLS 1.3 $TLS_SUITE, best of $REPS"
        TLS_TO=$((60 + TLS_MB / 10))
        for ((rep = 1; rep <= REPS; rep++)); do
            for tool in aecat socat; do
                have $tool || continue
                if tls_run $tool "$TLS_MB" "$TLS_TO"; then
                    say "  run $rep: $tool $RATE MB/s, $SUITE (peak RSS server $RSS_L KiB, client $RSS_S KiB; EOF $LAG ms after the last byte)"
                    best "R[tls,$tool]" "$RATE"
                    maxof "R[tlsrssl,$tool]" "$RSS_L"
                    maxof "R[tlsrsss,$tool]" "$RSS_S"
                    [ -n "${R[tlssuite,$tool]:-}" ] || R[tlssuite,$tool]=$SUITE
                else
                    say "  run $rep: $tool failed"
                fi
            done
        done

        say "bench: one-shot TLS PING, $TLS_PING_RUNS runs each (server: socat OPENSSL-LISTEN,fork)"
        printf 'PING\r\n' >"$WORK/ping.txt"
        printf '#!/bin/sh\nread -r line && printf "PONG\\r\\n"\n' >"$WORK/pong.sh"
        chmod +x "$WORK/pong.sh"
        declare -A TP
        WD=$WORK/watchdog
        : >"$WD"
        TPORT=$(free_port)
        if [ $HAVE_SOCAT = 1 ]; then
            ERR=$WORK/tlsping.srv.err spawn /dev/null /dev/null $((120 + TLS_PING_RUNS * 4)) env OPENSSL_CONF="$OSSL_CNF" \
                socat "OPENSSL-LISTEN:$TPORT,bind=127.0.0.1,reuseaddr,fork,cert=$CERT,key=$KEY,verify=0" "EXEC:$WORK/pong.sh"
            TPINGD=$LAST
            watchdog "$WD" 10 &
            WDP=$!
            PIDS+=("$WDP")
            if wait_listen "$TPORT" "$TPINGD"; then
                TPT=()   # the clients that answered the untimed first run
                for tool in aecat s_client; do
                    case $tool in aecat) have aecat-tls;; *) have $tool;; esac || continue
                    if tls_ping_once $tool -v; then
                        R[tlspingsuite,$tool]=$TLS_NEG
                        TPT+=("$tool")
                        say "  $tool: $TLS_NEG"
                    else
                        say "  $tool: no PONG: ${TP[$tool,why]:-}"
                    fi
                done
                for ((i = 0; i < TLS_PING_RUNS; i++)); do
                    for tool in "${TPT[@]}"; do tls_ping_once $tool; done
                done
                for tool in "${TPT[@]}"; do
                    if [ -n "${TP[$tool,bad]:-}" ]; then
                        say "  $tool: ${TP[$tool,bad]} of $TLS_PING_RUNS runs did not answer PONG; the first: ${TP[$tool,why]}"
                    elif [ -n "${TP[$tool]:-}" ]; then
                        R[tlsping,$tool]=$(printf '%s\n' ${TP[$tool]} | sort -g | awk '{ a[NR] = $1 } END { printf "%.3f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
                        say "  $tool: median ${R[tlsping,$tool]} ms"
                    fi
                done
            else
                say "bench: TLS PING server (socat) did not listen"
            fi
            kill "$TPINGD" "$WDP" 2>/dev/null; wait "$TPINGD" "$WDP" 2>/dev/null
            [ -s "$WORK/tlsping.srv.err" ] && { echo "TLS PING server (socat):"; cat "$WORK/tlsping.srv.err"; } >>"$LOG"
        else
            say "  no socat to answer: the TLS PING cells read n/a"
        fi
    fi
fi

# ------------------------------------------------------------ JSON
# (1) split + validate: blast FILE --wire--> aecat -l --frame json --records
# raw | sink.  The texts come out back to back, without the whitespace between
# them: sink waits for the TEXT_BYTES gen counted.  Sets RATE in MB/s of input
# (blast's connect to the last byte out).
json_mix_run() {
    local to=$1 port lp kp st rc=0
    local res=$WORK/res out=$WORK/j.out
    RATE=""
    rm -f "$res" "$WORK/ready"
    : >"$WORK/ready"
    fifo "$out"
    spawn "$out" /dev/null "$to" "$BIN/sink" -n "$MIX_TEXT_BYTES" -o "$res"
    kp=$LAST
    spawn "rw:$HOLD" "$out" "$to" "$AECAT" -l 127.0.0.1 0 --ready=3 --frame json --records raw 3>"$WORK/ready"
    lp=$LAST
    if port=$(wait_ready "$WORK/ready" "$lp"); then
        st=$(timeout "$to" "$BIN/blast" "$WORK/jsonmix" 127.0.0.1 "$port" 2>>"$LOG")
    else
        say "bench: aecat -l --frame json did not get ready"
        kill "$lp" "$kp" 2>/dev/null
        rc=1
    fi
    wait "$lp" 2>/dev/null; wait "$kp" 2>/dev/null
    rm -f "$out"
    [ $rc = 0 ] && [ -s "$res" ] || return 1
    local bytes secs acc last eof
    read -r bytes secs acc last eof <"$res"
    if [ "$bytes" != "$MIX_TEXT_BYTES" ]; then
        say "bench: aecat json split: $bytes bytes out, expected $MIX_TEXT_BYTES"
        return 1
    fi
    RATE=$(calc "$MIX_BYTES / ($last - $st) / 1e6")
}

# (2) json_texts_run TOOL MODE: 64-byte texts to JSON Lines.  The listeners
# get blast FILE --wire-->; jq -c . reads FILE on its stdin.  MODE time: into
# sink, sets RATE in M texts/s, from blast's connect (for jq: from sink's
# start, which waits for jq to open the fifo) to the last byte out.  MODE
# check: into $WORK/jt.TOOL, for the line count and checksum; sets nothing.
json_texts_run() {
    local tool=$1 mode=$2 to=$3 port lp kp="" st rc=0
    local res=$WORK/res out=$WORK/jt.out expect=$((JSON_TEXTS * 64))
    RATE=""
    rm -f "$res" "$WORK/ready"
    : >"$WORK/ready"
    if [ "$mode" = time ]; then
        fifo "$out"
        spawn "$out" /dev/null "$to" "$BIN/sink" -n "$expect" -o "$res"
        kp=$LAST
    else
        out=$WORK/jt.$tool
        rm -f "$out"
    fi
    case $tool in
    aecat)   spawn "rw:$HOLD" "$out" "$to" "$AECAT" -l 127.0.0.1 0 --ready=3 --frame json --records json 3>"$WORK/ready";;
    ae)      spawn /dev/null "$out" "$to" perl "$PEERS/ae_decode.pl" json "$WORK/ready";;
    asyncio) spawn /dev/null "$out" "$to" env -u PYTHONUNBUFFERED "$PY" "$PEERS/asyncio_decode.py" json "$WORK/ready";;
    jq)      spawn "$WORK/texts.json" "$out" "$to" jq -c .;;
    esac
    lp=$LAST
    if [ $tool != jq ]; then
        if port=$(wait_ready "$WORK/ready" "$lp"); then
            st=$(timeout "$to" "$BIN/blast" "$WORK/texts.json" 127.0.0.1 "$port" 2>>"$LOG")
        else
            say "bench: $tool (json) did not get ready"
            kill "$lp" $kp 2>/dev/null
            rc=1
        fi
    fi
    wait "$lp" 2>/dev/null || { [ $mode = check ] && rc=1 && say "bench: $tool (json) failed"; }
    [ -n "$kp" ] && wait "$kp" 2>/dev/null
    [ "$mode" = time ] && rm -f "$out"
    [ "$mode" = check ] && return $rc
    [ $rc = 0 ] && [ -s "$res" ] || return 1
    local bytes secs acc last eof
    read -r bytes secs acc last eof <"$res"
    if [ "$bytes" != "$expect" ]; then
        say "bench: $tool json: $bytes bytes out, expected $expect"
        return 1
    fi
    if [ $tool = jq ]; then
        RATE=$(calc "$JSON_TEXTS / $acc / 1e6")
    else
        RATE=$(calc "$JSON_TEXTS / ($last - $st) / 1e6")
    fi
}

JSON_NOTE=""
if want json; then
    JSON_TO=$((60 + JSON_MB / 10))
    HAVE_AEJSON=$HAVE_AE; perl -MJSON::XS -e1 2>/dev/null || HAVE_AEJSON=0
    # (1) split + validate a mixed stream
    say "bench: json split + validate, $JSON_MB MiB of mixed texts, best of $REPS"
    MIX_BYTES="" MIX_TEXTS="" MIX_TEXT_BYTES=""
    "$BIN/gen" jsonmix "$JSON_MB" >"$WORK/jsonmix" 2>"$WORK/jsonmix.info" &&
        read -r _ MIX_BYTES MIX_TEXTS MIX_TEXT_BYTES < <(grep '^jsonmix [0-9]' "$WORK/jsonmix.info")
    if [ -n "$MIX_TEXT_BYTES" ]; then
        say "  $(grep '^jsonmix pattern' "$WORK/jsonmix.info")"
        say "  stream: $MIX_BYTES bytes, $MIX_TEXTS texts, $MIX_TEXT_BYTES bytes of texts"
    else
        say "  gen jsonmix failed: $(head -c 300 "$WORK/jsonmix.info")"
    fi
    # no more runs once 60 s went into them: a slow aecat must not make the
    # case run for minutes (the table says how many runs were made)
    JMIX_RUNS=0 t0=$EPOCHSECONDS
    for ((rep = 1; rep <= REPS; rep++)); do
        have aecat && [ -n "$MIX_TEXT_BYTES" ] || break
        [ $rep = 1 ] || [ $((EPOCHSECONDS - t0)) -lt 60 ] || { say "  (no run $rep: 60 s spent)"; break; }
        JMIX_RUNS=$rep
        if json_mix_run "$JSON_TO"; then
            say "  run $rep: aecat $RATE MB/s"
            best "R[jmix,aecat]" "$RATE"
        else
            say "  run $rep: aecat failed"
        fi
    done
    if have split && [ -n "$MIX_TEXT_BYTES" ]; then
        if line=$("$BIN/json_split" -w 0 -n "$REPS" "$WORK/jsonmix" 2>>"$LOG"); then
            read -r b t tb secs nspb <<<"$line"
            if [ "$t" = "$MIX_TEXTS" ] && [ "$tb" = "$MIX_TEXT_BYTES" ]; then
                R[jmix,split]=$(calc "$b / $secs / 1e6")
                say "  codec alone (json_split, 256 KiB reads): ${R[jmix,split]} MB/s"
            else
                say "  codec alone: $t texts, $tb bytes, expected $MIX_TEXTS, $MIX_TEXT_BYTES"
            fi
        else
            say "  codec alone: json_split failed"
        fi
    fi
    rm -f "$WORK/jsonmix"

    # (2) 64-byte texts to JSON Lines
    say "bench: json texts to JSON Lines, $JSON_TEXTS texts of 64 bytes"
    "$BIN/gen" frames json "$JSON_TEXTS" 64 >"$WORK/texts.json"
    JT_TO=$((60 + JSON_TEXTS / 10000))
    JT_TOOLS=()
    for tool in aecat asyncio ae jq; do
        case $tool in ae) [ $HAVE_AEJSON = 1 ];; *) have $tool;; esac || continue
        JT_TOOLS+=("$tool")
    done
    for ((rep = 1; rep <= FRAMED_REPS; rep++)); do
        for tool in "${JT_TOOLS[@]}"; do
            [ $tool = aecat ] || [ $rep -le "$PEER_REPS" ] || continue
            if json_texts_run $tool time "$JT_TO"; then
                say "  $tool: $RATE M texts/s"
                ALL["jtexts,$tool"]+="$RATE "
            else
                say "  $tool: failed"
            fi
        done
    done
    # every tool's output once more, into a file: N lines, and the input's
    # bytes exactly (it is compact JSON Lines already)
    sum_in=$(md5sum <"$WORK/texts.json" | cut -d' ' -f1)
    for tool in "${JT_TOOLS[@]}"; do
        if json_texts_run $tool check "$JT_TO"; then
            lines=$(wc -l <"$WORK/jt.$tool")
            sum=$(md5sum <"$WORK/jt.$tool" | cut -d' ' -f1)
        else
            lines=0 sum=none
        fi
        if [ "$lines" = "$JSON_TEXTS" ] && [ "$sum" = "$sum_in" ]; then
            JSON_NOTE+="$tool ok, "
            [ -n "${ALL[jtexts,$tool]:-}" ] && R[jtexts,$tool]=$(printf '%s\n' ${ALL[jtexts,$tool]} | sort -g | awk '{ a[NR] = $1 } END { printf "%s", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
        else
            JSON_NOTE+="$tool WRONG ($lines lines, md5 $sum: its cell reads n/a), "
            say "  $tool: output check failed: $lines lines of $JSON_TEXTS, md5 $sum (input $sum_in)"
            [ -s "$WORK/jt.$tool" ] && { echo "$tool json output, first lines:"; head -3 "$WORK/jt.$tool"; } >>"$LOG"
        fi
        rm -f "$WORK/jt.$tool"
    done
    JSON_NOTE=${JSON_NOTE%, }
    if have split; then
        if line=$("$BIN/json_split" -n "$FRAMED_REPS" "$WORK/texts.json" 2>>"$LOG"); then
            read -r b t tb secs nspb <<<"$line"
            if [ "$t" = "$JSON_TEXTS" ]; then
                R[jtexts,split]=$(calc "$t / $secs / 1e6")
                say "  codec alone (json_split, 256 KiB reads): ${R[jtexts,split]} M texts/s"
            fi
        fi
    fi
    rm -f "$WORK/texts.json"

    # (3) one 16 MiB text in reads of 1 byte, 4 KiB and 1 MiB, in memory:
    # 1-byte read(2)s on a socket would measure the kernel, not the scanner.
    # The texts and read sizes take turns, 5 rounds of 2 runs each, so that a
    # change in the machine's load hits them alike; the fastest run is kept.
    # "base": 1-byte reads with json_split -b's null decoder, what feeding the
    # bytes costs (aeh_buf_reserve, a 1-byte memcpy, an empty decode call).
    if have split; then
        say "bench: json read-size independence, 16 MiB texts, codec alone, best of 10"
        for kind in array string; do
            "$BIN/gen" jsonbig $kind 16 >"$WORK/big.$kind"
        done
        for ((rep = 1; rep <= 5; rep++)); do
            for kind in array string; do
                for rs in 1048576 4096 1 base; do
                    if [ $rs = base ]; then
                        line=$("$BIN/json_split" -b -n 2 -r 1 "$WORK/big.$kind" 2>>"$LOG")
                    else
                        line=$("$BIN/json_split" -n 2 -r "$rs" "$WORK/big.$kind" 2>>"$LOG")
                    fi && read -r b t tb secs nspb <<<"$line" && lowest "R[jbig$kind$rs,split]" "$nspb"
                done
            done
        done
        for kind in array string; do
            lo="" hi=""
            for rs in 1048576 4096 1; do
                say "  $kind, $rs-byte reads: ${R[jbig$kind$rs,split]:-n/a} ns/byte"
                lowest lo "${R[jbig$kind$rs,split]:-}"
                best hi "${R[jbig$kind$rs,split]:-}"
            done
            say "  $kind, 1-byte reads, feeding alone (null decoder): ${R[jbig${kind}base,split]:-n/a} ns/byte"
            [ -n "${R[jbig${kind}1,split]:-}" ] && [ -n "${R[jbig${kind}4096,split]:-}" ] &&
                [ -n "${R[jbig${kind}1048576,split]:-}" ] && R[jbig$kind,spread]=$(calc "$hi / $lo") &&
                [ -n "${R[jbig${kind}base,split]:-}" ] &&
                R[jbig${kind}scan,split]=$(calc "${R[jbig${kind}1,split]} - ${R[jbig${kind}base,split]}") &&
                R[jbig$kind,scanspread]=$(calc "${R[jbig${kind}scan,split]} / $lo")
            rm -f "$WORK/big.$kind"
        done
    fi
fi

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

# ------------------------------------------------------------ the table
v() { local x=${R[$1]:-}; [ -n "$x" ] && printf '%s' "$x" || printf 'n/a'; }
num() { [ -n "${R[$1]:-}" ]; }
# ratio A B: A/B with 2 decimals, or n/a
ratio() { if num "$1" && num "$2"; then calc "sprintf(\"%.2f\", ${R[$1]} / ${R[$2]})"; else printf 'n/a'; fi; }
# verdict RATIO OP LIMIT
verdict() {
    [ "$1" = n/a ] && { printf 'n/a'; return; }
    if awk "BEGIN { exit !($1 $2 $3) }"; then printf 'met'; else printf 'missed'; fi
}
f1() { [ "$1" = n/a ] && printf 'n/a' || calc "sprintf(\"%.0f\", $1)"; }
f2() { [ "$1" = n/a ] && printf 'n/a' || calc "sprintf(\"%.2f\", $1)"; }
f3() { [ "$1" = n/a ] && printf 'n/a' || calc "sprintf(\"%.3f\", $1)"; }

OUT=$BD/results/last.txt
[ -n "${BENCH_ONLY:-}" ] && OUT=$BD/results/last-$(printf '%s' "$BENCH_ONLY" | tr -c 'a-z0-9' '-').txt
# suite_note KEY LABEL: "LABEL VERSION SUITE", flagged when not the one asked for
suite_note() {
    local s=${R[$1]:-}
    [ -n "$s" ] || return 0
    printf '%s %s' "$2" "$s"
    [ "$s" = "TLS1.3 $TLS_SUITE" ] || printf ' (NOT the suite asked for)'
    printf '; '
}
# rss2 TOOL: "server/client" peak RSS of the TLS relay, or n/a
rss2() { num "tlsrssl,$1" && printf '%s/%s' "${R[tlsrssl,$1]}" "$(v "tlsrsss,$1")" || printf 'n/a'; }
{
fmt='%-33s %-6s %8s %8s %8s %8s %8s %8s  %-19s %7s  %s\n'
printf "aecat bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r)\n"
printf "aecat: %s; load average at start %s, at end %s (other work on the machine skews all figures)\n" \
    "$( [ $HAVE_AECAT = 1 ] && "$AECAT" -V 2>/dev/null | head -1 || echo 'not built')" "$LOAD0" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
[ -n "${BENCH_ONLY:-}" ] && printf "BENCH_ONLY=%s: the other cases were not run\n" "$BENCH_ONLY"
if want raw || want framed; then
    printf "raw: best of $REPS, MB/s = 10^6 B/s, sink's first byte to its last; framed: M frames/s, median of $FRAMED_REPS (peers: $PEER_REPS)\n"
fi
want tls && printf "TLS: relay best of $REPS (MB/s as raw), one-shot PING median of $TLS_PING_RUNS; TLS 1.3 $TLS_SUITE on every tool\n"
want json && printf "json: split MB/s of input best of ${JMIX_RUNS:-0} (codec alone $REPS); texts M texts/s, aecat median of $FRAMED_REPS (peers: $PEER_REPS); read sizes: CPU ns/byte, best of 10\n"
printf "\n"
printf "$fmt" case unit aecat nc socat AnyEvent asyncio ceiling target ratio result
printf "$fmt" --------------------------------- ------ -------- -------- -------- -------- -------- -------- ------------------- ------- ------

if want raw; then
    r=$(ratio raw,aecat raw,nc)
    printf "$fmt" "raw relay $SIZE_MB MiB" MB/s "$(f1 "$(v raw,aecat)")" "$(f1 "$(v raw,nc)")" "$(f1 "$(v raw,socat)")" - - "$(f1 "$(v raw,rw)")" '>= 2.00 x nc' "$r" "$(verdict "$r" '>=' 2)"
    r=$(ratio raw,aecat raw,rw)
    printf "$fmt" "  vs bare read/write relay" "" "" "" "" "" "" "" '>= 0.80 x rw' "$r" "$(verdict "$r" '>=' 0.8)"
    r=$(ratio raw,aecat raw,splice)
    printf "$fmt" "  vs bare splice relay" MB/s "" "" "" "" "" "$(f1 "$(v raw,splice)")" '(info)' "$r" ""
    r=$(ratio raw,aecat-pipe raw,rw)
    printf "$fmt" "  aecat, sender stdout a pipe" MB/s "$(f1 "$(v raw,aecat-pipe)")" "" "" "" "" "" '(info) x rw' "$r" ""
fi
if want framed; then
    for type in line netstring packstring:N; do
        for dir in decode encode; do
            r=$(ratio "$dir $type,aecat" "$dir $type,ceiling")
            printf "$fmt" "$dir $type" Mfr/s "$(f3 "$(v "$dir $type,aecat")")" - - "$(f3 "$(v "$dir $type,ae")")" \
                "$(f3 "$(v "$dir $type,asyncio")")" "$(f3 "$(v "$dir $type,ceiling")")" '>= 0.80 x ceiling' "$r" "$(verdict "$r" '>=' 0.8)"
        done
    done
fi
if want raw || want framed; then
    printf "$fmt" "EOF after last byte, min" ms "$(f1 "$(v lag,aecat)")" "$(f1 "$(v lag,nc)")" "$(f1 "$(v lag,socat)")" "$(f1 "$(v lag,ae)")" "$(f1 "$(v lag,asyncio)")" "$(f1 "$(v lag,rw)")" '(info)' "" ""
fi
if want ping; then
    r=$(ratio ping,aecat ping,nc)
    printf "$fmt" "one-shot PING, median of $PING_RUNS" ms "$(f3 "$(v ping,aecat)")" "$(f3 "$(v ping,nc)")" - - - "$(f3 "$(v ping,floor)")" '<= 1.05 x nc' "$r" "$(verdict "$r" '<=' 1.05)"
fi
if want tls; then
    r=$(ratio tls,aecat tls,socat)
    printf "$fmt" "TLS relay $TLS_MB MiB, AES-256-GCM" MB/s "$(f1 "$(v tls,aecat)")" - "$(f1 "$(v tls,socat)")" - - - '>= 1.50 x socat' "$r" "$(verdict "$r" '>=' 1.5)"
    r=$(ratio tlsping,aecat tlsping,s_client)
    printf "$fmt" "one-shot TLS PING, median of $TLS_PING_RUNS" ms "$(f3 "$(v tlsping,aecat)")" "$(f3 "$(v tlsping,s_client)")" - - - - '<= 0.80 x s_client' "$r" "$(verdict "$r" '<=' 0.8)"
fi
if want raw; then
    rl=$(v rssl,aecat); rs=$(v rsss,aecat)
    m=n/a; [ "$rl" != n/a ] && m=$(( rl > ${rs/n\/a/0} ? rl : ${rs/n\/a/0} ))
    printf "$fmt" "peak RSS, relay $SIZE_MB MiB" KiB "$rl/$rs" "$(v rssl,nc)/$(v rsss,nc)" "$(v rssl,socat)/$(v rsss,socat)" - - "$(v rssl,rw)/$(v rsss,rw)" '<= 4096 KiB' "$m" "$(verdict "$m" '<=' 4096)"
fi
if want tls; then
    printf "$fmt" "peak RSS, TLS relay $TLS_MB MiB" KiB "$(rss2 aecat)" - "$(rss2 socat)" - - - '(info)' "" ""
fi
if want slow; then
    for mb in "$SMALL_MB" "$SLOW_MB"; do
        rl=$(v slow$mb,aecat); rs=$(v slows$mb,aecat)
        m=n/a; [ "$rl" != n/a ] && m=$(( rl > ${rs/n\/a/0} ? rl : ${rs/n\/a/0} ))
        printf "$fmt" "peak RSS, slow reader $mb MiB" KiB "$rl/$rs" - "$(v slow$mb,socat)/$(v slows$mb,socat)" - - - '<= 4096 KiB' "$m" "$(verdict "$m" '<=' 4096)"
    done
    a=$(v "slow$SMALL_MB,aecat"); b=$(v "slow$SLOW_MB,aecat")
    if [ "$a" != n/a ] && [ "$b" != n/a ]; then
        d=$((b - a))
        printf "$fmt" "  RSS growth ${SMALL_MB}->${SLOW_MB} MiB" KiB "$d" - - - - - '<= 256 KiB (flat)' "$d" "$(verdict "$d" '<=' 256)"
    fi
fi
if want json; then
    m=$(f1 "$(v jmix,aecat)")
    printf "$fmt" "json split+validate $JSON_MB MiB mix" MB/s "$m" - - - - "$(f1 "$(v jmix,split)")" '>= 300 MB/s' "$m" "$(verdict "$m" '>=' 300)"
    printf "$fmt" "  aecat vs codec alone" "" "" "" "" "" "" "" '(info) x codec' "$(ratio jmix,aecat jmix,split)" ""
    r=$(ratio jtexts,aecat jtexts,asyncio)
    printf "$fmt" "json $JSON_TEXTS x 64 B -> JSON Lines" Mtx/s "$(f3 "$(v jtexts,aecat)")" "$(f3 "$(v jtexts,jq)")" - "$(f3 "$(v jtexts,ae)")" \
        "$(f3 "$(v jtexts,asyncio)")" "$(f3 "$(v jtexts,split)")" '>= 5.00 x asyncio' "$r" "$(verdict "$r" '>=' 5)"
    r=$(ratio jtexts,aecat jtexts,jq)
    printf "$fmt" "  vs jq -c . (file on its stdin)" "" "" "" "" "" "" "" '>= 20.00 x jq' "$r" "$(verdict "$r" '>=' 20)"
    for kind in array string; do
        printf "$fmt" "json 16 MiB $kind, 1 MiB reads" ns/B - - - - - "$(f2 "$(v jbig${kind}1048576,split)")" '(info)' "" ""
        printf "$fmt" "  4 KiB reads" ns/B - - - - - "$(f2 "$(v jbig${kind}4096,split)")" '(info)' "" ""
        r=$(v jbig$kind,spread); [ "$r" = n/a ] || r=$(f2 "$r")
        printf "$fmt" "  1-byte reads; slowest/fastest" ns/B - - - - - "$(f2 "$(v jbig${kind}1,split)")" '<= 2.00 x fastest' "$r" "$(verdict "$r" '<=' 2)"
        r=$(v jbig$kind,scanspread); [ "$r" = n/a ] || r=$(f2 "$r")
        printf "$fmt" "  1-byte less feeding them" ns/B - - - - - "$(f2 "$(v jbig${kind}scan,split)")" '(info) x fastest' "$r" ""
    done
fi
printf "\n"
if want raw || want framed || want ping || want slow; then
    printf "raw relay: gen | SENDER HOST PORT >/dev/null, LISTENER -l <fifo | sink (splice to /dev/null).\n"
    printf "Rates stop at the last expected byte; 'EOF after last byte' is how long the listener then took to exit.\n"
    printf "RSS cells: listener/sender peak (getrusage ru_maxrss).  ceiling: raw = bare read/write relay\n"
    printf "(256 KiB buffers), framed = bare C read-cut-write loop, PING = bare C client.\n"
fi
if want tls; then
    printf "TLS relay: gen | CLIENT --TLS--> SERVER | sink, one direction, rate from the first byte (after the\n"
    printf "handshake) to the last: aecat --tls --ca -> aecat -l --tls --cert --key; socat -u OPENSSL:verify=0 ->\n"
    printf "socat -u OPENSSL-LISTEN.  RSS cells: server/client.  Certificate: one throwaway ECDSA P-256 per run.\n"
    printf "TLS PING: PING\\\\r\\\\n; socat OPENSSL-LISTEN,fork + EXEC of a sh script reads it, answers PONG\\\\r\\\\n, closes;\n"
    printf "the nc column holds openssl s_client -quiet; both clients verify the certificate (--ca / -CAfile) and\n"
    printf "the IP address (-verify_ip), and each run must print exactly PONG\\\\r\\\\n and exit 0.\n"
    n="$(suite_note tlssuite,aecat 'relay aecat')$(suite_note tlssuite,socat 'relay socat')"
    n+="$(suite_note tlspingsuite,aecat 'PING aecat')$(suite_note tlspingsuite,s_client 'PING s_client')"
    printf "Negotiated: %s.\n" "${n%; }"
fi
if want json; then
    printf "json split: blast FILE --TCP--> aecat -l --frame json --records raw | sink, MB/s of input (10^6 B/s);\n"
    printf "the mix: small objects, long strings with escapes and UTF-8, nesting 100-400 deep, numbers (gen jsonmix).\n"
    printf "json texts: blast FILE --TCP--> aecat -l --frame json --records json | sink; asyncio: asyncio_decode.py json\n"
    printf "(raw_decode, json.dumps compact); AnyEvent: push_read(json) + JSON::XS canonical; the nc column holds\n"
    printf "jq -c . reading the file on its stdin (no TCP: favours jq).  Outputs checked (N lines, md5 = the input's,\n"
    printf "compact already): %s.\n" "${JSON_NOTE:-not run}"
    printf "The ceiling column on json rows is libaeh's JSON codec alone, in memory, one core's CPU time (json_split:\n"
    printf "reads appended to an aeh_buf, decode/consume as lib/handle.c does; 256 KiB reads but where the row says).\n"
    printf "'1-byte less feeding them': the 1-byte figure minus the same reads into a null decoder (json_split -b:\n"
    printf "aeh_buf_reserve + 1-byte memcpy + an empty decode call per byte), i.e. the scanner's own cost.\n"
fi
printf "Runtime %.0f s.\n" "$(calc "$EPOCHREALTIME - $T0")"
} | tee "$OUT"
if [ -s "$LOG" ]; then
    say ""
    say "stderr of the programs run (first 20 lines, all in $OUT.stderr):"
    head -20 "$LOG" >&2
    cp "$LOG" "$OUT.stderr"
else
    rm -f "$OUT.stderr"
fi
exit 0
