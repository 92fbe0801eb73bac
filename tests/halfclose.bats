#!/usr/bin/env bats
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

@test "half-close: a server that greets and closes while our stdin stays open" {
    start_peer peer --send 'hello there\n' --then close
    hold_open_stdin
    ae_files "$OPEN_STDIN" "$T/out" 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "hello there"
    assert_elapsed 0 3
}

@test "half-close: a server that sends 8 MB and closes while our stdin stays open: all flushed" {
    head -c 8M /dev/urandom >"$T/big"
    start_peer peer --send-file "$T/big" --then close
    hold_open_stdin
    ae_files "$OPEN_STDIN" "$T/out" 127.0.0.1 "$PORT"
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
