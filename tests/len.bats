#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The len: framing through real sockets: aecat <-> aecat, aecat <-> a raw
# Python peer and socat, presets on real protocol bytes, --max-frame
# refused at the length field, bad specs and unsendable strips as usage
# errors.  The codec itself is tests/unit/test_frame_len.c.

load helpers

@test "len: lines -> len:u16be on the wire -> hex records on the other aecat" {
    start_aecat_listener lst --no-shutdown --recv-frame len:u16be --records hex
    printf 'hello\n\nworld\n' >"$T/in"
    ae_files "$T/in" /dev/null --send-frame len:u16be 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" $'68656c6c6f\n\n776f726c64'
}

@test "len: the wire carries the length field (seen by a raw peer), adj counted" {
    start_peer peer --when eof --recv "$T/wire"
    printf 'ab\nxyz\n' >"$T/in"
    ae_files "$T/in" /dev/null --send-frame 'len:u32le,adj=1' 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(hex "$T/wire")" "0100000061620200000078797a"
}

@test "len:pg: whole PostgreSQL messages from a peer, as hex and as JSON" {
    # Query 'SELECT 1;' then ReadyForQuery 'I'
    start_peer peer --send-hex 510000000e53454c45435420313b005a0000000549
    run --separate-stderr ae --recv-frame len:pg --recv-records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output $'510000000e53454c45435420313b00\n5a0000000549'
    start_peer peer --send-hex 5a0000000549
    run --separate-stderr ae --recv-frame len:pg --recv-records json 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output '"Z\u0000\u0000\u0000\u0005I"'
}

@test "len:pg: aecat -> aecat sends whole messages as they are, their length checked" {
    start_aecat_listener lst --no-shutdown --frame len:pg --records hex
    printf '5800000004\n510000000e53454c45435420313b00\n' >"$T/in"
    ae_files "$T/in" /dev/null --frame len:pg --records hex 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" $'5800000004\n510000000e53454c45435420313b00'
}

@test "len:pg: a record whose length field is wrong is refused, naming both" {
    start_peer peer --when eof --recv "$T/wire"
    printf '5800000005\n' >"$T/in"
    ae_files "$T/in" /dev/null --send-frame len:pg --records hex 127.0.0.1 "$PORT"
    assert_status 65
    assert_one_error 'length field says 5, a record of 5 bytes needs 4'
    assert_equal "$(hex "$T/wire")" ""
}

@test "len:dns: DNS over TCP from socat, frames are the messages" {
    printf '\000\035\022\064\001\000\000\001\000\000\000\000\000\000\007example\003com\000\000\001\000\001' >"$T/msg"
    start_socat_listener sock TCP4-LISTEN:0,bind=127.0.0.1,reuseaddr "OPEN:$T/msg,rdonly"
    run --separate-stderr ae --recv-frame len:dns --records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output 123401000001000000000000076578616d706c6503636f6d0000010001
}

@test "len:h2: a SETTINGS frame and its ack, whole frames" {
    start_peer peer --send-hex 000006040000000000000300000064000000040100000000
    run --separate-stderr ae --recv-frame len:h2 --records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output $'000006040000000000000300000064\n000000040100000000'
}

@test "len: --max-frame is refused at the length field (exit 65 with its byte offset)" {
    # a 3-byte frame, then a header announcing 4096 bytes that never come
    start_peer peer --send-hex 00036162631000 --then hold
    run --separate-stderr ae --recv-frame len:u16be --max-frame 16 --records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_output 616263
    assert_one_error 'at byte 5: len: frame of 4096 bytes is longer than 16'
}

@test "len: a length ending inside its header is malformed data at the field" {
    start_peer peer --send-hex 5a00000003
    run --separate-stderr ae --recv-frame len:pg 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_one_error 'at byte 1: len: length 3-4 ends the frame inside its 5-byte header'
}

@test "len: bad specs are usage errors naming their offset" {
    run --separate-stderr "$AECAT" --frame 'len:u16be,adj=x' 127.0.0.1 1
    assert_status 64
    assert_one_error "adj is not a number \(at offset 14 of 'len:u16be,adj=x'\)"
    run --separate-stderr "$AECAT" --frame 'len:u32' 127.0.0.1 1
    assert_status 64
    assert_one_error "'u32' is not a length format .*at offset 4 of"
    run --separate-stderr "$AECAT" --frame 'len:u8,strip=2' 127.0.0.1 1
    assert_status 64
    assert_one_error "strip=2 is more than the 1-byte header \(at offset 7 of"
}

@test "len: what a later version will do is a usage error 'not supported yet'" {
    for spec in len:varint len:varint4@1 len:ber len:mqtt len:rpc 'len:u32be,mask=0x7fffffff' \
                'len:u32be,last=0x80000000' 'len:pg-startup>>len:pg'; do
        run --separate-stderr "$AECAT" --frame "$spec" 127.0.0.1 1
        assert_status 64
        assert_one_error 'not supported yet'
    done
}

@test "len: a strip the sender cannot undo is a usage error for sending only" {
    run --separate-stderr "$AECAT" --send-frame 'len:pg,strip=hdr' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "--send-frame: framing 'len:pg,strip=hdr' cannot be sent"
    start_peer peer --send-hex 51000000067879
    run --separate-stderr ae --recv-frame 'len:pg,strip=hdr' 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output xy
}
