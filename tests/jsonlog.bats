#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --json-log: JSON Lines events (resolve, connect, listen/accept, tls, each
# dialog step, close) and a final result object, each line parsed with jq;
# the result for success and for each failure class; where the log goes.

load helpers
load tls_helpers

# events FILE: every line must be a JSON object with t, time (RFC 3339 UTC,
# milliseconds) and event (jq fails otherwise)
events() {
    jq -e -c 'select((.t | type) == "number" and (.event | type) == "string" and
                     (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")))' "$1" >/dev/null ||
        fail "not JSON Lines with t, time and event: $(cat "$1")"
    [ "$(jq -c 'select(.time | test("Z$"))' "$1" | wc -l)" -eq "$(wc -l <"$1")" ] ||
        fail "a line without t, time or event: $(cat "$1")"
    [ "$(jq -c . "$1" | wc -l)" -eq "$(wc -l <"$1")" ] || fail "a line is not one JSON object"
}

# jqf FILE FILTER: the filter's output (raw strings)
jqf() { jq -r "$2" "$1"; }

@test "json-log: a dialog that succeeds: resolve, connect, steps, close and result" {
    start_peer p --send '+PONG\r\n' --when request --then hold
    run --separate-stderr ae --json-log "$T/log" --send 'PING\r\n' --expect PONG localhost "$PORT" </dev/null
    assert_status 0
    events "$T/log"
    assert_equal "$(jqf "$T/log" 'select(.event == "resolve") | .host + " " + .address' | head -1)" "localhost 127.0.0.1"
    assert_equal "$(jqf "$T/log" 'select(.event == "connect" and .result == "connected") | "\(.address) \(.port)"')" "127.0.0.1 $PORT"
    assert_equal "$(jqf "$T/log" 'select(.event == "step" and .result == "sent") | .data')" "$(printf 'PING\r\n')"
    assert_equal "$(jqf "$T/log" 'select(.event == "step" and .result == "matched") | "\(.step) \(.pattern) \(.data) \(.elapsed_ms >= 0)"')" "2 PONG +PONG true"
    assert_equal "$(jqf "$T/log" 'select(.event == "close") | "\(.by) \(.bytes_sent) \(.bytes_received)"')" "aecat 6 7"
    assert_equal "$(jqf "$T/log" 'select(.event == "result") | "\(.exit) \(.class) \(.frames_sent) \(.frames_received)"')" "0 ok 1 1"
    # the result is the last line, and the times only grow
    assert_equal "$(tail -n1 "$T/log" | jq -r .event)" result
    jq -s -e '[.[].t] | . == sort' "$T/log" >/dev/null || fail "times not in order"
}

@test "json-log: each event's time is the wall clock (UTC, ms) and moves as t does" {
    start_peer p --send 'hello\n' --when start --then hold
    local before after
    before=$(date -u +%s.%N)
    run --separate-stderr ae --json-log "$T/log" --expect hello --sleep 0.3 127.0.0.1 "$PORT" </dev/null
    after=$(date -u +%s.%N)
    assert_status 0
    events "$T/log"
    # seconds since the epoch, with the milliseconds
    jq -r '"\(.t) \(.time | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601).\(.time | capture("\\.(?<ms>[0-9]{3})Z$").ms)"' \
        "$T/log" >"$T/times"
    awk -v lo="$before" -v hi="$after" '
        NR == 1 { t0 = $1; w0 = $2 }
        { if ($2 < lo - 0.001 || $2 > hi + 0.001) { print "time " $2 " outside the run " lo " .. " hi; bad = 1 }
          dt = ($1 - t0) / 1000; dw = $2 - w0
          if (dw - dt > 0.05 || dt - dw > 0.05) { print "t moved " dt " s, time " dw " s"; bad = 1 } }
        END { if (NR < 4) { print "too few events: " NR; bad = 1 }
              if ($2 - w0 < 0.29) { print "the 0.3 s sleep is not in the times"; bad = 1 }
              exit bad }' "$T/times" || fail "$(cat "$T/log")"
}

@test "json-log: connection refused: the failed attempt, then result 69 with the message" {
    local port; port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    run --separate-stderr ae --json-log "$T/log" 127.0.0.1 "$port" </dev/null
    assert_status 69
    events "$T/log"
    assert_equal "$(jqf "$T/log" 'select(.event == "connect" and .result == "failed") | .error')" "Connection refused"
    assert_equal "$(jqf "$T/log" 'select(.event == "result") | "\(.exit) \(.class)"')" "69 connect"
    [[ "$(jqf "$T/log" 'select(.event == "result") | .message')" == *"Connection refused"* ]] || fail "$(cat "$T/log")"
}

@test "json-log: TLS: version, cipher, verification, the peer's pin and certificates" {
    make_test_certs
    start_gnutls_serv gs --echo --x509certfile "$CERTS/srv.pem" --x509keyfile "$CERTS/srv.key"
    run --separate-stderr ae --json-log "$T/log" --tls --ca "$CERTS/ca.pem" --servername localhost \
        --send 'hi\n' --expect hi 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    events "$T/log"
    assert_equal "$(jqf "$T/log" 'select(.event == "tls") | .version | test("^TLS1\\.[23]$")')" true
    assert_equal "$(jqf "$T/log" 'select(.event == "tls") | .peer_pin')" "$(pin_of "$CERTS/srv.pem")"
    [[ "$(jqf "$T/log" 'select(.event == "tls") | .verification')" == ok* ]] || fail "$(cat "$T/log")"
    [ "$(jqf "$T/log" 'select(.event == "tls") | .peer_certificates | length')" -ge 1 ] || fail "$(cat "$T/log")"
    [ -n "$(jqf "$T/log" 'select(.event == "tls") | .cipher')" ] || fail "no cipher"
}

@test "json-log: each failure class in the result: expect 1, timeout 75, data 65 (protocol 76 below)" {
    start_peer p --send 'nope\n' --when start --then close
    run --separate-stderr ae --json-log "$T/l1" --expect yes 127.0.0.1 "$PORT" </dev/null
    assert_status 1
    assert_equal "$(jqf "$T/l1" 'select(.event == "result") | "\(.exit) \(.class)"')" "1 expect"
    assert_equal "$(jqf "$T/l1" 'select(.event == "close") | .by')" "aecat"

    start_peer q --send 'x' --when start --then hold
    run --separate-stderr ae --json-log "$T/l2" --step-timeout 0.2 --expect yes 127.0.0.1 "$PORT" </dev/null
    assert_status 75
    assert_equal "$(jqf "$T/l2" 'select(.event == "result") | "\(.exit) \(.class)"')" "75 timeout"

    start_peer u --send '3:abc,x' --when start --then hold
    run --separate-stderr ae --json-log "$T/l4" --frame netstring --expect never 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_equal "$(jqf "$T/l4" 'select(.event == "result") | "\(.exit) \(.class)"')" "65 data"
    assert_equal "$(jqf "$T/l4" 'select(.event == "step" and .result == "skipped") | .data')" "abc"
}

@test "json-log: a STARTTLS refusal: the step, then result 76 protocol with the server's words" {
    start_peer p --send '220 mail ESMTP\r\n250-mail\r\n250 SIZE 1000\r\n' --when start --then hold
    run --separate-stderr ae --json-log "$T/log" --insecure --starttls smtp 127.0.0.1 "$PORT" </dev/null
    assert_status 76
    events "$T/log"
    assert_equal "$(jqf "$T/log" 'select(.event == "result") | "\(.exit) \(.class)"')" "76 protocol"
    [[ "$(jqf "$T/log" 'select(.event == "result") | .message')" == *"STARTTLS not offered"* ]] || fail "$(cat "$T/log")"
}

@test "json-log: data that is not UTF-8 is logged as base64, not garbled" {
    start_peer p --send-hex 'ff00fe0a' --when start --then hold
    run --separate-stderr ae --json-log "$T/log" --expect '\x0a' 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_equal "$(jqf "$T/log" 'select(.event == "step" and .result == "matched") | .data.base64')" "/wD+Cg=="
}

@test "json-log: a listener logs listen and accept; the log on a file descriptor and on stderr" {
    start_aecat_listener srv --json-log '&4' --send hello 4>"$T/srvlog"
    run --separate-stderr ae --json-log - 127.0.0.1 "$LPORT" </dev/null
    assert_status 0
    assert_output hello
    # stderr holds the client's log
    printf '%s\n' "$stderr" >"$T/clog"
    events "$T/clog"
    assert_equal "$(jqf "$T/clog" 'select(.event == "result") | .bytes_received')" 5
    wait_pid "$AE_PID"
    events "$T/srvlog"
    assert_equal "$(jqf "$T/srvlog" 'select(.event == "listen") | .line | startswith("listening 127.0.0.1 ")')" true
    assert_equal "$(jqf "$T/srvlog" 'select(.event == "accept") | .address')" 127.0.0.1
}

@test "json-log: with --retry-until each event names its attempt" {
    local port; port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    run --separate-stderr ae --json-log "$T/log" --retry-until 0.5 127.0.0.1 "$port" </dev/null
    assert_status 69
    events "$T/log"
    [ "$(jqf "$T/log" 'select(.event == "connect" and .result == "failed") | .attempt' | sort -u | wc -l)" -ge 3 ] ||
        fail "$(cat "$T/log")"
}

@test "json-log usage: an unopenable file is 78, a bad &N is 64" {
    run --separate-stderr ae --json-log /nonexistent/dir/log 127.0.0.1 1 </dev/null
    assert_status 78
    assert_one_error '--json-log: cannot open /nonexistent/dir/log: No such file or directory'
    run --separate-stderr ae --json-log '&x' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "--json-log: '&x' is not an open file descriptor"
}

@test "json-log: a log that cannot be written (/dev/full): the data still flows, one line, exit 74" {
    start_peer p --send 'hello\n' --when eof
    printf 'ping\n' >"$T/in"
    ae_files "$T/in" "$T/out" --json-log /dev/full 127.0.0.1 "$PORT"
    assert_status 74
    assert_one_error "^aecat: --json-log: cannot write to /dev/full: No space left on device$"
    assert_equal "$(cat "$T/out")" hello
}

@test "json-log: a log write failure does not hide the run's own failure code" {
    start_peer p --send 'nope\n' --then close
    ae_files /dev/null /dev/null --json-log /dev/full --expect yes 127.0.0.1 "$PORT"
    assert_status 1
    [ "${#stderr_lines[@]}" -eq 2 ] || fail "expected the log's line and the expect's: $stderr"
}
