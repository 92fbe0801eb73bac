#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Binary-safe raw relay through real sockets: 100 MB of random bytes, both
# ways at once and one way, over TCP/IPv4, TCP/IPv6 and Unix sockets.
# Equality is checked with sha256.

load helpers

setup_file() {
    head -c 100M /dev/urandom >"$BATS_FILE_TMPDIR/a.bin"
    head -c 100M /dev/urandom >"$BATS_FILE_TMPDIR/b.bin"
}

setup() {
    A=$BATS_FILE_TMPDIR/a.bin
    B=$BATS_FILE_TMPDIR/b.bin
}

# The peer sends B while it receives A, and keeps its write side open until
# it has seen our EOF.
duplex_check() {
    ae_files "$A" "$T/got" "$@"
    assert_status 0
    wait_pid "$PEER_PID" 30
    [ "$WAIT_RC" -eq 0 ] || fail "peer exited $WAIT_RC: $(cat "$T/peer.err")"
    [ "$(stat -c %s "$T/got")" -eq 104857600 ] || fail "aecat printed $(stat -c %s "$T/got") bytes, not 104857600"
    [ "$(sha "$T/got")" = "$(sha "$B")" ] || fail "bytes received by aecat differ"
    [ "$(sha "$T/recv")" = "$(sha "$A")" ] || fail "bytes received by the peer differ"
}

@test "relay: 100 MB both ways at once over TCP/IPv4" {
    start_peer peer --host 127.0.0.1 --duplex --send-file "$B" --recv "$T/recv"
    duplex_check 127.0.0.1 "$PORT"
}

@test "relay: 100 MB both ways at once over TCP/IPv6" {
    start_peer peer --host ::1 --duplex --send-file "$B" --recv "$T/recv"
    duplex_check ::1 "$PORT"
}

@test "relay: 100 MB both ways at once over a Unix socket" {
    start_peer peer --unix "$T/sock" --duplex --send-file "$B" --recv "$T/recv"
    duplex_check -U "$T/sock"
}

@test "relay: 100 MB one way, aecat client to a socat listener (IPv4)" {
    start_socat_listener sock -t 30 -u TCP4-LISTEN:0,bind=127.0.0.1 STDOUT
    ae_files "$A" /dev/null 127.0.0.1 "$PORT"
    assert_status 0
    wait_pid "$PEER_PID" 30
    [ "$(sha "$T/sock.out")" = "$(sha "$A")" ] || fail "socat received other bytes ($(stat -c %s "$T/sock.out") bytes)"
}

@test "relay: 100 MB one way, socat listener to an aecat client (IPv6)" {
    start_socat_listener sock -t 30 -u FILE:"$B" TCP6-LISTEN:0,bind=[::1]
    ae_files /dev/null "$T/got" ::1 "$PORT"
    assert_status 0
    [ "$(sha "$T/got")" = "$(sha "$B")" ] || fail "aecat printed other bytes ($(stat -c %s "$T/got") bytes)"
}

@test "relay: 100 MB one way, socat client to an aecat listener (IPv6, --ready port)" {
    start_aecat_ready lst -l ::1 0 --no-shutdown
    [ "$READY_LINE" = "listening ::1 $LPORT" ] || fail "ready line: $READY_LINE"
    timeout 30 socat -u FILE:"$A" "TCP6:[::1]:$LPORT" 3>&-
    wait_pid "$AE_PID" 30
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l exited $WAIT_RC: $(cat "$T/lst.err")"
    [ "$(sha "$T/lst.out")" = "$(sha "$A")" ] || fail "aecat -l printed other bytes ($(stat -c %s "$T/lst.out") bytes)"
}

@test "relay: 100 MB aecat to aecat over a Unix socket (-U -l and -U)" {
    start_aecat_ready lst -U -l "$T/ae.sock" --no-shutdown
    [ "$READY_LINE" = "listening unix $T/ae.sock" ] || fail "ready line: $READY_LINE"
    ae_files "$A" "$T/got" -U "$T/ae.sock"
    assert_status 0
    wait_pid "$AE_PID" 30
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -U -l exited $WAIT_RC: $(cat "$T/lst.err")"
    [ "$(sha "$T/lst.out")" = "$(sha "$A")" ] || fail "the listener printed other bytes"
    [ ! -s "$T/got" ]
}

@test "relay: 100 MB aecat listener to aecat client over TCP/IPv4 (the other way)" {
    start_aecat_listener -i "$B" lst
    ae_files /dev/null "$T/got" --no-shutdown 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 30
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l exited $WAIT_RC: $(cat "$T/lst.err")"
    [ "$(sha "$T/got")" = "$(sha "$B")" ] || fail "the client printed other bytes ($(stat -c %s "$T/got") bytes)"
}

# stdin and stdout are pipes here, so aecat may take its splice(2) path.
@test "relay: 100 MB both ways at once over TCP/IPv4, stdin and stdout pipes" {
    start_peer peer --host 127.0.0.1 --duplex --send-file "$B" --recv "$T/recv"
    run bash -c 'set -o pipefail; cat "$1" | timeout 30 "$2" 127.0.0.1 "$3" 2>"$4" | sha256sum | cut -d" " -f1' \
        _ "$A" "$AECAT" "$PORT" "$T/ae.err"
    assert_status 0
    assert_output "$(sha "$B")"
    [ ! -s "$T/ae.err" ] || fail "stderr: $(cat "$T/ae.err")"
    wait_pid "$PEER_PID" 30
    [ "$(sha "$T/recv")" = "$(sha "$A")" ] || fail "bytes received by the peer differ"
}

@test "relay: 100 MB aecat to aecat over a Unix socket, stdin and stdout pipes" {
    start_aecat_ready lst -U -l "$T/ae.sock" --no-shutdown
    run bash -c 'set -o pipefail; cat "$1" | timeout 30 "$2" -U "$3" | cat' _ "$A" "$AECAT" "$T/ae.sock"
    assert_status 0
    assert_output ""
    wait_pid "$AE_PID" 30
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -U -l exited $WAIT_RC: $(cat "$T/lst.err")"
    [ "$(sha "$T/lst.out")" = "$(sha "$A")" ] || fail "the listener printed other bytes"
}

# A pipe on stdout is widened to 1 MiB when the handle relay writes to it
# (framed here, so not the splice path): a 64 KiB pipe cost four writes and
# four wakeups per loop turn.  The reader sees its pipe's size once aecat
# has started relaying.
@test "relay: a framed relay widens a stdout pipe to 1 MiB" {
    printf 'one\ntwo\n' >"$T/lines"
    start_socat_listener sock -t 5 -u FILE:"$T/lines" TCP4-LISTEN:0,bind=127.0.0.1
    run bash -c 'set -o pipefail; timeout 10 "$1" --frame line 127.0.0.1 "$2" </dev/null 2>"$3" |
        python3 -c "import fcntl, sys; d = sys.stdin.buffer.read(); print(len(d), fcntl.fcntl(0, 1032))"' \
        _ "$AECAT" "$PORT" "$T/ae.err"
    assert_status 0
    assert_output "8 1048576"
    [ ! -s "$T/ae.err" ] || fail "stderr: $(cat "$T/ae.err")"
}

# Lines that go to stdout as they came are passed on as runs of bytes,
# not decoded one by one (mixed_lines: helpers.bash).
@test "relay: lines pass through as they came, \\r\\n ends made \\n, each counted by --stats" {
    mixed_lines
    start_socat_listener sock -t 5 -u FILE:"$T/mixed" TCP4-LISTEN:0,bind=127.0.0.1
    run bash -c 'timeout 20 "$1" --frame line --stats 127.0.0.1 "$2" </dev/null >"$3" 2>"$4"' \
        _ "$AECAT" "$PORT" "$T/ae.out" "$T/ae.err"
    assert_status 0
    cmp "$T/want" "$T/ae.out" || fail "stdout differs from the lines with \\n ends"
    grep -Eq '^aecat: stats: .*received [0-9]+ bytes 20001 frames' "$T/ae.err" ||
        fail "stats: $(cat "$T/ae.err")"
}
