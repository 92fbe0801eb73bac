#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Timeouts exit 75 in about the time asked; refused -> 69; unresolvable -> 68.
# Lower bounds are strict (a timer never fires early); upper bounds are
# generous for a loaded 2-core CI machine.

load helpers

BATS_NO_PARALLELIZE_WITHIN_FILE=true

@test "timeout: -w 1 connecting to an address that never answers (full backlog) exits 75" {
    start_peer bh --blackhole
    run_timed --separate-stderr -- ae -w 1 127.0.0.1 "$PORT" </dev/null
    assert_status 75
    assert_one_error "^aecat: timeout: .*127\.0\.0\.1.*$PORT"
    assert_output ""
    assert_elapsed 0.95 3
}

@test "timeout: --connect-timeout 0.7 to an address that never answers exits 75" {
    start_peer bh --blackhole
    run_timed --separate-stderr -- ae --connect-timeout 0.7 127.0.0.1 "$PORT" </dev/null
    assert_status 75
    assert_one_error "^aecat: timeout: "
    assert_elapsed 0.65 3
}

@test "timeout: -w 1 with a silent server (stdin open) exits 75" {
    start_peer peer --then hold
    hold_open_stdin
    run_timed --separate-stderr -- ae -w 1 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 75
    assert_one_error "^aecat: timeout: .*127\.0\.0\.1 port $PORT.*-w"
    assert_elapsed 0.95 3
}

@test "timeout: -w 1 idle after our half-close (server silent, never closes) exits 75" {
    start_peer peer --then hold --recv "$T/recv"
    printf 'hi\n' >"$T/in"
    run_timed --separate-stderr -- ae -w 1 127.0.0.1 "$PORT" <"$T/in"
    assert_status 75
    assert_one_error "^aecat: timeout: "
    assert_equal "$(cat "$T/recv")" hi
    assert_elapsed 0.95 3
}

@test "timeout: -w 1 does not fire while data keeps arriving (--deadline 2.5 ends it)" {
    start_peer peer --trickle 0.2
    hold_open_stdin
    run_timed --separate-stderr -- ae -w 1 --deadline 2.5 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 75
    assert_one_error "^aecat: timeout: .*--deadline"
    assert_line "tick 1"
    assert_line "tick 5"
    assert_elapsed 2.45 5
}

@test "timeout: --deadline 1 with a silent server exits 75" {
    start_peer peer --then hold
    hold_open_stdin
    run_timed --separate-stderr -- ae --deadline 1 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 75
    assert_one_error "^aecat: timeout: .*--deadline"
    assert_elapsed 0.95 3
}

@test "timeout: --deadline 1 on a listener nobody connects to exits 75" {
    run_timed --separate-stderr -- ae --deadline 1 -l 127.0.0.1 0 </dev/null
    assert_status 75
    assert_one_error "^aecat: timeout: .*--deadline"
    assert_elapsed 0.95 3
}

@test "timeout: --deadline 0.8 cuts a run whose data keeps flowing, what arrived is printed" {
    start_peer peer --trickle 0.1
    hold_open_stdin
    run_timed --separate-stderr -- ae --deadline 0.8 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 75
    assert_line "tick 1"
    assert_elapsed 0.75 3
}

@test "timeout: --rtimeout 1 with a silent server exits 75" {
    start_peer peer --then hold
    hold_open_stdin
    run_timed --separate-stderr -- ae --rtimeout 1 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 75
    assert_one_error "^aecat: timeout: nothing received from 127\.0\.0\.1 port $PORT for 1 s \(--rtimeout\)$"
    assert_elapsed 0.95 3
}

@test "timeout: --rtimeout 0.6 does not fire while frames arrive every 0.2 s" {
    start_peer peer --trickle 0.2
    hold_open_stdin
    run_timed --separate-stderr -- ae --rtimeout 0.6 --frame line --count 8 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 0
    assert_equal "${#lines[@]}" 8
    assert_line "tick 8"
    assert_elapsed 1.3 5
}

@test "timeout: --wtimeout 1 with a peer that never reads and a large stdin exits 75" {
    head -c 64M /dev/zero >"$T/big"
    start_peer peer --no-read --then hold
    run_timed --separate-stderr -- ae --wtimeout 1 127.0.0.1 "$PORT" <"$T/big"
    assert_status 75
    assert_one_error "^aecat: timeout: could not send to 127\.0\.0\.1 port $PORT for 1 s \(--wtimeout\)$"
    assert_elapsed 0.95 5
}

@test "timeout: --wtimeout 1 does not fire on an idle connection with nothing queued" {
    start_peer peer --when request --delay 1.5 --send 'done\n'
    printf 'x\n' >"$T/in"
    run_timed --separate-stderr -- ae --wtimeout 1 127.0.0.1 "$PORT" <"$T/in"
    assert_status 0
    assert_output done
    assert_elapsed 1.45 5
}

@test "timeout: -q bounds the wait when the peer never takes the rest of stdin: exit 75" {
    # a Unix socket's small buffers: stdin (350 KiB) is all read, part of it
    # still queued when -q expires
    head -c 350K /dev/zero >"$T/big"
    start_peer peer --unix "$T/s" --then hold --no-read
    run_timed --separate-stderr -- ae -q 0.5 -U "$T/s" <"$T/big"
    assert_status 75
    assert_one_error "^aecat: timeout: -q 0.5 s after end of stdin: "
    assert_elapsed 0.3 4
}

@test "connect: refused exits 69 with one error line" {
    start_peer closed --bound-only
    run_timed --separate-stderr -- ae 127.0.0.1 "$PORT" </dev/null
    assert_status 69
    assert_one_error "^aecat: connect: .*127\.0\.0\.1.*$PORT.*[Rr]efused"
    assert_output ""
    assert_elapsed 0 3
}

@test "connect: refused over IPv6 exits 69" {
    start_peer closed --host ::1 --bound-only
    run --separate-stderr ae ::1 "$PORT" </dev/null
    assert_status 69
    assert_one_error "[Rr]efused"
}

@test "connect: a Unix socket path that does not exist exits 69" {
    run --separate-stderr ae -U "$T/nothing-here" </dev/null
    assert_status 69
    assert_one_error "^aecat: connect: .*nothing-here"
}

@test "resolve: nosuch.invalid exits 68 with one error line" {
    run_timed --separate-stderr -- ae -w 8 nosuch.invalid 80 </dev/null
    assert_status 68
    assert_one_error "^aecat: resolve: .*nosuch\.invalid"
    assert_output ""
    assert_elapsed 0 8
}
