#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --retry-until: the whole connect + TLS + dialog again with backoff until it
# works or the time is up; each attempt's lines held (shown with -v), the
# last failure's code and one line at the end.

load helpers

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

@test "retry: a server that comes up 1.5 s late: the dialog succeeds, exit 0" {
    local port; port=$(free_port)
    # the delay is the point of the test: the server is not there at first
    spawn late sh -c "sleep 1.5; exec $PYTHON $PEERS/peer.py --port $port --send '+PONG\r\n' --when request --then hold"
    run_timed --separate-stderr -- ae --retry-until 10 --send 'PING\r\n' --expect '^\+PONG' 127.0.0.1 "$port" </dev/null
    assert_status 0
    assert_output '+PONG'
    [ -z "$stderr" ] || fail "failed attempts must stay quiet without -v: $stderr"
    assert_elapsed 1.4 8
}

@test "retry: a server that never comes: exit 69 after the time, one line saying how long it was tried" {
    local port; port=$(free_port)
    run_timed --separate-stderr -- ae --retry-until 1 127.0.0.1 "$port" </dev/null
    assert_status 69
    assert_one_error "connect: connect to 127.0.0.1 port $port: Connection refused \(--retry-until: [4-9] attempts in (0\.9|1\.0) s\)"
    assert_elapsed 0.85 3
}

@test "retry: -v tells each attempt and the backoff, doubling from 100 ms" {
    local port; port=$(free_port)
    run --separate-stderr ae -v --retry-until 0.9 127.0.0.1 "$port" </dev/null
    assert_status 69
    [[ "$stderr" == *"attempt 1: connect: connect to 127.0.0.1 port $port: Connection refused"* ]] || fail "$stderr"
    [[ "$stderr" == *"attempt 1 failed (exit 69); retrying in 0.10 s"* ]] || fail "$stderr"
    [[ "$stderr" == *"attempt 2 failed (exit 69); retrying in 0.20 s"* ]] || fail "$stderr"
    [[ "$stderr" == *"attempt 3 failed (exit 69); retrying in 0.40 s"* ]] || fail "$stderr"
}

@test "retry: an expect never met is retried too, and ends with exit 1 and the last reply" {
    start_peer p --send 'LOADING\r\n' --when start --then close --accept 100
    run --separate-stderr ae --retry-until 1 --expect READY 127.0.0.1 "$PORT" </dev/null
    assert_status 1
    assert_one_error "step 1 \(--expect 'READY'\): not met: .* closed the connection first; last bytes received: \"LOADING\\\\r\\\\n\" \(--retry-until: [3-9] attempts"
}

@test "retry: an attempt that hangs is cut by what is left of the time: exit 75" {
    start_peer p --blackhole
    run_timed --separate-stderr -- ae --retry-until 1 127.0.0.1 "$PORT" </dev/null
    assert_status 75
    assert_one_error 'retry-until of 1 s reached'
    assert_elapsed 0.9 3
}

@test "retry: usage errors are not retried; -l is refused" {
    run_timed --separate-stderr -- ae --retry-until 5 --expect 'a(' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_elapsed 0 1
    run --separate-stderr ae --retry-until 5 -l 127.0.0.1 0 </dev/null
    assert_status 64
    assert_one_error '--retry-until is for connecting'
    run --separate-stderr ae --retry-until soon 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "--retry-until: 'soon' is not a number of seconds"
}
