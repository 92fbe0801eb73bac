#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --frame resp through real sockets: against a private redis-server (RESP2
# commands and replies as JSON lines, pipelined with --count, RESP3 after
# HELLO 3 with its maps, sets, doubles, nulls and pushes), the raw RESP
# bytes with --records hex, dialogs (--send is a command line, --expect
# matches the frame's bytes), aecat <-> aecat, and the errors: a bad quote
# on stdin or in --send, a bad value from a peer at its byte, --max-frame
# at a bulk string's length.  The codecs: tests/unit/test_frame_resp.c.

load servers_helpers

teardown() {
    [ -z "${REDIS_PID:-}" ] || stop_redis
    stop_all
}

redis() {
    need redis-server
    start_redis "$T/redis" || fail "redis did not start: $(cat "$T/redis/redis.log" 2>/dev/null)"
}

@test "resp: RESP2 commands from stdin lines, replies as JSON lines (strings, integers, arrays, nil, errors)" {
    redis
    printf '%s\n' 'SET k v' 'GET k' 'GET nope' 'RPUSH l a "b c" '\''d e'\' 'LRANGE l 0 -1' \
        'HSET h f 1 bin "\xff"' 'HGETALL h' 'BOGUS x' 'LRANGE nope 0 -1' >"$T/in"
    ae_files "$T/in" "$T/out" --frame resp --count 9 127.0.0.1 "$REDIS_PORT"
    assert_status 0
    assert_equal "$stderr" ""
    assert_equal "$(cat "$T/out")" '"OK"
"v"
null
3
["a","b c","d e"]
2
["f","1","bin",{"base64":"/w=="}]
{"error":"ERR unknown command '\''BOGUS'\'', with args beginning with: '\''x'\'' "}
[]'
}

@test "resp: the issue's example, SET then GET pipelined, stops after --count 2" {
    redis
    run --separate-stderr bash -c "printf 'SET k v\nGET k\n' | timeout 10 '$AECAT' --frame resp --count 2 127.0.0.1 $REDIS_PORT"
    assert_status 0
    assert_output $'"OK"\n"v"'
}

@test "resp: RESP3 after HELLO 3: a map, a set, a double, null, and a push (client tracking)" {
    redis
    printf '%s\n' 'HELLO 3' 'HSET h f v' 'HGETALL h' 'SADD s x' 'SMEMBERS s' 'ZADD z 1.5 m' \
        'ZSCORE z m' 'GET nope' 'CLIENT TRACKING on' 'GET k' 'SET k 2' >"$T/in"
    ae_files "$T/in" "$T/out" --frame resp --count 12 127.0.0.1 "$REDIS_PORT"
    assert_status 0
    mapfile -t got <"$T/out"
    [[ ${got[0]} == '{"server":"redis","version":"'*'"proto":3,'* ]] || fail "${got[0]}"
    assert_equal "$(printf '%s\n' "${got[@]:1}")" '1
{"f":"v"}
1
["x"]
1
1.5
null
"OK"
null
"OK"
{"push":["invalidate",["k"]]}'
    # the same replies as raw RESP3 bytes: %1 map, ~1 set, ,1.5 double, _ null, >2 push
    ae_files "$T/in" "$T/hex" --frame resp --recv-records hex --count 12 127.0.0.1 "$REDIS_PORT"
    assert_status 0
    mapfile -t got <"$T/hex"
    printf '%%1\r\n$1\r\nf\r\n$1\r\nv\r\n~1\r\n$1\r\nx\r\n,1.5\r\n_\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n' >"$T/want"
    assert_equal "${got[2]}${got[4]}${got[6]}${got[7]}${got[11]}" "$(hex "$T/want")"
}

@test "resp: SUBSCRIBE in RESP3: the messages are pushes, published from another aecat" {
    redis
    hold_open_stdin 'HELLO 3\nSUBSCRIBE ch\n'
    spawn -i "$OPEN_STDIN" sub "$AECAT" --frame resp --count 3 127.0.0.1 "$REDIS_PORT"
    local sub=$SPAWN_PID
    wait_for_match "$T/sub.out" subscribe
    run --separate-stderr bash -c "printf 'PUBLISH ch hello\n' | timeout 10 '$AECAT' --frame resp --count 1 127.0.0.1 $REDIS_PORT"
    assert_output 1
    wait_pid "$sub" 10
    assert_equal "$WAIT_RC" 0
    assert_equal "$(tail -n2 "$T/sub.out")" '{"push":["subscribe","ch",1]}
{"push":["message","ch","hello"]}'
}

@test "resp: --send is a command line, --expect matches the frame's bytes (PONG, ^-ERR)" {
    redis
    run --separate-stderr ae --frame resp --send PING --expect PONG 127.0.0.1 "$REDIS_PORT" </dev/null
    assert_status 0
    assert_output '"PONG"'
    run --separate-stderr ae --frame resp --send 'GET "a b"' --expect '^\$-1\r\n$' \
        --send 'BOGUS' --expect '^-ERR unknown' 127.0.0.1 "$REDIS_PORT" </dev/null
    assert_status 0
    assert_output $'null\n{"error":"ERR unknown command \'BOGUS\', with args beginning with: "}'
    run --separate-stderr ae --frame resp --send PING --expect '^"PONG"' -w 1 127.0.0.1 "$REDIS_PORT" </dev/null
    assert_status 75
    run --separate-stderr ae --frame resp --send 'GET "k' --expect x 127.0.0.1 "$REDIS_PORT" </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: --send \(step 1\): not a command line: unterminated quote at byte 4$"
}

@test "resp: an unterminated quote on stdin is 65 at its byte; a closing quote glued to a word too" {
    redis
    printf 'PING\nGET "k\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame resp 127.0.0.1 "$REDIS_PORT"
    assert_status 65
    assert_equal "$stderr" "aecat: stdin: malformed data at byte 9: resp-json: unterminated quote in a command line"
    printf "GET 'a'b\n" >"$T/in"
    ae_files "$T/in" "$T/out" --frame resp 127.0.0.1 "$REDIS_PORT"
    assert_status 65
    [[ $stderr == "aecat: stdin: malformed data at byte 7: resp-json: a closing quote must be followed by a blank"* ]] || fail "$stderr"
}

@test "resp: raw and hex records are RESP values, checked and sent as they are" {
    redis
    printf '*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame resp --send-records raw --count 2 127.0.0.1 "$REDIS_PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" $'"PONG"\nnull'
    printf '2a310d0a24340d0a50494e470d0a\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame resp --records hex --count 1 127.0.0.1 "$REDIS_PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" 2b504f4e470d0a
    printf '2b4f4b0d0a2b4f4b0d0a\n' >"$T/in"        # two values in one record
    ae_files "$T/in" "$T/out" --frame resp --records hex 127.0.0.1 "$REDIS_PORT"
    assert_status 65
    [[ $stderr == *"resp: more than one RESP value (the first ends at byte 5)" ]] || fail "$stderr"
}

@test "resp: aecat <-> aecat: commands arrive as JSON arrays, a raw RESP reply goes back" {
    printf '+OK\r\n' >"$T/reply"
    start_aecat_listener -i "$T/reply" srv --frame resp --send-records raw --count 1
    run --separate-stderr bash -c "printf 'SET k \"a b\"\n' | timeout 10 '$AECAT' --frame resp --count 1 127.0.0.1 $LPORT"
    assert_status 0
    assert_output '"OK"'
    wait_pid "$AE_PID" 10
    assert_equal "$WAIT_RC" 0
    assert_equal "$(cat "$T/srv.out")" '["SET","k","a b"]'
}

@test "resp: a bad value from the peer is 65 at its byte, after the good ones" {
    start_peer peer --send '+OK\r\n:1\r\n$3\r\nabcX\r\n'
    run --separate-stderr ae --frame resp 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_output $'"OK"\n1'
    assert_one_error "^aecat: recv: malformed data from 127.0.0.1 port $PORT at byte 16: resp: bulk string not followed by CRLF$"
}

@test "resp: --max-frame refuses a bulk string at its length, before its body" {
    start_peer peer --send '$100000\r\n' --then hold
    run --separate-stderr ae --frame resp --max-frame 1000 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_one_error "^aecat: recv: malformed data from 127.0.0.1 port $PORT at byte 1: resp: frame longer than 1000 bytes$"
}

@test "resp: resp:DEPTH limits the nesting; a bad type byte names it" {
    start_peer peer --send '*1\r\n*1\r\n*1\r\n:1\r\n'
    run --separate-stderr ae --frame resp:2 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_one_error "at byte 8: resp: nesting deeper than 2$"
    start_peer peer --send 'PONG\r\n'
    run --separate-stderr ae --frame resp 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_one_error "at byte 0: resp: unknown type byte 'P'$"
}
