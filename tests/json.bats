#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --frame json and --records json through real sockets: aecat to aecat,
# interop with Perl AnyEvent::Handle's json read and write types (JSON::XS)
# both ways, conversions between JSON Lines and other framings, and the
# bad-input cases (exit 65, one line naming the byte, texts before it kept).

load helpers

# listen_json NAME STDIN ARGS...: an aecat listener; sets LPORT, AE_PID.
listen_json() {
    local name=$1 in=$2; shift 2
    start_aecat_ready -i "$in" "$name" -l 127.0.0.1 0 "$@"
}

@test "json: texts of every kind, pretty and back to back, arrive compact one per line" {
    printf '{"a": [1, 2,\n  3], "s": "caf\xc3\xa9 \\u00e9 \\ud83d\\ude00"}\n"x"  true\n[1,{"b":null}]{"c":-0.5e+3} 17\n' >"$T/texts"
    listen_json lst /dev/null --frame json
    ae_files "$T/texts" "$T/out" --frame json 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "listener exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" "$(printf '%s\n' '{"a":[1,2,3],"s":"café \u00e9 \ud83d\ude00"}' '"x"' 'true' '[1,{"b":null}]' '{"c":-0.5e+3}' '17')"
}

@test "json: AnyEvent push_read(json) reads aecat's texts and push_write(json) answers, back to back" {
    start_ae_peer ae json --log "$T/ae.log"
    printf '{"id":1,"m":"ping"}\n[1,2,{"k":"\xe2\x82\xac"}]\n{"deep":[[[["x"]]]]}\n' >"$T/req"
    ae_files "$T/req" "$T/out" --frame json --count 3 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "$(printf '%s\n' '{"echo":{"id":1,"m":"ping"}}' '{"echo":[1,2,{"k":"€"}]}' '{"echo":{"deep":[[[["x"]]]]}}')"
    # what AnyEvent decoded, re-encoded canonical by JSON::XS
    assert_equal "$(xxd -r -p "$T/ae.log" | tr '\n' ' ')" '{"id":1,"m":"ping"}[1,2,{"k":"€"}]{"deep":[[[["x"]]]]}'
}

@test "json: AnyEvent push_write(json) texts with no separator are split by aecat" {
    start_ae_peer ae json --send "$(printf '%s' '{"a":1}' | xxd -p),$(printf '%s' '[true,false]' | xxd -p),$(printf '%s' '{"b":"\n"}' | xxd -p | tr -d '\n')"
    ae_files /dev/null "$T/out" --frame json 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "$(printf '%s\n' '{"a":1}' '[true,false]' '{"b":"\n"}')"
}

@test "json records: netstring frames shown as JSON strings, a binary one as base64, and back" {
    printf '5:hello,3:a\nb,2:\x00\xff,0:,' >"$T/wire"
    listen_json lst "$T/wire" --frame raw
    ae_files /dev/null "$T/out" --frame netstring --records json 127.0.0.1 "$LPORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "$(printf '%s\n' '"hello"' '"a\nb"' '{"base64":"AP8="}' '""')"
    # and the same JSON Lines, sent, give the same netstrings
    listen_json back /dev/null --frame raw
    ae_files "$T/out" "$T/out2" --frame netstring --records json 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID"
    cmp "$T/back.out" "$T/wire" || fail "wire: $(od -c "$T/back.out")"
}

@test "json records: binary frames of every byte value survive JSON Lines both ways" {
    head -c 300000 /dev/urandom >"$T/bin"
    listen_json lst "$T/bin" --frame raw
    ae_files /dev/null "$T/jl" --recv-frame chunk:1000 --records json 127.0.0.1 "$LPORT"
    assert_status 0
    [ "$(wc -l <"$T/jl")" -eq 300 ] || fail "$(wc -l <"$T/jl") records"
    listen_json back /dev/null --frame raw
    ae_files "$T/jl" /dev/null --send-frame netstring --records json 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID"
    # back to bytes: strip the netstring framing with a decoding aecat
    printf '' >"$T/none"
    listen_json dec "$T/back.out" --frame raw
    ae_files /dev/null "$T/bin2" --recv-frame netstring --records raw 127.0.0.1 "$LPORT"
    cmp "$T/bin" "$T/bin2" || fail "bytes differ"
}

@test "json: --frame json:2 caps the nesting depth" {
    printf '[[1]]\n[[[1]]]\n' >"$T/wire"
    listen_json lst "$T/wire" --frame raw
    run --separate-stderr ae --frame json:2 127.0.0.1 "$LPORT" </dev/null
    assert_status 65
    assert_output '[[1]]'
    assert_one_error 'byte 8.*depth'
}

@test "json: JSON Lines on stdin are held to the wire's depth: what passes is sent, the deeper text is refused" {
    printf '[[1]]\n{"a":[[2]]}\n' >"$T/in"
    listen_json lst /dev/null --frame raw
    run --separate-stderr ae --frame json:2 127.0.0.1 "$LPORT" <"$T/in"
    assert_status 65
    assert_one_error 'stdin: malformed data at byte 12: json: depth 3 over limit'
    wait_pid "$AE_PID"
    assert_equal "$(cat "$T/lst.out")" '[[1]]'
}

@test "json: a JSON sequence file on stdin (--records raw) is split into texts and sent compact" {
    printf '{"a" : 1}[2]\n  3 "x"\t{\n}' >"$T/in"
    listen_json lst /dev/null --frame raw
    run --separate-stderr ae --frame json --records raw 127.0.0.1 "$LPORT" <"$T/in"
    assert_status 0
    wait_pid "$AE_PID"
    assert_equal "$(cat "$T/lst.out")" "$(printf '%s\n' '{"a":1}' '[2]' '3' '"x"' '{}')"
}

@test "json: a bad --frame json depth is a usage error" {
    run --separate-stderr ae --frame json:0 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error 'json: depth'
    run --separate-stderr ae --frame json:x 127.0.0.1 1 </dev/null
    assert_status 64
}

# bad_wire TEXT OFFSET REASON GOOD: the listener sends TEXT; aecat --frame
# json prints GOOD, then exits 65 with one line naming OFFSET and REASON.
bad_wire() {
    printf "$1" >"$T/wire"
    listen_json lst "$T/wire" --frame raw
    run --separate-stderr ae --frame json 127.0.0.1 "$LPORT" </dev/null
    assert_status 65
    assert_equal "$output" "$4"
    assert_one_error "malformed data .* at byte $2: .*$3"
}

@test "json bad input: leading zero" { bad_wire '{"ok":1}\n{"a":01}' 15 'leading zero' '{"ok":1}'; }
@test "json bad input: NaN" { bad_wire '[1]\n[NaN]' 5 '' '[1]'; }
@test "json bad input: 1. without digits" { bad_wire '[1.]' 3 '' ''; }
@test "json bad input: a raw control character in a string" { bad_wire '["a\tb"]' 3 'control' ''; }
@test "json bad input: invalid UTF-8 in a string" { bad_wire '["ok"] ["\xc3\x28"]' 10 'UTF-8' '["ok"]'; }
@test "json bad input: an overlong UTF-8 sequence" { bad_wire '["\xc0\xaf"]' 2 'UTF-8' ''; }
@test "json bad input: a lone high surrogate escape" { bad_wire '["\\ud800x"]' 8 'surrogate' ''; }
# a literal is a text at its last letter; the byte after it must be whitespace
@test "json bad input: scalars without whitespace between them" { bad_wire 'true false truefalse' 15 'whitespace' "$(printf 'true\nfalse\ntrue')"; }
@test "json bad input: a text cut short at EOF" { bad_wire '{"a":1}{"b":' 12 'truncated' '{"a":1}'; }

@test "json bad input: a text over --max-frame is 65 at the byte past the limit" {
    printf '{"a":"%s"}' "$(head -c 100 /dev/zero | tr '\0' x)" >"$T/wire"
    listen_json lst "$T/wire" --frame raw
    run --separate-stderr ae --frame json --max-frame 50 127.0.0.1 "$LPORT" </dev/null
    assert_status 65
    assert_one_error 'byte 50'
}

@test "json bad input on stdin: not JSON, exit 65 naming the stdin byte, texts before it sent" {
    listen_json lst /dev/null --frame json
    printf '{"a":1}\n{"b":tru}\n' >"$T/in"
    run --separate-stderr ae --frame json 127.0.0.1 "$LPORT" <"$T/in"
    assert_status 65
    assert_one_error 'stdin.*byte 16: json: invalid literal'
    wait_pid "$AE_PID"
    assert_equal "$(cat "$T/lst.out")" '{"a":1}'
}

@test "json records bad input on stdin: a number is neither a string nor a base64 object" {
    listen_json lst /dev/null --frame netstring --records raw
    printf '"ok"\n42\n' >"$T/in"
    run --separate-stderr ae --frame netstring --records json 127.0.0.1 "$LPORT" <"$T/in"
    assert_status 65
    assert_one_error 'stdin.*byte 5.*expected a JSON string'
    wait_pid "$AE_PID"
    assert_equal "$(cat "$T/lst.out")" 'ok'
}
