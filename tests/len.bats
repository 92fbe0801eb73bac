#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The len: framing through real sockets: aecat <-> aecat, aecat <-> a raw
# Python peer and socat, presets on real protocol bytes, --max-frame
# refused at the length field, bad specs and unsendable strips as usage
# errors; varint, ber, ONC RPC records, the framing switch A>>B, real
# servers (Mosquitto for len:mqtt, PostgreSQL for len:pg-startup>>len:pg,
# MariaDB for len:mysql, dnsmasq for len:dns), and bad input per protocol.
# The codecs themselves are tests/unit/test_frame_len.c and
# test_frame_switch.c.

load servers_helpers

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

@test "len: a strip the sender cannot undo is a usage error for sending only" {
    run --separate-stderr "$AECAT" --send-frame 'len:pg,strip=hdr' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "--send-frame: framing 'len:pg,strip=hdr' cannot be sent"
    start_peer peer --send-hex 51000000067879
    run --separate-stderr ae --recv-frame 'len:pg,strip=hdr' 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output xy
}

@test "len:varint and len:ber: the header in its shortest form on the wire, read back by aecat" {
    start_peer peer --when eof --recv "$T/wire"
    head -c 300 /dev/zero | tr '\0' x >"$T/in"
    printf '\nab\n' >>"$T/in"
    ae_files "$T/in" /dev/null --send-frame len:varint 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(hex "$T/wire" | cut -c1-4)" ac02
    assert_equal "$(hex "$T/wire" | cut -c605-)" 026162
    start_aecat_listener lst --no-shutdown --recv-frame len:ber --records hex
    printf 'hello\n%0200d\n' 7 >"$T/in"
    ae_files "$T/in" /dev/null --send-frame len:ber 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(head -n1 "$T/lst.out")" 68656c6c6f
    assert_equal "$(sed -n 2p "$T/lst.out" | wc -c)" 401
}

@test "len: a non-minimal varint and a BER indefinite length are malformed data at their byte" {
    start_peer peer --send-hex 0161838000
    run --separate-stderr ae --recv-frame len:varint --records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_output 61
    assert_one_error 'at byte 4: len: non-canonical varint \(trailing zero group\)'
    start_peer peer --send-hex 3003020101308000
    run --separate-stderr ae --recv-frame len:ber@1 --records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_output 3003020101
    assert_one_error 'at byte 6: len: BER indefinite length'
}

@test "len:rpc: fragments joined into one record; a sent record is one last fragment" {
    start_peer peer --send-hex 0000000261628000000163800000027879
    run --separate-stderr ae --recv-frame len:rpc --records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output $'616263\n7879'
    start_peer peer --when eof --recv "$T/wire"
    printf 'abc\n' >"$T/in"
    ae_files "$T/in" /dev/null --send-frame len:rpc 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(hex "$T/wire")" 80000003616263
    run --separate-stderr "$AECAT" --frame 'len:rpc,strip=0' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error 'last= joins fragments'
}

@test "len:mqtt: a CONNECT to Mosquitto is answered by CONNACK 20 02 00 00" {
    need mosquitto
    start_mosquitto "$T/mqtt" || fail "mosquitto did not start"
    # CONNECT, MQTT 3.1.1, clean session, keep-alive 60, client id "aecat"
    echo 101100044d5154540402003c00056165636174 >"$T/in"
    ae_files "$T/in" "$T/out" --frame len:mqtt --records hex --count 1 127.0.0.1 "$MOSQUITTO_PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" 20020000
    # a Remaining Length that does not match the packet is refused before sending
    echo 101000044d5154540402003c00056165636174 >"$T/in"
    ae_files "$T/in" "$T/out" --frame len:mqtt --records hex --count 1 127.0.0.1 "$MOSQUITTO_PORT"
    assert_status 65
    assert_one_error 'length field says 16, a record of 19 bytes needs 17'
}

@test "len: A>>B sends the first record by A, the rest by B (a raw peer sees the wire)" {
    start_peer peer --when eof --recv "$T/wire"
    printf 'SSH-2.0-aecat\nabc\nxy\n' >"$T/in"
    ae_files "$T/in" /dev/null --send-frame 'line>>len:u16be' 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(hex "$T/wire")" 5353482d322e302d61656361740a000361626300027879
}

@test "len: A>>B reads the first frame by A, the rest by B; aecat to aecat" {
    start_aecat_listener lst --no-shutdown --recv-frame 'line>>len:u16be' --records hex
    printf 'SSH-2.0-aecat\nabc\nxy\n' >"$T/in"
    ae_files "$T/in" /dev/null --send-frame 'line>>len:u16be' 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" $'5353482d322e302d6165636174\n616263\n7879'
}

@test "len: A>>B stays past A from a dialog's --expect into the relay" {
    # the banner is A's frame, matched by --expect; the relay reads B's frames
    start_peer peer --send-hex 5353482d322e302d780d0a000261620002630a
    run --separate-stderr ae --recv-frame 'line>>len:u16be' --recv-records hex \
        --expect '^SSH-2\.0-' --then-relay 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output $'5353482d322e302d78\n6162\n630a'
}

@test "len: A>>B errors name the side that failed, at the byte" {
    start_peer peer --send-hex 0000000804d2162f5100000001
    run --separate-stderr ae --recv-frame 'len:pg-startup>>len:pg' --records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_output 0000000804d2162f
    assert_one_error 'at byte 9: after the first frame \(B of A>>B\): len: length 1-4 ends'
    run --separate-stderr "$AECAT" --frame 'line>>len:u8>>raw' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error 'only one framing switch \(A>>B\) is allowed'
    run --separate-stderr "$AECAT" --frame 'line>>len:u33' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "after >>: len: 'u33' is not a length format"
}

@test "len:pg-startup>>len:pg: a StartupMessage, a query and Terminate to PostgreSQL" {
    need "${POSTGRES_BIN:-/nonexistent}/postgres"
    start_postgres "$T/pg" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "postgres did not start"
    # StartupMessage 3.0 user=postgres database=postgres; Query 'SELECT 1;'; Terminate
    {
        echo 00000029000300007573657200706f73746772657300646174616261736500706f7374677265730000
        echo 510000000e53454c45435420313b00
        echo 5800000004
    } >"$T/in"
    ae_files "$T/in" "$T/out" --send-frame 'len:pg-startup>>len:pg' --recv-frame len:pg \
        --records hex 127.0.0.1 "$POSTGRES_PORT"
    assert_status 0
    # AuthenticationOk, ..., ReadyForQuery 'I' (twice), the DataRow of "1"
    assert_equal "$(head -n1 "$T/out")" 520000000800000000
    grep -qx 440000000b00010000000131 "$T/out" || fail "no DataRow '1': $(cat "$T/out")"
    assert_equal "$(grep -c '^5a0000000549$' "$T/out")" 2
    # the same inside TLS, after --starttls postgres (its SSLRequest is not a frame of ours)
    ae_files "$T/in" "$T/out" --starttls postgres --ca "$CERTS/ca.pem" --servername localhost \
        --send-frame 'len:pg-startup>>len:pg' --recv-frame len:pg --records hex \
        --then-relay 127.0.0.1 "$POSTGRES_PORT"
    assert_status 0
    assert_equal "$(head -n1 "$T/out")" 520000000800000000
    grep -qx 440000000b00010000000131 "$T/out" || fail "no DataRow '1' over TLS: $(cat "$T/out")"
}

@test "len:mysql: MariaDB's greeting is one whole packet, sequence 0, protocol 10" {
    local g len
    need mariadbd
    start_mariadb "$T/mariadb" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "mariadb did not start"
    run --separate-stderr ae --frame len:mysql --records hex --count 1 127.0.0.1 "$MARIADB_PORT" </dev/null
    assert_status 0
    g=$output
    # 3-byte little-endian payload length, sequence id 0, protocol version 10
    len=$(( 16#${g:4:2}${g:2:2}${g:0:2} ))
    assert_equal "$len" $(( ${#g} / 2 - 4 ))
    assert_equal "${g:6:2}" 00
    assert_equal "${g:8:2}" 0a
    # then the server version, NUL-terminated: "...-MariaDB..."
    [[ $(printf '%s' "${g:10}" | xxd -r -p | tr '\0' '\n' | head -n1) == *-MariaDB* ]] ||
        fail "no MariaDB server version in $g"
}

@test "len:mysql bad input: a packet cut short by the end of the stream is a truncated frame, nothing delivered" {
    # a 74-byte greeting announced, 2 bytes of it sent, then EOF
    start_peer peer --send-hex 4a0000000a35
    run --separate-stderr ae --frame len:mysql --records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_output ''
    assert_one_error 'at byte 6: len: truncated frame: stream ended after 6 bytes'
}

@test "len:dns: a query over TCP to dnsmasq, the A record's address read from the hex reply" {
    local r
    need dnsmasq
    start_dnsmasq "$T/dnsmasq" || fail "dnsmasq did not start"
    # id 0xbeef, RD; one question: example.test A IN; the length is written by aecat
    echo beef01000001000000000000076578616d706c6504746573740000010001 >"$T/in"
    ae_files "$T/in" "$T/out" --frame len:dns --records hex --count 1 127.0.0.1 "$DNSMASQ_PORT"
    assert_status 0
    r=$(cat "$T/out")
    # same id, a response (QR), NOERROR; 1 question, 1 answer
    assert_equal "${r:0:4}" beef
    assert_equal $(( 16#${r:4:4} & 0x800f )) $(( 0x8000 ))
    assert_equal "${r:8:8}" 00010001
    # after the 12-byte header and the 18-byte question: name pointer c00c,
    # type A, class IN, TTL, RDLENGTH 4, the address
    assert_equal "${r:60:20}" c00c0001000100000000
    assert_equal "${r:80:4}" 0004
    assert_equal "$(printf '%d.%d.%d.%d' 0x${r:84:2} 0x${r:86:2} 0x${r:88:2} 0x${r:90:2})" "$DNSMASQ_ADDR"
    assert_equal "${#r}" 92
    # a name it does not serve: REFUSED (rcode 5), no answer
    echo beef01000001000000000000076578616d706c6504696e76640000010001 >"$T/in"
    ae_files "$T/in" "$T/out" --frame len:dns --records hex --count 1 127.0.0.1 "$DNSMASQ_PORT"
    assert_status 0
    r=$(cat "$T/out")
    assert_equal $(( 16#${r:4:4} & 0x000f )) 5
    assert_equal "${r:12:4}" 0000
}

@test "len:dns bad input: a length field over --max-frame is refused at byte 0, the body never read" {
    start_peer peer --send-hex ffff0000 --then hold
    run --separate-stderr ae --frame len:dns --max-frame 512 --records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_output ''
    assert_one_error 'at byte 0: len: frame of 65535 bytes is longer than 512'
}

@test "len:tls bad input: a record whose length field is not its size is not sent" {
    start_peer peer --when eof --recv "$T/wire"
    # a handshake record announcing 5 bytes with 4
    echo 160303000501000000 >"$T/in"
    ae_files "$T/in" /dev/null --send-frame len:tls --records hex 127.0.0.1 "$PORT"
    assert_status 65
    assert_one_error 'length field says 5, a record of 9 bytes needs 4'
    assert_equal "$(hex "$T/wire")" ""
}

@test "len:mongo bad input: a message length under its own 4 bytes ends inside the header" {
    start_peer peer --send-hex 03000000
    run --separate-stderr ae --frame len:mongo --records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_one_error 'at byte 0: len: length 3-4 ends the frame inside its 4-byte header'
}
