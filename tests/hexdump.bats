#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --hexdump through real sockets: the exact line format (checked against
# hexdump -C), frame marks with line and netstring framings and in a
# dialog, --hexdump-time, both byte streams rebuilt from the dump and
# compared with what was sent and received (every byte value, short lines,
# TLS plaintext and --hexdump-wire's records), splice off, FILE errors.

load helpers
load tls_helpers

# rebuild DUMP ARROW OUT: the bytes of the lines of DUMP starting with ARROW
# (">" sent, "<" received) into OUT.  Every line must be exactly what
# hexdump -C would print for its bytes (after the arrow, and after a
# timestamp with --hexdump-time), its offset where the stream stands; "#"
# lines are skipped.
rebuild() {
    "$PYTHON" - "$@" <<'EOF'
import re, sys
dump, arrow, out = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
def line_of(off, b):
    h = ''.join('%02x ' % c for c in b[:8]).ljust(24) + ' ' + ''.join('%02x ' % c for c in b[8:]).ljust(24)
    t = ''.join(chr(c) if 0x20 <= c < 0x7f else '.' for c in b)
    return ('%08x  %s |%s|' % (off, h, t)).encode()
data = bytearray()
for n, line in enumerate(open(dump, 'rb'), 1):
    line = re.sub(rb'^[0-9]+\.[0-9]{6} ', b'', line.rstrip(b'\n'))
    if line.startswith(b'# '):
        continue
    if line[:2] not in (b'> ', b'< '):
        sys.exit('line %d: neither "> ", "< " nor "# ": %r' % (n, line))
    if line[:1] != arrow:
        continue
    body = line[2:]
    b = bytes.fromhex(body[10:59].decode())
    if not 1 <= len(b) <= 16 or body != line_of(len(data), b):
        sys.exit('line %d: %r is not %r' % (n, body, line_of(len(data), b)))
    data += b
open(out, 'wb').write(data)
EOF
}

# the dump's lines that are not hex lines
marks() { grep -v '^[<>] [0-9a-f]\{8\}  ' "$1"; }

@test "hexdump: the exact lines of a request to socat and its reply, as hexdump -C shows the bytes" {
    printf 'HTTP/1.1 200 OK\r\n\r\n' >"$T/reply"
    start_socat_listener peer TCP4-LISTEN:0,bind=127.0.0.1 SYSTEM:"cat >/dev/null; cat '$T/reply'"
    printf 'GET / HTTP/1.1\r\n' >"$T/req"
    ae_files "$T/req" "$T/out" --hexdump="$T/dump" 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/dump")" "\
> 00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|
< 00000000  48 54 54 50 2f 31 2e 31  20 32 30 30 20 4f 4b 0d  |HTTP/1.1 200 OK.|
< 00000010  0a 0d 0a                                          |...|"
    # what follows the arrow is hexdump -C's own output (less its end line)
    assert_equal "$(grep '^>' "$T/dump" | cut -c3-)" "$(hexdump -C "$T/req" | head -n -1)"
    assert_equal "$(grep '^<' "$T/dump" | cut -c3-)" "$(hexdump -C "$T/reply" | head -n -1)"
    [ ! -s "$T/ae.err" ] || fail "stderr: $(cat "$T/ae.err")"
}

@test "hexdump: on stderr by default, the data on stdout untouched; --hexdump-wire alone implies it (no TLS: the same)" {
    local opt
    printf 'ping\n' >"$T/in"
    for opt in --hexdump --hexdump-wire; do
        start_peer peer --send 'pong\n' --when request
        ae_files "$T/in" "$T/out" "$opt" 127.0.0.1 "$PORT"
        assert_status 0
        assert_equal "$(cat "$T/out")" pong
        assert_equal "$(cat "$T/ae.err")" "\
> 00000000  70 69 6e 67 0a                                    |ping.|
< 00000000  70 6f 6e 67 0a                                    |pong.|"
    done
}

@test "hexdump: --frame line marks each frame sent and received with its number and length" {
    start_peer peer --send 'one\ntwo three\n' --when eof
    printf 'a\nbb\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame line --hexdump="$T/dump" 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(marks "$T/dump")" "\
# > frame 1, 1 bytes
# > frame 2, 2 bytes
# < frame 1, 3 bytes
# < frame 2, 9 bytes"
    # a frame's mark follows the line of the read that completed it
    assert_equal "$(tail -n 3 "$T/dump" | head -n 1)" \
        "< 00000000  6f 6e 65 0a 74 77 6f 20  74 68 72 65 65 0a        |one.two three.|"
}

@test "hexdump: --frame netstring between two aecats, both sides' marks" {
    start_aecat_listener lst --frame netstring --hexdump="$T/srv.dump"
    printf 'hello\n\nworld!\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame netstring --hexdump="$T/dump" 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" $'hello\n\nworld!'
    assert_equal "$(marks "$T/dump")" "\
# > frame 1, 5 bytes
# > frame 2, 0 bytes
# > frame 3, 6 bytes"
    assert_equal "$(marks "$T/srv.dump")" "\
# < frame 1, 5 bytes
# < frame 2, 0 bytes
# < frame 3, 6 bytes"
    rebuild "$T/srv.dump" '<' "$T/got"
    assert_equal "$(cat "$T/got")" '5:hello,0:,6:world!,'
}

@test "hexdump: a dialog marks the frames it sends and reads" {
    start_peer peer --send '220 hi\n250 ok\n' --when request
    run --separate-stderr ae --frame line --send HELO --expect '^250' --hexdump 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_equal "$(grep '^#' <<<"$stderr")" "\
# > frame 1, 4 bytes
# < frame 1, 6 bytes
# < frame 2, 6 bytes"
}

@test "hexdump: --hexdump-time puts the seconds since the start, in microseconds, before each line" {
    start_peer peer --send 'pong\n' --when request
    printf 'ping\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame line --hexdump-time 127.0.0.1 "$PORT"
    assert_status 0
    [ "${#stderr_lines[@]}" -eq 4 ] || fail "expected 4 lines: $stderr"
    local l prev=0 t
    for l in "${stderr_lines[@]}"; do
        [[ $l =~ ^([0-9]+\.[0-9]{6})\ ([<>]\ [0-9a-f]{8}\ \ |#\ [<>]\ frame\ ) ]] || fail "not a timed line: $l"
        t=${BASH_REMATCH[1]}
        awk -v a="$prev" -v b="$t" 'BEGIN { exit !(a <= b && b < 10) }' || fail "time $t after $prev"
        prev=$t
    done
    assert_equal "${stderr_lines[0]#* }" "# > frame 1, 4 bytes"
    rebuild "$T/ae.err" '>' "$T/sent"
    assert_same "$T/sent" "$T/in" "sent"
}

@test "hexdump: both streams rebuilt from the dump: every byte value, lengths that end in short lines" {
    # 256 byte values 37 times (9472 bytes) plus 5: lines of 16, a short last one
    "$PYTHON" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 37 + b"\0\xff\n\r\x7f")' >"$T/a"
    "$PYTHON" -c 'import sys; sys.stdout.buffer.write(bytes(range(255, -1, -1)) * 61 + b"xyz")' >"$T/b"
    start_peer peer --send-file "$T/b" --duplex --recv "$T/wire"
    ae_files "$T/a" "$T/out" --hexdump="$T/dump" 127.0.0.1 "$PORT"
    assert_status 0
    assert_same "$T/out" "$T/b" "received"
    wait_size "$T/wire" "$(stat -c %s "$T/a")"
    assert_same "$T/wire" "$T/a" "the peer's"
    rebuild "$T/dump" '>' "$T/sent"
    rebuild "$T/dump" '<' "$T/recvd"
    assert_same "$T/sent" "$T/a" "rebuilt sent stream"
    assert_same "$T/recvd" "$T/b" "rebuilt received stream"
    grep -q '^> 00002500  00 ff 0a 0d 7f                                    |.....|$' "$T/dump" ||
        fail "no short last line sent: $(tail -n 3 "$T/dump")"
    # the one-liner of aecat(1), HEX DUMP
    grep '^< ' "$T/dump" | cut -c 13-61 | xxd -r -p >"$T/received.bin"
    assert_same "$T/received.bin" "$T/b" "the man page's rebuild"
}

@test "hexdump: the raw relay between pipes (splice otherwise) is dumped too" {
    start_peer peer --send 'from peer\n' --when eof
    run --separate-stderr bash -c 'printf "to peer\n" | "$1" --hexdump 127.0.0.1 "$2" | cat' _ "$AECAT" "$PORT"
    assert_status 0
    assert_output 'from peer'
    assert_equal "$stderr" "\
> 00000000  74 6f 20 70 65 65 72 0a                           |to peer.|
< 00000000  66 72 6f 6d 20 70 65 65  72 0a                    |from peer.|"
}

# wire_is_server_stats DUMP: the streams rebuilt from DUMP are as long as
# what the server's --stats line ($T/lst.err) counted through its socket.
wire_is_server_stats() {
    local sent recvd
    read -r sent recvd < <(sed -nE 's/^aecat: stats: sent ([0-9]+) bytes .* received ([0-9]+) bytes .*/\1 \2/p' "$T/lst.err")
    [ -n "$sent" ] || fail "no stats line: $(cat "$T/lst.err")"
    rebuild "$1" '<' "$T/wire.recvd"
    rebuild "$1" '>' "$T/wire.sent"
    assert_equal "$(stat -c %s "$T/wire.recvd")" "$sent"
    assert_equal "$(stat -c %s "$T/wire.sent")" "$recvd"
}

# A TLS exchange with aecat -l --tls (ephemeral certificate, --pin): A
# from the client, B from the server; the client dumps with ARGS.
tls_exchange() {
    "$PYTHON" -c 'import sys; sys.stdout.buffer.write(b"client says " + bytes(range(256)) * 20 + b"end")' >"$T/a"
    "$PYTHON" -c 'import sys; sys.stdout.buffer.write(b"server says " + bytes(range(256)) * 90 + b"!")' >"$T/b"
    start_aecat_listener -i "$T/b" lst --tls --stats
    local port pin
    read -r _ _ port pin <<<"$READY_LINE"
    ae_files "$T/a" "$T/out" --tls --pin "$pin" "$@" 127.0.0.1 "$port"
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_same "$T/out" "$T/b" "received"
    assert_same "$T/lst.out" "$T/a" "the server's"
}

@test "hexdump: TLS: the plaintext as it is sent and received, rebuilt exactly" {
    tls_exchange --hexdump="$T/dump"
    rebuild "$T/dump" '>' "$T/sent"
    rebuild "$T/dump" '<' "$T/recvd"
    assert_same "$T/sent" "$T/a" "rebuilt sent plaintext"
    assert_same "$T/recvd" "$T/b" "rebuilt received plaintext"
}

@test "hexdump: TLS --hexdump-wire: the records on the socket, not the plaintext" {
    tls_exchange --hexdump-wire --hexdump="$T/dump"
    rebuild "$T/dump" '>' "$T/sent"
    rebuild "$T/dump" '<' "$T/recvd"
    # each stream is TLS records back to back, from the handshake's first
    # (22) to the end, longer than the plaintext by at least a header each
    run "$PYTHON" - "$T/sent" "$T/a" "$T/recvd" "$T/b" <<'EOF'
import sys
for wire, plain in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    w, p = open(wire, 'rb').read(), open(plain, 'rb').read()
    i = records = 0
    while i < len(w):
        assert i + 5 <= len(w) and w[i] in (20, 21, 22, 23) and w[i + 1] == 3, (wire, i, w[i:i + 5])
        i += 5 + int.from_bytes(w[i + 3:i + 5], 'big')
        records += 1
    assert i == len(w), (wire, 'ends inside a record')
    assert w[0] == 22, (wire, 'does not start with a handshake record')
    assert len(w) >= len(p) + 5 * records, (wire, len(w), len(p), records)
    assert p[:12] not in w and p[-300:] not in w, (wire, 'plaintext on the wire')
    print(wire, records, 'records')
EOF
    assert_status 0
    wire_is_server_stats "$T/dump"
}

@test "hexdump: --starttls imap: the plaintext dialog, then the plaintext over TLS; -wire: the records after it" {
    local wire want_sent=$'a1 CAPABILITY\r\na2 STARTTLS\r\nfrom client\n'
    for wire in "" --hexdump-wire; do
        printf 'from server\n' >"$T/b"
        start_aecat_listener -i "$T/b" "lst$wire" --starttls imap --then-relay
        local port pin
        read -r _ _ port pin <<<"$READY_LINE"
        printf 'from client\n' >"$T/a"
        ae_files "$T/a" "$T/out" --starttls imap --then-relay --pin "$pin" $wire --hexdump="$T/dump" 127.0.0.1 "$port"
        assert_status 0
        assert_equal "$(cat "$T/out")" "from server"
        wait_pid "$AE_PID" 10
        rebuild "$T/dump" '>' "$T/sent"
        rebuild "$T/dump" '<' "$T/recvd"
        if [ -z "$wire" ]; then
            assert_equal "$(cat "$T/sent")" "${want_sent%$'\n'}"
            [[ $(cat "$T/recvd") == '* OK '*$'a2 OK Begin TLS negotiation now\r\nfrom server' ]] ||
                fail "received: $(cat "$T/recvd")"
        else
            # the commands in plaintext, then a ClientHello record, nothing readable
            assert_equal "$(head -c 28 "$T/sent" | od -An -c | tr -s ' ')" \
                "$(printf 'a1 CAPABILITY\r\na2 STARTTLS\r\n' | od -An -c | tr -s ' ')"
            assert_equal "$(tail -c +29 "$T/sent" | head -c 1 | od -An -tx1 | tr -d ' ')" 16
            ! grep -q 'from client' "$T/sent" || fail "plaintext on the wire"
            ! grep -q 'from server' "$T/recvd" || fail "plaintext on the wire"
        fi
        stop_all
    done
}

@test "hexdump: -z --tls --hexdump-wire: every byte, the close_notify read after the end included" {
    start_aecat_listener lst --tls --stats
    local port pin
    read -r _ _ port pin <<<"$READY_LINE"
    run --separate-stderr ae -z --tls --pin "$pin" --hexdump-wire --hexdump="$T/dump" 127.0.0.1 "$port" </dev/null
    assert_status 0
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    wire_is_server_stats "$T/dump"
}

@test "hexdump: FILE that cannot be opened is 78 with one line, before connecting" {
    run --separate-stderr ae --hexdump="$T/no/such/dir/dump" 127.0.0.1 1 </dev/null
    assert_status 78
    assert_one_error "^aecat: --hexdump: cannot open $T/no/such/dir/dump: No such file or directory$"
    run --separate-stderr ae --hexdump='&77' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "^aecat: --hexdump: '&77' is not an open file descriptor$"
    run --separate-stderr ae --hexdump= 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "--hexdump=: empty FILE"
}

@test "hexdump: a write to FILE that fails: one line, the data goes through, exit 74" {
    [ -w /dev/full ] || fail "/dev/full is missing"
    start_peer peer --send 'pong\n' --when eof --recv "$T/wire"
    printf 'ping\n' >"$T/in"
    ae_files "$T/in" "$T/out" --hexdump=/dev/full 127.0.0.1 "$PORT"
    assert_status 74
    assert_equal "$stderr" "aecat: --hexdump: cannot write to /dev/full: No space left on device (the dump stops here)"
    assert_equal "$(cat "$T/out")" pong
    assert_equal "$(cat "$T/wire")" ping
}

@test "hexdump: to a file descriptor (&N)" {
    start_peer peer --send 'pong\n' --when request
    run --separate-stderr bash -c 'printf "ping\n" | "$1" --hexdump="&5" 127.0.0.1 "$2" 5>"$3"' _ "$AECAT" "$PORT" "$T/dump"
    assert_status 0
    assert_output pong
    assert_equal "$(cut -c1-12 "$T/dump")" $'> 00000000  \n< 00000000  '
}
