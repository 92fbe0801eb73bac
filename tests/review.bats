#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Regressions found by review: each test failed before its fix.

load helpers

# both relays: the splice fast path (stdout a pipe) and the handle path
paths() { printf '%s\n' splice handles; }
with_path() { if [ "$1" = handles ]; then export AECAT_NO_SPLICE=1; else unset AECAT_NO_SPLICE; fi; }

@test "review: a half-closed slow reader still gets all of stdin (both relay paths)" {
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

@test "review: -U -l over a regular file fails and leaves the file alone" {
    echo keep >"$T/notes.txt"
    run --separate-stderr ae -U -l "$T/notes.txt" </dev/null
    assert_status 74
    assert_one_error "address already in use"
    assert_equal "$(cat "$T/notes.txt")" keep
}

@test "review: -U -l over a live listener fails without touching it or its socket file" {
    start_aecat_ready -i /dev/null live -U -l "$T/live.sock"
    run --separate-stderr ae -U -l "$T/live.sock" </dev/null
    assert_status 74
    [ -S "$T/live.sock" ] || fail "the live socket file was removed"
    kill -0 "$AE_PID" || fail "the live listener was disturbed"
    echo hi | ae -U "$T/live.sock" >/dev/null
    wait_pid "$AE_PID" 10
    assert_equal "$(cat "$T/live.out")" hi
}

@test "review: a reply sent just before a reset reaches stdout (both relay paths)" {
    head -c 20M /dev/zero >"$T/big"
    for p in $(paths); do
        with_path "$p"
        start_peer "peer$p" --send '413 too big\n' --then close
        run --separate-stderr bash -c '"$0" 127.0.0.1 "$1" <"$2" | cat' "$AECAT" "$PORT" "$T/big"
        assert_output "413 too big"
        assert_one_error "^aecat: (send|recv): 127\.0\.0\.1 port $PORT: "
    done
}

@test "review: a closed stdin reads as empty; a closed stdout is refused" {
    start_peer peer --send 'hello\n' --then close
    run --separate-stderr bash -c '"$0" 127.0.0.1 "$1" <&-' "$AECAT" "$PORT"
    assert_status 0
    assert_output hello
    run --separate-stderr bash -c '"$0" 127.0.0.1 1 >&- </dev/null' "$AECAT"
    assert_status 74
    assert_one_error "^aecat: stdout: not open$"
}

@test "review: --count ends at once even when the peer never reads our queued data" {
    head -c 8M /dev/zero | tr '\0' 'x' | fold -w 1000 >"$T/lines"
    start_peer peer --send 'OK\n' --delay 0.3 --then hold --no-read
    run_timed -- ae --frame line --count 1 127.0.0.1 "$PORT" <"$T/lines"
    assert_status 0
    assert_output OK
    assert_elapsed 0 3
}

@test "review: -q bounds the wait when the peer never takes the rest of stdin: exit 75" {
    # a Unix socket's small buffers: stdin (350 KiB) is all read, part of it
    # still queued when -q expires
    head -c 350K /dev/zero >"$T/big"
    start_peer peer --unix "$T/s" --then hold --no-read
    run_timed --separate-stderr -- ae -q 0.5 -U "$T/s" <"$T/big"
    assert_status 75
    assert_one_error "^aecat: timeout: -q 0.5 s after end of stdin: "
    assert_elapsed 0.3 4
}

@test "review: out-of-range ports and over-long unix paths are usage errors (64)" {
    for args in "127.0.0.1 70000" "127.0.0.1 no-such-service" "-l 70000" "-p 65537 127.0.0.1 1" "-s nosuch.invalid 127.0.0.1 1" \
                "-U $(printf 'x%.0s' $(seq 1 120))"; do
        # shellcheck disable=SC2086
        run --separate-stderr ae $args </dev/null
        assert_status 64
        assert_one_error "^aecat: usage: "
    done
}
