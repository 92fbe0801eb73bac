#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Format conversion: different framings on the two sides of each aecat.
# Receiving listeners use --no-shutdown: with stdin at EOF they would
# half-close at once, and the client exits when its peer closes first
# (tests/halfclose.bats has a test of that case on its own).

load helpers

@test "convert: lines on stdin -> netstrings on the wire -> hex on the other aecat's stdout" {
    start_aecat_listener lst --no-shutdown --recv-frame netstring --records hex
    printf 'hello\nworld\n\nbinary \001\377\n' >"$T/in"
    ae_files "$T/in" "$T/out" --send-frame netstring 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" $'68656c6c6f\n776f726c64\n\n62696e6172792001ff'
}

@test "convert: the wire carries netstrings (seen by a raw peer)" {
    start_peer peer --when eof --recv "$T/wire"
    printf 'hello\nworld\n\nlast line without newline' >"$T/in"
    ae_files "$T/in" /dev/null --send-frame netstring 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/wire")" "5:hello,5:world,0:,25:last line without newline,"
}

@test "convert: hex records -> packstring N -> base64 records" {
    start_aecat_listener lst --no-shutdown --recv-frame packstring:N --records base64
    printf '00ff\n\n68656c6c6f0a\n' >"$T/in"
    ae_files "$T/in" /dev/null --send-frame packstring:N --records hex 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" $'AP8=\n\naGVsbG8K'
}

@test "convert: base64 records -> netstring wire, seen by a raw peer" {
    start_peer peer --when eof --recv "$T/wire"
    printf 'aGk=\nAAEC\n' >"$T/in"
    ae_files "$T/in" /dev/null --send-frame netstring --records base64 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(hex "$T/wire")" "323a68692c333a0001022c"
}

@test "convert: netstring records on stdin -> lines on the wire" {
    start_peer peer --when eof --recv "$T/wire"
    printf '3:abc,0:,5:x y z,' >"$T/in"
    ae_files "$T/in" /dev/null --send-frame line --records netstring 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/wire")" $'abc\n\nx y z'
}

@test "convert: nul records on stdin -> line:EOL with a custom end marker" {
    start_peer peer --when eof --recv "$T/wire"
    printf 'one\0two\0' >"$T/in"
    ae_files "$T/in" /dev/null --send-frame 'line:\r\n' --records nul 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(hex "$T/wire")" "6f6e650d0a74776f0d0a"
}

@test "convert: received lines ending in \\r\\n or \\n (default \\r?\\n) -> lines" {
    start_peer peer --send 'a\r\nb\nc\r\n\r\n'
    ae_files /dev/null "$T/out" --recv-frame line 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(hex "$T/out")" "610a620a630a0a"
}

@test "convert: line:/RE/ end marker splits on a regex, independent of how reads split" {
    start_peer peer --send 'a;  b;c;\n\t d;'
    ae_files /dev/null "$T/out" --recv-frame 'line:/;\s*/' --records netstring 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "1:a,1:b,1:c,1:d,"
}

@test "convert: regex:RE frames include the match" {
    start_peer peer --send 'h1\r\n\r\nh2: x\r\n\r\n'
    ae_files /dev/null "$T/out" --recv-frame 'regex:\r\n\r\n' --records hex 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" $'68310d0a0d0a\n68323a20780d0a0d0a'
}

@test "convert: chunk:4 -> hex records" {
    start_peer peer --send 'abcdefgh'
    ae_files /dev/null "$T/out" --recv-frame chunk:4 --records hex 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" $'61626364\n65666768'
}

@test "convert: both directions at once, netstring wire, hex and lines records" {
    hold_open_stdin '6869\n\n00\n'
    # its stdin stays open: the client's EOF ends it
    start_aecat_listener -i "$OPEN_STDIN" lst --frame netstring --records hex --peer-eof-grace 0
    printf 'hello\nworld\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame netstring 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" $'68656c6c6f\n776f726c64'
    assert_equal "$(hex "$T/out")" "68690a0a000a"
}

@test "convert: a 10 MB frame passes netstring -> hex and back" {
    head -c 10M /dev/urandom >"$T/blob"
    od -An -v -tx1 "$T/blob" | tr -d ' \n' >"$T/blob.hex"; echo >>"$T/blob.hex"
    start_aecat_listener lst --no-shutdown --recv-frame netstring --records hex
    ae_files "$T/blob.hex" /dev/null --send-frame netstring --records hex 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 20
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    cmp -s "$T/lst.out" "$T/blob.hex" || fail "the frame came out changed ($(stat -c %s "$T/lst.out") bytes of hex)"
}

@test "convert: a last received line without its end marker is a frame at EOF (-v says so); --strict-lines: 65" {
    start_peer peer --send 'a\r\nlast'
    ae_files /dev/null "$T/out" -v --recv-frame line --records netstring 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "1:a,4:last,"
    [[ $stderr == *"recv: the last line from 127.0.0.1 port $PORT (4 bytes) has no end marker: delivered as a frame"* ]] ||
        fail "no -v note: $stderr"
    start_peer peer2 --send 'a\r\nlast'
    ae_files /dev/null "$T/out" --strict-lines --recv-frame line --records netstring 127.0.0.1 "$PORT"
    assert_status 65
    assert_equal "$(cat "$T/out")" "1:a,"
    [[ $stderr == *"at byte 7: line: truncated frame: stream ended after 4 bytes"* ]] || fail "$stderr"
}

@test "convert: line:EOL and line:/RE/ framings deliver an unterminated last line too; the terminated ones get no note" {
    start_peer peer --send 'a;b;c'
    ae_files /dev/null "$T/out" -v --recv-frame 'line:;' 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" $'a\nb\nc'
    start_peer peer2 --send 'a;;b;  c'
    ae_files /dev/null "$T/out" --recv-frame 'line:/;\s*/' --records netstring 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "1:a,0:,1:b,1:c,"
    start_peer peer3 --send 'a\nb\n'
    ae_files /dev/null "$T/out" -v --recv-frame line 127.0.0.1 "$PORT"
    assert_status 0
    [[ $stderr != *"no end marker"* ]] || fail "a terminated last line noted: $stderr"
}

@test "convert: stdin lines records end in \\n or \\r\\n (the \\r is not sent); a last line without one is a record, unless --strict-lines" {
    start_peer peer --when eof --recv "$T/wire"
    printf 'PING\r\nx\r\ny\n' >"$T/in"
    ae_files "$T/in" /dev/null --frame line 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(hex "$T/wire")" "50494e470a780a790a"
    start_peer peer2 --when eof --recv "$T/wire2"
    printf 'one\r\ntwo' >"$T/in"
    ae_files "$T/in" /dev/null -v --send-frame netstring 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/wire2")" "3:one,3:two,"
    [[ $stderr == *"stdin: the last line (3 bytes) has no end marker: sent as a frame"* ]] || fail "$stderr"
    start_peer peer3 --when eof --recv "$T/wire3"
    ae_files "$T/in" /dev/null --strict-lines --send-frame netstring 127.0.0.1 "$PORT"
    assert_status 65
    [[ $stderr == *"stdin: malformed data at byte 8: line: truncated frame"* ]] || fail "$stderr"
}

@test "convert: --send-records and --recv-records set one side each; --records is the default of both" {
    # lines in, hex out (the README's packstring example), through an aecat echo
    start_aecat_listener echo --no-shutdown --frame packstring:N --records raw
    printf 'hi\nthere\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame packstring:N --send-records lines --recv-records hex 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 10
    assert_equal "$(hex "$T/echo.out")" "$(printf 'hithere' | od -An -v -tx1 | tr -d ' \n')"
    # --records sets both; the specific option wins on its side
    start_peer peer --send '3:abc,' --when eof --recv "$T/wire"
    printf '68690a\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame netstring --records hex --recv-records lines 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/wire")" $'3:hi\n,'
    assert_equal "$(cat "$T/out")" "abc"
    run --separate-stderr ae --frame line --recv-records bogus 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "usage: --recv-records: unknown format 'bogus'"
    run --separate-stderr ae --frame line --records bogus 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "usage: --records: unknown format 'bogus'"
}
