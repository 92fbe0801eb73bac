# SPDX-License-Identifier: MIT
# Shared helpers for the aecat bats suites (load with `load helpers`).
#
# Every background process a test starts goes through `spawn` (or a helper
# built on it) so that teardown stops it by PID.  Readiness is awaited by
# polling for the line a peer prints (its port) or reading aecat's --ready
# line from a FIFO: never a blind sleep.  Each test works in its own
# $BATS_TEST_TMPDIR (here $T).

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
AECAT=${AECAT:-$TOP/aecat}
PEERS=$TOP/tests/peers
export PYTHONDONTWRITEBYTECODE=1
# Debian's python3 (a pyenv shim in PATH costs a second per start).
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
# Upper bound on any single foreground aecat run: a hang fails the test (124)
# instead of hanging the suite.
AE_LIMIT=${AE_LIMIT:-30}

T=$BATS_TEST_TMPDIR
PIDS=()

# ------------------------------------------------------------------ time

# Microseconds since the epoch (integer).
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }

# ELAPSED (seconds, decimal) since START_US.
elapsed_from() { ELAPSED=$(awk -v a="$1" -v b="$(now_us)" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'); }

# assert_elapsed LO HI: the last timed run took between LO and HI seconds.
assert_elapsed() {
    awk -v e="$ELAPSED" -v lo="$1" -v hi="$2" 'BEGIN { exit !(e >= lo && e <= hi) }' ||
        fail "took ${ELAPSED} s, expected between $1 and $2 s"
}

# ------------------------------------------------------------------ running aecat

# ae ARGS...: aecat in the foreground, bounded by AE_LIMIT seconds.
ae() { timeout -k 2 "$AE_LIMIT" "$AECAT" "$@"; }

# ae_files IN OUT ARGS...: aecat ARGS <IN >OUT 2>$T/ae.err, bounded by
# AE_LIMIT; sets status, stderr, stderr_lines and ELAPSED (never fails itself).
ae_files() {
    local in=$1 out=$2 t0; shift 2
    t0=$(now_us)
    status=0
    ae "$@" <"$in" >"$out" 2>"$T/ae.err" || status=$?
    elapsed_from "$t0"
    stderr=$(cat "$T/ae.err")
    mapfile -t stderr_lines <"$T/ae.err"
}

# run_timed [run flags] -- CMD...: `run` that also sets ELAPSED.
run_timed() {
    local flags=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do flags+=("$1"); shift; done
    shift
    local t0; t0=$(now_us)
    run "${flags[@]}" "$@"
    elapsed_from "$t0"
}

# assert_status N: with the output shown on failure.
assert_status() {
    [ "$status" -eq "$1" ] && return 0
    fail "exit status $status, expected $1
-- stdout --
${output:-}
-- stderr --
${stderr:-}"
}

# assert_one_error REGEX: stderr (run --separate-stderr) is exactly one line,
# starting "aecat: ", matching the extended REGEX.
assert_one_error() {
    local n=${#stderr_lines[@]}
    [ "$n" -eq 1 ] || fail "expected exactly one line on stderr, got $n:
$stderr"
    [[ ${stderr_lines[0]} == "aecat: "* ]] || fail "stderr line does not start with 'aecat: ': ${stderr_lines[0]}"
    [[ ${stderr_lines[0]} =~ $1 ]] || fail "stderr line does not match /$1/: ${stderr_lines[0]}"
}

# ------------------------------------------------------------------ background processes

# spawn [-i STDIN] NAME CMD...: runs CMD in the background with stdout in
# $T/NAME.out and stderr in $T/NAME.err (stdin /dev/null by default).  fd 3
# is closed so bats does not wait for it.  Sets SPAWN_PID.
spawn() {
    local in=/dev/null
    if [ "$1" = -i ]; then in=$2; shift 2; fi
    local name=$1; shift
    # a name used again: no reader may see the last one's output meanwhile
    rm -f "$T/$name.out" "$T/$name.err"
    "$@" <"$in" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
    SPAWN_PID=$!
    PIDS+=("$SPAWN_PID")
}

# wait_for_line FILE PID [SECS]: until FILE holds a complete first line.
wait_for_line() {
    local f=$1 pid=$2 end=$(( $(now_us) + ${3:-10} * 1000000 ))
    while :; do
        if [ -s "$f" ] && [ "$(head -c 4096 "$f" | wc -l)" -gt 0 ]; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            fail "process $pid exited before it was ready: $(cat "${f%.out}.err" 2>/dev/null)"
        fi
        [ "$(now_us)" -lt "$end" ] || fail "process $pid not ready after ${3:-10} s"
        sleep 0.02
    done
}

# wait_pid PID [SECS]: waits for PID to end (default 20 s, then fails);
# sets WAIT_RC to its exit status.
wait_pid() {
    local pid=$1 end=$(( $(now_us) + ${2:-20} * 1000000 ))
    while kill -0 "$pid" 2>/dev/null; do
        # a zombie still answers kill -0: `wait` reaps it below
        [ "$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null)" = Z ] && break
        [ "$(now_us)" -lt "$end" ] || fail "process $pid still running after ${2:-20} s"
        sleep 0.02
    done
    WAIT_RC=0
    wait "$pid" || WAIT_RC=$?
}

# wait_for_file_line FILE REGEX [SECS]: until a line of FILE matches.
wait_for_match() {
    local f=$1 re=$2 end=$(( $(now_us) + ${3:-10} * 1000000 ))
    until [ -f "$f" ] && grep -Eq "$re" "$f"; do
        [ "$(now_us)" -lt "$end" ] || fail "no line matching /$re/ in $f after ${3:-10} s: $(cat "$f" 2>/dev/null)"
        sleep 0.02
    done
}

# stop_all: TERM every process spawned by this test, KILL what is left after 2 s.
stop_all() {
    local pid end
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    end=$(( $(now_us) + 2000000 ))
    for pid in "${PIDS[@]}"; do
        while kill -0 "$pid" 2>/dev/null && [ "$(now_us)" -lt "$end" ]; do
            [ "$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null)" = Z ] && break
            sleep 0.02
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

teardown() { stop_all; }

# ------------------------------------------------------------------ peers

# start_peer NAME ARGS...: tests/peers/peer.py ARGS; sets PORT and PEER_PID.
start_peer() {
    local name=$1; shift
    spawn "$name" "$PYTHON" "$PEERS/peer.py" "$@"
    PEER_PID=$SPAWN_PID
    wait_for_line "$T/$name.out" "$PEER_PID"
    PORT=$(head -n1 "$T/$name.out")
}

# start_ae_peer NAME ARGS...: the Perl AnyEvent::Handle peer; sets PORT, PEER_PID.
start_ae_peer() {
    local name=$1; shift
    spawn "$name" perl "$PEERS/ae_peer.pl" "$@"
    PEER_PID=$SPAWN_PID
    wait_for_line "$T/$name.out" "$PEER_PID"
    PORT=$(head -n1 "$T/$name.out")
}

# start_socat_listener NAME ADDRESS-OPTIONS OTHER-ADDRESS: socat listening on
# port 0 (TCP4-LISTEN:0,... / TCP6-LISTEN:0,...); sets PORT from its log line.
start_socat_listener() {
    local name=$1 end; shift
    spawn "$name" socat -d -d "$@"
    PEER_PID=$SPAWN_PID
    end=$(( $(now_us) + 10000000 ))
    until grep -q 'listening on' "$T/$name.err" 2>/dev/null; do
        kill -0 "$PEER_PID" 2>/dev/null || fail "socat exited: $(cat "$T/$name.err")"
        [ "$(now_us)" -lt "$end" ] || fail "socat not listening after 10 s"
        sleep 0.02
    done
    PORT=$(grep -m1 'listening on' "$T/$name.err" | sed -E 's/.*:([0-9]+)$/\1/')
}

# start_aecat_ready [-i STDIN] NAME ARGS...: aecat ARGS --ready=3 in the
# background (ARGS include -l and its operands), the --ready line read from a
# FIFO on fd 3.  Sets AE_PID, READY_LINE, LHOST and LPORT.
start_aecat_ready() {
    local in=/dev/null
    if [ "$1" = -i ]; then in=$2; shift 2; fi
    local name=$1 fifo=$T/$1.ready fd line="" end; shift
    mkfifo "$fifo"
    exec {fd}<>"$fifo"            # read-write: opening does not block
    "$AECAT" "$@" --ready=3 <"$in" >"$T/$name.out" 2>"$T/$name.err" 3>"$fifo" &
    AE_PID=$!
    PIDS+=("$AE_PID")
    end=$(( $(now_us) + 10000000 ))
    until read -r -t 0.1 -u "$fd" line; do
        if ! kill -0 "$AE_PID" 2>/dev/null; then
            exec {fd}<&-
            fail "aecat $* exited before --ready: $(cat "$T/$name.err")"
        fi
        if [ "$(now_us)" -ge "$end" ]; then
            exec {fd}<&-
            fail "aecat $* printed no --ready line in 10 s"
        fi
    done
    exec {fd}<&-
    READY_LINE=$line
    read -r _ LHOST LPORT <<<"$line"
}

# start_aecat_listener [-i STDIN] NAME ARGS...: aecat -l 127.0.0.1 0 --ready=3 ARGS.
start_aecat_listener() {
    local inopt=()
    if [ "$1" = -i ]; then inopt=(-i "$2"); shift 2; fi
    local name=$1; shift
    start_aecat_ready "${inopt[@]}" "$name" -l 127.0.0.1 0 "$@"
}

# ------------------------------------------------------------------ data

# hex FILE: the bytes of FILE as one line of lowercase hex.
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# sha FILE
sha() { sha256sum "$1" | cut -d' ' -f1; }

# hold_open_stdin [DATA]: a FIFO for an aecat whose stdin must stay open
# (no EOF) until close_open_stdin: a background writer sends DATA (printf %b
# escapes) and then holds the write end.  Sets OPEN_STDIN (the path) and
# HOLDER_PID.  The writer's open() waits for the reader: start aecat next.
hold_open_stdin() {
    OPEN_STDIN=$T/stdin.fifo
    [ -p "$OPEN_STDIN" ] || mkfifo "$OPEN_STDIN"
    { printf '%b' "${1:-}"; exec sleep 600; } >"$OPEN_STDIN" 3>&- &
    HOLDER_PID=$!
    PIDS+=("$HOLDER_PID")
}
close_open_stdin() { kill "$HOLDER_PID" 2>/dev/null || true; }

# mixed_lines: $T/mixed, 20,000 lines of 0 to 199 bytes, a few with a lone
# '\r' inside, 1 in 500 ending in "\r\n", the last one unterminated; $T/want:
# the same lines each ended by "\n", as a line reader gives them back.
mixed_lines() {
    "$PYTHON" - "$T/mixed" "$T/want" <<'PY'
import random, sys
random.seed(5)
raw, want = bytearray(), bytearray()
for i in range(20000):
    body = bytes(random.choice(b"abc\r") if random.random() < 0.02 else 97 + i % 26
                 for _ in range(random.randrange(200)))
    body = body.rstrip(b"\r")
    end = b"\r\n" if i % 500 == 499 else b"\n"
    raw += body + end
    want += body + b"\n"
raw += b"last"
want += b"last\n"
open(sys.argv[1], "wb").write(raw)
open(sys.argv[2], "wb").write(want)
PY
}
