#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --frame cbor through real sockets: items split at their ends, shown as hex
# (the default records) or base64 / JSON; interop with Perl AnyEvent::Handle's
# cbor read and write types (CBOR::XS) both ways; the bad-input cases
# (exit 65, one line naming the byte, items before it delivered).

load helpers

# cbor PERL-EXPR...: the items CBOR::XS makes of them (maps with one key:
# Perl's hash order is random)
cbor() { perl -MCBOR::XS -e 'print map { encode_cbor(eval $_) } @ARGV' -- "$@"; }

listen_raw() {   # listen_raw NAME STDIN: an aecat sending STDIN raw; LPORT, AE_PID
    start_aecat_ready -i "$2" "$1" -l 127.0.0.1 0 --frame raw
}

@test "cbor: items back to back come out one hex line each" {
    cbor '{a => [1, 2.5, undef]}' '"caf\x{e9}"' '-1000000' '[]' >"$T/items"
    listen_raw lst "$T/items"
    run --separate-stderr ae --frame cbor 127.0.0.1 "$LPORT" </dev/null
    assert_status 0
    assert_output "$(cbor '{a => [1, 2.5, undef]}' | xxd -p; cbor '"caf\x{e9}"' | xxd -p; cbor '-1000000' | xxd -p; echo 80)"
}

@test "cbor: AnyEvent push_read(cbor) reads aecat's items and push_write(cbor) answers" {
    start_ae_peer ae cbor --log "$T/ae.log"
    { cbor '{id => [1, "ping"]}' | xxd -p; cbor '[1, [2, [3]], "x"]' | xxd -p; } >"$T/req"
    ae_files "$T/req" "$T/out" --frame cbor --count 2 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "$(cbor '{echo => {id => [1, "ping"]}}' | xxd -p)
$(cbor '{echo => [1, [2, [3]], "x"]}' | xxd -p)"
    assert_equal "$(cat "$T/ae.log")" "$(cbor '{id => [1, "ping"]}' | xxd -p)
$(cbor '[1, [2, [3]], "x"]' | xxd -p)"
}

@test "cbor: items from AnyEvent push_write(cbor), as JSON records (base64)" {
    start_ae_peer ae cbor --send "$(cbor '[1,2]' | xxd -p),$(cbor '{k => "v"}' | xxd -p)"
    ae_files /dev/null "$T/out" --frame cbor --records json 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "{\"base64\":\"$(cbor '[1,2]' | base64)\"}
{\"base64\":\"$(cbor '{k => "v"}' | base64)\"}"
}

@test "cbor: a big indefinite-length item and a 1 MB byte string pass whole" {
    { printf '\x9f'; for i in $(seq 1000); do printf '\x01'; done; printf '\xff'; cbor '"x" x 1000000'; } >"$T/items"
    listen_raw lst "$T/items"
    ae_files /dev/null "$T/out" --frame cbor --records base64 127.0.0.1 "$LPORT"
    assert_status 0
    [ "$(wc -l <"$T/out")" -eq 2 ] || fail "$(wc -l <"$T/out") records"
    cmp <(base64 -d "$T/out") "$T/items" || fail "items differ"
}

@test "cbor: stdin hex records are checked and sent as is" {
    start_aecat_ready lst -l 127.0.0.1 0 --frame raw
    { cbor '[1]' | xxd -p; cbor '"s"' | xxd -p; } >"$T/in"
    ae_files "$T/in" /dev/null --frame cbor 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID"
    cmp "$T/lst.out" <(cbor '[1]' '"s"') || fail "wire: $(xxd -p "$T/lst.out")"
}

# bad_wire HEX OFFSET REASON GOODHEX: the listener sends the bytes; aecat
# --frame cbor prints GOODHEX, then exits 65 with one line naming OFFSET, REASON.
bad_wire() {
    printf '%s' "$1" | xxd -r -p >"$T/wire"
    listen_raw lst "$T/wire"
    run --separate-stderr ae --frame cbor 127.0.0.1 "$LPORT" </dev/null
    assert_status 65
    assert_equal "$output" "$4"
    assert_one_error "malformed data .* at byte $2: .*$3"
}

@test "cbor bad input: reserved additional information" { bad_wire 01021c 2 'reserved' "$(printf '01\n02')"; }
@test "cbor bad input: non-canonical length" { bad_wire 011805 2 'non-canonical' 01; }
@test "cbor bad input: break outside an indefinite item" { bad_wire 80ff 1 'break' 80; }
@test "cbor bad input: invalid UTF-8 in a text string" { bad_wire 616162c328 4 'UTF-8' 6161; }
@test "cbor bad input: a simple value below 32 in two bytes" { bad_wire f818 1 'simple' ''; }
@test "cbor bad input: a wrong chunk in an indefinite text string" { bad_wire 7f4161ff 1 'chunk' ''; }
@test "cbor bad input: an item cut short at EOF" { bad_wire 01830102 4 'truncated' 01; }

@test "cbor bad input: depth over cbor:3" {
    printf '%s' 818181818101 | xxd -r -p >"$T/wire"
    listen_raw lst "$T/wire"
    run --separate-stderr ae --frame cbor:3 127.0.0.1 "$LPORT" </dev/null
    assert_status 65
    assert_one_error 'byte 3: .*depth 4 over limit'
}

@test "cbor bad input: a declared length over --max-frame is refused at its header" {
    printf '%s' 015a00100000 | xxd -r -p >"$T/wire"
    listen_raw lst "$T/wire"
    run --separate-stderr ae --frame cbor --max-frame 1K 127.0.0.1 "$LPORT" </dev/null
    assert_status 65
    assert_output 01
    assert_one_error 'byte [1-5]: .*longer than 1024'
}

@test "cbor bad input on stdin: a hex record that is not one item" {
    start_aecat_ready lst -l 127.0.0.1 0 --frame raw
    printf '01\n0102\n' >"$T/in"
    run --separate-stderr ae --frame cbor 127.0.0.1 "$LPORT" <"$T/in"
    assert_status 65
    assert_one_error 'data after the data item'
    wait_pid "$AE_PID"
    cmp "$T/lst.out" <(printf '\x01') || fail "wire: $(xxd -p "$T/lst.out")"
}

@test "cbor: a CBOR sequence file on stdin (--records raw) is split into items, however it is read" {
    start_aecat_ready lst -l 127.0.0.1 0 --frame raw
    # 200 KB of items: many reads, items cut across them
    perl -MCBOR::XS -e 'print map { encode_cbor([$_, "v" x ($_ % 700)]) } 1..600' >"$T/seq"
    start_ae_peer ae cbor --log "$T/ae.log"
    ae_files "$T/seq" "$T/out" --frame cbor --records raw --count 600 127.0.0.1 "$PORT"
    assert_status 0
    # AnyEvent's push_read(cbor) took 600 items, each the one sent
    [ "$(wc -l <"$T/ae.log")" -eq 600 ] || fail "$(wc -l <"$T/ae.log") items at the peer"
    cmp <(xxd -r -p "$T/ae.log") "$T/seq" || fail "items differ"
}

@test "cbor bad input on stdin: a CBOR sequence cut short is exit 65 at its byte, the items before it sent" {
    start_aecat_ready lst -l 127.0.0.1 0 --frame raw
    printf '\x01\x82\x02\x03\x83\x01' >"$T/in"
    run --separate-stderr ae --frame cbor --records raw 127.0.0.1 "$LPORT" <"$T/in"
    assert_status 65
    assert_one_error 'stdin: malformed data at byte 6: cbor: truncated'
    wait_pid "$AE_PID"
    cmp "$T/lst.out" <(printf '\x01\x82\x02\x03') || fail "wire: $(xxd -p "$T/lst.out")"
}
