#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The half-close matrix: whoever ends first, no reply is lost, nothing hangs,
# and the exit code is right.

load helpers

setup() {
    printf 'request\n' >"$T/req"
}

@test "half-close: a server that replies 1.5 s after the request" {
    start_peer peer --when request --delay 1.5 --send 'reply 1\nreply 2\n' --recv "$T/recv"
    ae_files "$T/req" "$T/out" 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" $'reply 1\nreply 2'
    assert_equal "$(cat "$T/recv")" request
    assert_elapsed 1.4 5
}

@test "half-close: a server that replies only after our half-close" {
    head -c 3000000 /dev/urandom >"$T/big"
    start_peer peer --when eof --send 'got everything\n' --recv "$T/recv" --events "$T/ev"
    ae_files "$T/big" "$T/out" 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "got everything"
    [ "$(sha "$T/recv")" = "$(sha "$T/big")" ] || fail "the peer received other bytes"
    grep -qx 'eof 3000000' "$T/ev" || fail "peer events: $(cat "$T/ev")"
    assert_elapsed 0 5
}

@test "half-close: a server that replies 1 s after our half-close" {
    start_peer peer --when eof --delay 1 --send 'late reply\n'
    ae_files "$T/req" "$T/out" 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "late reply"
    assert_elapsed 0.9 5
}

# The peer's EOF does not say whether it still reads: stdin is waited for,
# however long it is silent, and sent when it comes.
@test "half-close: a server that greets and closes while our stdin stays open: stdin is still waited for" {
    start_peer peer --send 'hello there\n' --then drain --recv "$T/recv"
    hold_open_stdin
    spawn -i "$OPEN_STDIN" ae "$AECAT" 127.0.0.1 "$PORT"
    local pid=$SPAWN_PID
    wait_for_match "$T/ae.out" '^hello there$'
    sleep 1
    kill -0 "$pid" 2>/dev/null || fail "aecat ended while its stdin was open: $(cat "$T/ae.err")"
    close_open_stdin
    wait_pid "$pid" 5
    [ "$WAIT_RC" -eq 0 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
}

@test "half-close: a server that sends 8 MB and closes while our stdin stays open: all flushed (--peer-eof-grace)" {
    head -c 8M /dev/urandom >"$T/big"
    start_peer peer --send-file "$T/big" --then close
    hold_open_stdin
    ae_files "$OPEN_STDIN" "$T/out" --peer-eof-grace 0.2 127.0.0.1 "$PORT"
    assert_status 0
    [ "$(sha "$T/out")" = "$(sha "$T/big")" ] || fail "printed $(stat -c %s "$T/out") bytes, not the 8 MB sent"
    assert_elapsed 0 5
}

@test "half-close: a server that never closes, with -q 0.5" {
    start_peer peer --when request --send 'reply\n' --then hold --recv "$T/recv"
    ae_files "$T/req" "$T/out" -q 0.5 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" reply
    assert_equal "$(cat "$T/recv")" request
    assert_elapsed 0.45 3
}

@test "half-close: a server that never closes, with -q 0.5, replying 1 s after our EOF: reply not waited for" {
    start_peer peer --when eof --delay 1 --send 'too late\n' --then hold
    ae_files "$T/req" "$T/out" -q 0.5 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" ""
    assert_elapsed 0.45 3
}

@test "half-close: -q 5 does not delay the exit when the server closes" {
    start_peer peer --when request --delay 0.2 --send 'reply\n'
    ae_files "$T/req" "$T/out" -q 5 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" reply
    assert_elapsed 0.15 3
}

@test "half-close: the server sees our FIN (shutdown) right after stdin ends" {
    start_peer peer --when eof --send 'bye\n' --events "$T/ev" --recv "$T/recv"
    hold_open_stdin 'part 1\n'
    spawn -i "$OPEN_STDIN" ae "$AECAT" 127.0.0.1 "$PORT"
    local pid=$SPAWN_PID
    wait_for_match "$T/recv" '^part 1$'
    grep -q eof "$T/ev" 2>/dev/null && fail "the peer saw EOF while our stdin is open"
    close_open_stdin
    wait_for_match "$T/ev" '^eof 7$' 5
    wait_pid "$pid" 5
    [ "$WAIT_RC" -eq 0 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
    assert_equal "$(cat "$T/ae.out")" bye
}

@test "half-close: a connection reset by the server exits 74 with one error line" {
    start_peer peer --send 'partial\n' --then rst
    hold_open_stdin
    run --separate-stderr ae 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 74
    assert_one_error "127\.0\.0\.1 port $PORT.*(reset|Connection reset)"
}

# The pattern of tests/demo.sh: a receiving listener whose stdin is empty.
# It half-closes at once; the client must still deliver what its stdin holds.
@test "half-close: a listener with stdin </dev/null receives all the client sends" {
    start_aecat_listener lst
    head -c 200000 /dev/urandom >"$T/in"
    ae_files "$T/in" "$T/out" 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    [ "$(stat -c %s "$T/lst.out")" -eq 200000 ] || fail "the listener got $(stat -c %s "$T/lst.out") of 200000 bytes"
}

# ------------------------------------------------------------------ after the peer's EOF

# relay_pausing_stdin MODE ARGS...: aecat ARGS 127.0.0.1 $PORT with stdin
# from a producer that pauses 1 s between two 1000-byte halves; MODE
# splice: stdout a pipe (the splice relay), handle: a file (the handle relay).
relay_pausing_stdin() {
    local mode=$1; shift
    local producer='head -c 1000 /dev/zero; sleep 1; head -c 1000 /dev/zero'
    local t0; t0=$(now_us)
    status=0
    if [ "$mode" = splice ]; then
        (set -o pipefail; sh -c "$producer" | ae -v "$@" 127.0.0.1 "$PORT" 2>"$T/ae.err" | cat >"$T/out") || status=$?
    else
        (set -o pipefail; sh -c "$producer" | ae -v "$@" 127.0.0.1 "$PORT" 2>"$T/ae.err" >"$T/out") || status=$?
    fi
    elapsed_from "$t0"
    stderr=$(cat "$T/ae.err")
}

# A peer that half-closes at once and reads everything (the receiver of the
# README's "copy a directory"): a pause on stdin after its EOF lost the
# second half with exit 0 (the 0.5 s idle rule).
@test "half-close: a peer that half-closes first gets every byte of a pausing producer (splice relay)" {
    start_peer peer --then drain --recv "$T/recv" --events "$T/ev"
    relay_pausing_stdin splice
    assert_status 0
    [[ $stderr == *"relaying with splice(2)"* ]] || fail "not the splice relay: $stderr"
    wait_for_match "$T/ev" '^eof ' 5
    assert_equal "$(grep "^eof" "$T/ev")" "eof 2000"
}

@test "half-close: a peer that half-closes first gets every byte of a pausing producer (handle relay)" {
    start_peer peer --then drain --recv "$T/recv" --events "$T/ev"
    relay_pausing_stdin handle
    assert_status 0
    [[ $stderr != *"relaying with splice(2)"* ]] || fail "the splice relay ran: $stderr"
    wait_for_match "$T/ev" '^eof ' 5
    assert_equal "$(grep "^eof" "$T/ev")" "eof 2000"
}

@test "half-close: a peer that half-closes first gets every line of a pausing producer (--frame line)" {
    start_peer peer --then drain --recv "$T/recv" --events "$T/ev"
    relay_pausing_stdin splice --frame line
    assert_status 0
    wait_for_match "$T/ev" '^eof ' 5
    # the zeros have no line end: one line, ended at EOF
    assert_equal "$(grep "^eof" "$T/ev")" "eof 2001"
}

# The README's "copy a directory", as written there, between two aecats; the
# archive pauses 2 s after its first 100 kB (a slow producer).
@test "half-close: the README's directory copy (aecat -l </dev/null | tar xf -) with a producer that pauses 2 s" {
    mkdir -p "$T/src/dir/sub" "$T/dest"
    head -c 300000 /dev/urandom >"$T/src/dir/a.bin"
    seq 1 20000 >"$T/src/dir/sub/b.txt"
    head -c 100000 /dev/urandom >"$T/src/dir/sub/c.bin"
    local fifo=$T/ready fd line port
    mkfifo "$fifo"
    exec {fd}<>"$fifo"
    (cd "$T/dest" && set -o pipefail && "$AECAT" -l 127.0.0.1 0 --ready=3 </dev/null 3>"$fifo" 2>"$T/lst.err" | tar xf -) &
    local lpid=$!
    PIDS+=("$lpid")
    read -r -t 10 -u "$fd" line || fail "no --ready line: $(cat "$T/lst.err")"
    exec {fd}<&-
    read -r _ _ port <<<"$line"
    run_timed --separate-stderr -- bash -o pipefail -c \
        'cd "$0" && (tar cf - dir | { dd bs=10000 count=10 iflag=fullblock status=none; sleep 2; cat; }) | "$1" 127.0.0.1 "$2"' \
        "$T/src" "$AECAT" "$port"
    assert_status 0
    assert_elapsed 2 10
    wait_pid "$lpid" 10
    [ "$WAIT_RC" -eq 0 ] || fail "receiver (aecat | tar) exited $WAIT_RC: $(cat "$T/lst.err")"
    diff -r "$T/src/dir" "$T/dest/dir" || fail "the directory did not arrive whole"
}

# writes_after_peer_close MODE PEER ADDRESS...: the peer (its name in
# messages: PEER, a regex) has greeted and closes fully; then stdin gives
# 1000 bytes and stays open.  On TCP the write "succeeds" and the peer's
# TCP answers with a reset; aecat must end at once with 74, not wait for
# more of stdin.  MODE splice: stdout a pipe; handle: a file.
writes_after_peer_close() {
    local mode=$1 peer=$2; shift 2
    mkfifo "$T/in"
    if [ "$mode" = splice ]; then
        spawn -i "$T/in" ae bash -o pipefail -c '"$0" -v "$@" | cat' "$AECAT" "$@"
    else
        spawn -i "$T/in" ae "$AECAT" -v "$@"
    fi
    local pid=$SPAWN_PID fd
    exec {fd}>"$T/in"
    wait_for_match "$T/ae.err" 'closed the connection'
    head -c 1000 /dev/zero >&"$fd"
    wait_pid "$pid" 3
    exec {fd}>&-
    [ "$WAIT_RC" -eq 74 ] || fail "aecat exited $WAIT_RC, not 74: $(cat "$T/ae.err")"
    assert_equal "$(cat "$T/ae.out")" hi
    local lines
    lines=$(grep -vE 'aecat: (connected|relaying|.* closed the connection$)' "$T/ae.err")
    [ "$(wc -l <<<"$lines")" -eq 1 ] || fail "not one error line: $lines"
    [[ $lines =~ ^aecat:\ send:\ $peer:\ .*closed\ the\ connection\;\ 1000\ bytes\ from\ stdin\ not\ delivered,\ the\ rest\ of\ stdin\ not\ read$ ]] ||
        fail "error line: $lines"
}

@test "half-close: stdin written after the peer closed fully: 74 at once, naming the bytes lost (splice relay)" {
    start_peer peer --send 'hi\n' --then close
    writes_after_peer_close splice "127\.0\.0\.1 port $PORT" 127.0.0.1 "$PORT"
    grep -q 'relaying with splice' "$T/ae.err" || fail "not the splice relay: $(cat "$T/ae.err")"
}

@test "half-close: stdin written after the peer closed fully: 74 at once, naming the bytes lost (handle relay)" {
    start_peer peer --send 'hi\n' --then close
    writes_after_peer_close handle "127\.0\.0\.1 port $PORT" 127.0.0.1 "$PORT"
    ! grep -q 'relaying with splice' "$T/ae.err" || fail "the splice relay ran: $(cat "$T/ae.err")"
}

# A Unix-domain socket tells at the first write (no reset to wait for).
@test "half-close: stdin written after a Unix-domain peer closed fully: 74 at once, naming the bytes lost" {
    start_peer peer --unix "$T/s" --send 'hi\n' --then close
    writes_after_peer_close splice "unix socket $T/s" -U "$T/s"
}

# Two writes, the second meets the reset the first drew: the write error
# or the reset ends it, one line, while stdin still has more to give.
@test "half-close: stdin streaming after the peer closed fully: 74, one line, nothing hangs" {
    start_peer peer --send 'hi\n' --then close
    mkfifo "$T/in"
    spawn producer sh -c 'exec >"$0"; sleep 0.3; head -c 100000 /dev/zero; sleep 0.2; head -c 100000 /dev/zero; exec sleep 600' "$T/in"
    ae_files "$T/in" "$T/out" 127.0.0.1 "$PORT"
    assert_status 74
    assert_elapsed 0.2 3
    assert_equal "$(cat "$T/out")" hi
    assert_one_error "send: 127\.0\.0\.1 port $PORT: .*closed the connection; [0-9]+ bytes from stdin not delivered, the rest of stdin not read"
}

# The send meets the reset before the wire's read does (forced here: stdout
# is not read, so the wire -> stdout direction is stalled and cannot see
# it).  The send's error sets 74; the read then ends with a plain EOF, and
# the unacknowledged bytes a reset leaves counted on the socket must not
# keep the wait for their acknowledgment (or stdin's held bytes) going:
# it hung until killed.  MODE splice or handle.
send_meets_reset_first() {
    local mode=$1
    if [ "$mode" = handle ]; then export AECAT_NO_SPLICE=1; fi
    run_timed -- "$PYTHON" - "$AECAT" "$T/ae.err" <<'EOF'
import os, socket, subprocess, sys, threading, time
aecat, errf = sys.argv[1:]
ls = socket.socket()
ls.bind(('127.0.0.1', 0))
ls.listen(1)
err = open(errf, 'wb')
ae = subprocess.Popen(['timeout', '-k', '2', '15', aecat, '127.0.0.1', str(ls.getsockname()[1])],
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
c, _ = ls.accept()
# a reply stdout (a pipe nobody reads yet) cannot take: the wire's read stalls
c.setblocking(False)
sent = 0
while sent < 1 << 23:   # more than stdout's pipe (aecat widens it to 1 MiB) and queue take
    try:
        sent += c.send(b'r' * 65536)
    except BlockingIOError:
        break
# stdin until aecat stops taking it (its send is stuck: this peer reads
# nothing), so that it waits on the wire with stdin's bytes held
fd = ae.stdin.fileno()
os.set_blocking(fd, False)
end, refused = time.time() + 20, 0
while refused < 5 and time.time() < end:
    try:
        os.write(fd, bytes(65536))
        refused = 0
    except BlockingIOError:
        refused += 1
        time.sleep(0.02)
# a reset, with the wire's unread reply still in aecat's socket; a few
# more bytes of stdin in case its send was not stuck after all
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\1\0\0\0\0\0\0\0')
c.close()
try:
    os.write(fd, bytes(1))
except BlockingIOError:
    pass
end = time.time() + 5
while b'closed the connection' not in open(errf, 'rb').read() and time.time() < end:
    time.sleep(0.01)
print('told before stdout drained:', b'closed the connection' in open(errf, 'rb').read())
out = []
t = threading.Thread(target=lambda: out.append(ae.stdout.read()), daemon=True)
t.start()
print('exit', ae.wait())       # stdin still open
t.join(5)
print('printed', len(out[0]) > 0 if out else None)
EOF
    stderr=$(cat "$T/ae.err")
    mapfile -t stderr_lines <"$T/ae.err"
    assert_success
    assert_line 'told before stdout drained: True'
    assert_line 'exit 74'
    assert_line 'printed True'
    assert_elapsed 0 10
    assert_one_error "send: 127\.0\.0\.1 port [0-9]+: .*the peer closed the connection; [0-9]+ bytes from stdin not delivered, the rest of stdin not read"
}

@test "half-close: the send meets the reset first while stdout is stalled: 74 once stdout drains, no hang (splice relay)" {
    send_meets_reset_first splice
}

@test "half-close: the send meets the reset first while stdout is stalled: 74 once stdout drains, no hang (handle relay)" {
    send_meets_reset_first handle
}

# Someone typing: the peer's EOF ends the session at once.
@test "half-close: a terminal stdin and a server that greets and closes: exit 0 at once" {
    start_peer peer --send 'hello there\n' --then close
    hold_open_stdin
    run_timed -- timeout -k 2 10 script -qec "$AECAT 127.0.0.1 $PORT" /dev/null <"$OPEN_STDIN"
    assert_status 0
    [[ $output == *"hello there"* ]] || fail "no greeting: $output"
    assert_elapsed 0 3
}

@test "half-close: --peer-eof-grace: stdin silent longer than SECS after the peer's EOF ends the run with 0" {
    start_peer peer --then drain --recv "$T/recv" --events "$T/ev"
    hold_open_stdin 'first part\n'
    ae_files "$OPEN_STDIN" "$T/out" --peer-eof-grace 1 127.0.0.1 "$PORT"
    assert_status 0
    assert_elapsed 0.9 3
    wait_for_match "$T/ev" '^eof ' 5
    assert_equal "$(cat "$T/recv")" "first part"
}

@test "half-close: --peer-eof-grace: a pause shorter than SECS does not end the run" {
    start_peer peer --then drain --recv "$T/recv" --events "$T/ev"
    relay_pausing_stdin splice --peer-eof-grace 3
    assert_status 0
    wait_for_match "$T/ev" '^eof ' 5
    assert_equal "$(grep "^eof" "$T/ev")" "eof 2000"
}

@test "half-close: --peer-eof-grace takes seconds" {
    run --separate-stderr "$AECAT" --peer-eof-grace soon 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "--peer-eof-grace: 'soon' is not a number of seconds"
}


# The documented cost of waiting for stdin after a full close by FIN alone
# (nothing tells it from a half-close): -w bounds it.
@test "half-close: a silent stdin after the peer closed: -w 0.5 bounds the wait (75)" {
    start_peer peer --send 'hi\n' --then close
    hold_open_stdin
    ae_files "$OPEN_STDIN" "$T/out" -w 0.5 127.0.0.1 "$PORT"
    assert_status 75
    assert_equal "$(cat "$T/out")" hi
    assert_elapsed 0.4 3
    assert_one_error "timeout: no traffic with 127\.0\.0\.1 port $PORT for 0\.5 s \(-w\)"
}

# both relays: the splice fast path (stdout a pipe) and the handle path
paths() { printf '%s\n' splice handles; }
with_path() { if [ "$1" = handles ]; then export AECAT_NO_SPLICE=1; else unset AECAT_NO_SPLICE; fi; }

@test "half-close: a half-closed slow reader still gets all of stdin (both relay paths)" {
    head -c 12M /dev/urandom >"$T/in"
    for p in $(paths); do
        with_path "$p"
        # the listener's stdin is empty (it half-closes at once) and its reader is slow
        mkfifo "$T/r.$p"
        { "$AECAT" -l 127.0.0.1 0 --ready=3 </dev/null 3>"$T/r.$p" | { sleep 1.5; cat; } >"$T/out.$p"; } &
        PIDS+=($!)
        read -r _ _ port <"$T/r.$p"
        timeout 30 "$AECAT" 127.0.0.1 "$port" <"$T/in" | cat >/dev/null
        [ "${PIPESTATUS[0]}" -eq 0 ] || fail "$p: sender failed"
        wait "${PIDS[-1]}"
        cmp "$T/in" "$T/out.$p" || fail "$p: data lost"
    done
}

@test "half-close: a reply sent just before a reset reaches stdout (both relay paths)" {
    head -c 20M /dev/zero >"$T/big"
    for p in $(paths); do
        with_path "$p"
        start_peer "peer$p" --send '413 too big\n' --then close
        run --separate-stderr bash -c '"$0" 127.0.0.1 "$1" <"$2" | cat' "$AECAT" "$PORT" "$T/big"
        assert_output "413 too big"
        assert_one_error "^aecat: (send|recv): 127\.0\.0\.1 port $PORT: "
    done
}
