#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The lingering close (man aecat, END OF STREAM): when aecat's side of a
# connection it accepted (or of one running -e/-c) is done while the peer
# may still be sending (a request the program never read, --count
# reached), the socket is half-closed and what the peer sends is read and
# discarded until its EOF, 1 s of its silence or 2 s in all.  Closing with
# unread bytes would answer with a reset, and on Linux a reset makes the
# peer lose the reply it had not read yet.  Real peers: Python clients
# (plain and ssl, tests/peers/linger_client.py) and socat.

load helpers
load tls_helpers

setup_file() { make_test_certs; }

LCLIENT=("$PYTHON" "$PEERS/linger_client.py")
SRV=(--tls --cert "$CERTS/srv.pem" --key "$CERTS/srv.key")

# told FILE: until the client created FILE (it read aecat's EOF), 10 s at most.
told() {
    local end=$(( $(now_us) + 10000000 ))
    until [ -e "$1" ]; do
        [ "$(now_us)" -lt "$end" ] || fail "the client did not see aecat's EOF in 10 s: $(cat "$T/cl.err" 2>/dev/null)"
        sleep 0.01
    done
}

# exits_after_told MIN MAX CLIENT-ARGS...: a client of aecat's listener
# ($LPORT) that says when it read aecat's EOF; from then, aecat exits 0
# within MIN to MAX s.
exits_after_told() {
    local min=$1 max=$2 t0
    shift 2
    spawn cl "${LCLIENT[@]}" "$LPORT" "$@" --told "$T/told"
    told "$T/told"
    t0=$(now_us)
    wait_pid "$AE_PID"
    elapsed_from "$t0"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/ae.err")"
    assert_elapsed "$min" "$max"
}

@test "linger: -l -k -c 'printf hi': 40 clients still sending requests the program never reads get hi and a clean EOF, never a reset" {
    start_aecat_listener ae -k -v -c 'printf "hi\n"'
    run -0 "${LCLIENT[@]}" "$LPORT" --n 40
    grep -Eq '^aecat: conn [0-9]+ 127\.0\.0\.1 port [0-9]+: lingering close: [0-9]+ bytes the peer sent after our end discarded; closed at its EOF$' \
        "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

@test "linger: TLS: -l -k --tls -c 'printf hi': Python ssl clients still sending get hi, close_notify and EOF" {
    start_aecat_listener ae -k "${SRV[@]}" -c 'printf "hi\n"'
    run -0 "${LCLIENT[@]}" "$LPORT" --n 25 --tls
}

@test "linger: TLS: the peer's close_notify ends the linger, though it keeps TCP open" {
    start_aecat_listener ae -v "${SRV[@]}" -c 'printf "hi\n"'
    exits_after_told 0 0.7 --tls --after notify
    grep -q 'closed at its EOF$' "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

@test "linger: -l -c (one connection): the program reads 5 bytes, the client gets hi; what the peer sends later reaches neither the program nor stdout; exit 0 at its EOF" {
    start_aecat_listener ae -v -c "head -c 5 >'$T/prog.in'; printf 'hi\\n'"
    run -0 "${LCLIENT[@]}" "$LPORT" --first hello
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/ae.err")"
    assert_equal "$(cat "$T/prog.in")" hello
    [ ! -s "$T/ae.out" ]
    grep -Eq '^aecat: lingering close: [0-9]+ bytes 127\.0\.0\.1 port [0-9]+ sent after our end discarded; closed at its EOF$' \
        "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

@test "linger: -l --frame line --count 1: the client still sending sees our EOF, not a reset; stdout holds the first line only" {
    start_aecat_listener ae --frame line --count 1
    run -0 "${LCLIENT[@]}" "$LPORT" --n 1 --first 'one\ntwo\n' --expect ''
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/ae.err")"
    assert_equal "$(cat "$T/ae.out")" one
}

@test "linger: a peer that keeps the connection open: aecat ends 1 s after its last byte, exit 0" {
    start_aecat_listener ae -v -c 'printf "hi\n"'
    exits_after_told 0.5 1.8 --after hold
    grep -q 'closed after 1 s of its silence$' "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

@test "linger: a peer that never stops sending: aecat ends 2 s after its own end, exit 0" {
    start_aecat_listener ae -v -c 'printf "hi\n"'
    exits_after_told 1.5 2.8 --after stream
    grep -q 'closed after 2 s$' "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

@test "linger: --deadline bounds the linger too, and the run still ends 0 (not 75)" {
    local t0; t0=$(now_us)
    start_aecat_listener ae -v --deadline 1 -c 'printf "hi\n"'
    spawn cl "${LCLIENT[@]}" "$LPORT" --after stream --told "$T/told"
    wait_pid "$AE_PID"
    elapsed_from "$t0"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/ae.err")"
    assert_elapsed 0.8 1.7
    ! grep -q timeout "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

@test "linger: SIGTERM during the linger ends it at once; the run's exit code stays" {
    start_aecat_listener ae -v -c 'printf "hi\n"; exit 4'
    spawn cl "${LCLIENT[@]}" "$LPORT" --after stream --told "$T/told"
    wait_for_match "$T/ae.err" 'lingering close: reading'
    local t0; t0=$(now_us)
    kill -TERM "$AE_PID"
    wait_pid "$AE_PID"
    elapsed_from "$t0"
    [ "$WAIT_RC" -eq 4 ] || fail "exit $WAIT_RC: $(cat "$T/ae.err")"
    assert_elapsed 0 0.5
}

@test "linger: no linger when the peer closed first: the client half-closed and holds the connection, aecat exits at once" {
    start_aecat_listener ae -v -c 'cat >/dev/null; printf "hi\n"'
    exits_after_told 0 0.4 --shut --after hold
    ! grep -q lingering "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

@test "linger: none after -q: its wait for the peer was the user's; a client that holds the connection open does not delay the exit" {
    start_aecat_listener ae -v -q 0.3
    exits_after_told 0 0.6 --bytes 2048 --expect '' --after hold
    ! grep -q lingering "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

@test "linger: -k: a lingering connection holds neither the loop nor --max-conns 1; --max-accepts 2 counts it as ended and exits 0" {
    start_aecat_listener ae -k -v --max-conns 1 --max-accepts 2 -c 'printf "hi\n"'
    spawn cl "${LCLIENT[@]}" "$LPORT" --after hold --told "$T/told"
    told "$T/told"
    local t0; t0=$(now_us)
    run_timed -0 -- "${LCLIENT[@]}" "$LPORT"
    assert_elapsed 0 0.7
    wait_pid "$AE_PID"
    elapsed_from "$t0"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/ae.err")"
    assert_elapsed 0.3 1.8
    grep -q '^aecat: --max-accepts 2: all connections ended$' "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

# A server that greets without end (1 KiB each ms) until 0.1 s after the
# client's EOF (the rest of its reply), then closes: prints its port, then
# what it read, or the error it met.
greeter() {
    "$PYTHON" -c '
import socket, sys, threading, time
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
print(l.getsockname()[1], flush=True)
c, _ = l.accept()
c.settimeout(10)
done, errors = threading.Event(), []
def greet():
    try:
        while not done.is_set():
            c.sendall(b"g" * 1024)
            time.sleep(0.001)
    except OSError as e:
        errors.append("send: %s" % e)
t = threading.Thread(target=greet)
t.start()
got = b""
try:
    while True:
        b = c.recv(65536)
        if not b:
            break
        got += b
except OSError as e:
    errors.append("recv: %s" % e)
time.sleep(0.1)
done.set()
t.join()
c.close()
print(errors[0] if errors else "got %r" % got, flush=True)'
}

@test "linger: a client whose program (-e/-c) ended: the server still greeting gets QUIT and our EOF, no reset" {
    spawn srv greeter
    wait_for_line "$T/srv.out" "$SPAWN_PID"
    local srv=$SPAWN_PID port; port=$(head -n1 "$T/srv.out")
    run -0 ae -v -c 'printf "QUIT\n"' 127.0.0.1 "$port" </dev/null
    wait_pid "$srv"
    assert_equal "$(sed -n 2p "$T/srv.out")" "got b'QUIT\\n'"
}

@test "linger: a plain client does not linger: --count 1 against a server that never stops sending exits at once" {
    start_socat_listener srv TCP4-LISTEN:0,bind=127.0.0.1,reuseaddr EXEC:yes
    run_timed -0 -- ae --frame line --count 1 127.0.0.1 "$PORT" </dev/null
    assert_output y
    assert_elapsed 0 0.7
}
