#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Framing interop with the reference implementation, Perl's AnyEvent::Handle
# (tests/peers/ae_peer.pl): aecat encodes, AnyEvent decodes (push_read) and
# answers with push_write(TYPE => uc FRAME), aecat decodes; and AnyEvent
# sends a fixed list of binary frames that aecat prints as hex.

load helpers

# Frames as hex records: empty, NUL, bytes that matter to line parsers, high
# bytes, and sizes around each prefix's boundaries.
make_frames() {   # make_frames MAXLEN [line]
    local max=$1 line=${2:-}
    {
        echo 68656c6c6f           # hello
        echo                      # empty frame
        echo 41
        if [ -z "$line" ]; then
            echo 000a0d0aff00     # NUL, LF, CR LF, 0xff
            echo 0d
        else
            echo 00097f80fffe     # no CR/LF in a line frame
        fi
        local n
        for n in 127 128 255 256 300 16384 65535 100000; do
            [ "$n" -le "$max" ] || continue
            head -c "$n" /dev/urandom | od -An -v -tx1 | tr -d ' \n' | tr -d '\n'
            echo
        done
    } >"$T/frames.hex"
    if [ -n "$line" ]; then   # no CR or LF inside line frames
        perl -ne 'chomp; my $b = pack "H*", $_; $b =~ tr/\r\n/xy/; print unpack("H*", $b), "\n"' \
            "$T/frames.hex" >"$T/f" && mv "$T/f" "$T/frames.hex"
    fi
    # what AnyEvent answers: uc of each frame (Perl byte semantics: ASCII only)
    perl -ne 'chomp; print unpack("H*", uc pack "H*", $_), "\n"' "$T/frames.hex" >"$T/expect.hex"
}

# echo_check AECAT-FRAME MAXLEN AE-TYPE [AE-FORMAT]
echo_check() {
    local spec=$1 max=$2 line=""; shift 2
    [ "$1" = line ] && line=1
    make_frames "$max" $line
    start_ae_peer ae "$@" --log "$T/ae.log"
    ae_files "$T/frames.hex" "$T/out.hex" --frame "$spec" --records hex 127.0.0.1 "$PORT"
    assert_status 0
    [ ! -s "$T/ae.err" ] || fail "AnyEvent peer: $(cat "$T/ae.err")"
    diff <(tr A-F a-f <"$T/ae.log") "$T/frames.hex" >/dev/null ||
        fail "AnyEvent decoded other frames than aecat sent: $(diff <(tr A-F a-f <"$T/ae.log") "$T/frames.hex" | head -c 600)"
    diff <(tr A-F a-f <"$T/out.hex") "$T/expect.hex" >/dev/null ||
        fail "aecat decoded other frames than AnyEvent sent: $(diff <(tr A-F a-f <"$T/out.hex") "$T/expect.hex" | head -c 600)"
    wait_pid "$PEER_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "AnyEvent peer exited $WAIT_RC: $(cat "$T/ae.err")"
}

# send_check AECAT-FRAME SIZE AE-TYPE [AE-FORMAT]: AnyEvent sends fixed
# frames, the last one SIZE random bytes (at most what the prefix can say).
send_check() {
    local spec=$1 size=$2; shift 2
    local list=48656c6c6f,,00,0a,0d0a,ff00ff,$(head -c "$size" /dev/urandom | od -An -v -tx1 | tr -d ' \n')
    start_ae_peer ae "$@" --send "$list"
    ae_files /dev/null "$T/out.hex" --recv-frame "$spec" --records hex 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(tr A-F a-f <"$T/out.hex")" "$(tr , '\n' <<<"$list")"
}

@test "interop: line, aecat <-> AnyEvent push_read(line) / push_write" {
    echo_check line 100000 line
}

@test "interop: line text through AnyEvent, --records lines" {
    start_ae_peer ae line
    printf 'hello\nworld\n\nMixed Case 123\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame line 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" $'HELLO\nWORLD\n\nMIXED CASE 123'
}

@test "interop: netstring, both ways" { echo_check netstring 100000 netstring; }
@test "interop: netstring frames sent by AnyEvent" { send_check netstring 1000 netstring; }

@test "interop: packstring N, both ways" { echo_check packstring:N 100000 packstring N; }
@test "interop: packstring N frames sent by AnyEvent" { send_check packstring:N 1000 packstring N; }

@test "interop: packstring n, both ways" { echo_check packstring:n 65535 packstring n; }
@test "interop: packstring n frames sent by AnyEvent" { send_check packstring:n 1000 packstring n; }

@test "interop: packstring w (BER), both ways" { echo_check packstring:w 100000 packstring w; }
@test "interop: packstring w frames sent by AnyEvent" { send_check packstring:w 1000 packstring w; }

@test "interop: packstring C, both ways" { echo_check packstring:C 255 packstring C; }
@test "interop: packstring C frames sent by AnyEvent" { send_check packstring:C 255 packstring C; }

@test "interop: packstring s< (little-endian signed 16), both ways" { echo_check 'packstring:s<' 16384 packstring 's<'; }
@test "interop: packstring s< frames sent by AnyEvent" { send_check 'packstring:s<' 1000 packstring 's<'; }

@test "interop: packstring L> (big-endian 32), both ways" { echo_check 'packstring:L>' 100000 packstring 'L>'; }
@test "interop: packstring L> frames sent by AnyEvent" { send_check 'packstring:L>' 1000 packstring 'L>'; }

@test "interop: packstring V (little-endian 32), both ways" { echo_check packstring:V 100000 packstring V; }
@test "interop: packstring Q> (big-endian 64), both ways" { echo_check 'packstring:Q>' 100000 packstring 'Q>'; }
@test "interop: packstring S< frames sent by AnyEvent" { send_check 'packstring:S<' 1000 packstring 'S<'; }

@test "interop: a frame AnyEvent sends with a 1-byte prefix decoded as 4-byte N is an error, not a hang" {
    start_ae_peer ae packstring C --send 68656c6c6f
    run --separate-stderr ae --recv-frame packstring:N --records hex 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_one_error "^aecat: recv: malformed data from 127\.0\.0\.1 port $PORT at byte [0-9]+: "
}
