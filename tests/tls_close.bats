#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# How a TLS connection ends (man aecat, TLS, "Closing"): once aecat has sent
# its close_notify, a peer that closes TCP at a record boundary without its
# own has ended normally (exit 0; -v says so), because TLS 1.2 made
# close_notify a full close and real servers answer it by closing: nginx
# and redis (run here privately, tests/servers/), AnyEvent::Handle.
# --tls-strict-close makes that 76 too.  A close without close_notify while
# aecat's side is still open is a truncation (76, the data first), and a
# close inside a record always is.  A reset is an I/O error (74) after the
# records that came before it.

load helpers
load tls_helpers
source "$BATS_TEST_DIRNAME/servers/nginx.bash"
source "$BATS_TEST_DIRNAME/servers/redis.bash"

# nginx and redis serve the whole file: started once (a second or so each).
setup_file() {
    make_test_certs
    start_nginx "$BATS_FILE_TMPDIR/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || return 1
    start_redis "$BATS_FILE_TMPDIR/redis" "$CERTS/srv.pem" "$CERTS/srv.key" "$CERTS/ca.pem" || return 1
    export NGINX_TLS_PORT NGINX_PID REDIS_TLS_PORT REDIS_PID
}

teardown_file() {
    stop_nginx
    stop_redis
}

setup() {
    printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >"$T/get"
    printf 'PING\r\n' >"$T/ping"
}

SRV=(--cert "$CERTS/srv.pem" --key "$CERTS/srv.key")

# ------------------------------------------------------------------ nginx

@test "nginx: GET over TLS, nginx closes TCP after aecat's close_notify without its own: whole reply, exit 0" {
    ae_files "$T/get" "$T/out" --tls --ca "$CERTS/ca.pem" localhost "$NGINX_TLS_PORT"
    assert_status 0
    [ ! -s "$T/ae.err" ] || fail "stderr: $stderr"
    head -n1 "$T/out" | grep -q '^HTTP/1.1 200 OK' || fail "reply: $(cat "$T/out")"
    assert_equal "$(tail -n1 "$T/out")" "$NGINX_BODY"
}

@test "nginx: -v says the server sent no close_notify after aecat's" {
    ae_files "$T/get" "$T/out" --tls --ca "$CERTS/ca.pem" -v localhost "$NGINX_TLS_PORT"
    assert_status 0
    grep -q '^aecat: tls: .* closed TCP without close_notify after ours' "$T/ae.err" || fail "stderr: $stderr"
    assert_equal "$(tail -n1 "$T/out")" "$NGINX_BODY"
}

@test "nginx: --tls-strict-close: the whole reply, then 76 naming the missing close_notify" {
    ae_files "$T/get" "$T/out" --tls --ca "$CERTS/ca.pem" --tls-strict-close localhost "$NGINX_TLS_PORT"
    assert_status 76
    assert_one_error 'tls: .*without close_notify after ours \(strict close\)'
    assert_equal "$(tail -n1 "$T/out")" "$NGINX_BODY"
}

# ------------------------------------------------------------------ redis

@test "redis: PING over TLS: +PONG, exit 0" {
    ae_files "$T/ping" "$T/out" --tls --ca "$CERTS/ca.pem" localhost "$REDIS_TLS_PORT"
    assert_status 0
    [ ! -s "$T/ae.err" ] || fail "stderr: $stderr"
    assert_equal "$(tr -d '\r' <"$T/out")" "+PONG"
}

@test "redis: --tls-info with an empty stdin: verification ok, exit 0" {
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" --tls-info localhost "$REDIS_TLS_PORT"
    assert_status 0
    tls_info_has '^aecat: tls: verification ok'
    ! grep -q 'close_notify' "$T/ae.err" || fail "stderr: $stderr"
}

@test "redis: --tls-strict-close: +PONG, then 76" {
    ae_files "$T/ping" "$T/out" --tls --ca "$CERTS/ca.pem" --tls-strict-close localhost "$REDIS_TLS_PORT"
    assert_status 76
    assert_one_error 'without close_notify after ours'
    assert_equal "$(tr -d '\r' <"$T/out")" "+PONG"
}

@test "redis: the JSON log's close event says the server sent no close_notify" {
    ae_files "$T/ping" "$T/out" --tls --ca "$CERTS/ca.pem" --json-log "$T/log" localhost "$REDIS_TLS_PORT"
    assert_status 0
    assert_equal "$(jq -r 'select(.event == "close") | "\(.by) \(.reason) \(.peer_close_notify)"' "$T/log")" \
        "peer end of stream false"
}

# ------------------------------------------------------------------ scripted peers

@test "close: a server that answers aecat's close_notify with its own: the JSON log says so" {
    start_tls_peer peer "${SRV[@]}" --send 'reply\n'
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" --json-log "$T/log" 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(jq -r 'select(.event == "close") | .peer_close_notify' "$T/log")" true
}

@test "close: a server that reads aecat's close_notify and closes without its own: 0, the peer saw close_notify" {
    start_tls_peer peer "${SRV[@]}" --send 'reply\n' --then truncate --events "$T/ev"
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT"
    assert_status 0
    [ ! -s "$T/ae.err" ] || fail "stderr: $stderr"
    assert_equal "$(cat "$T/out")" reply
    wait_pid "$PEER_PID"
    grep -qx 'eof 0 close_notify' "$T/ev" || fail "peer events: $(cat "$T/ev")"
}

@test "close: a close inside a record after aecat's close_notify is a truncation: data, then 76" {
    start_tls_peer peer "${SRV[@]}" --send 'reply\n' --then partial
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT"
    assert_status 76
    assert_one_error 'inside a TLS record'
    assert_equal "$(cat "$T/out")" reply
}

@test "close: a close inside a record is a truncation even with --tls-allow-truncation: 76" {
    start_tls_peer peer "${SRV[@]}" --send 'reply\n' --then partial
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" --tls-allow-truncation 127.0.0.1 "$PORT"
    assert_status 76
    assert_one_error 'inside a TLS record'
    assert_equal "$(cat "$T/out")" reply
}

@test "close: a server that sends and closes with aecat's close_notify unread (a reset): the data, then 74" {
    # The peer waits until aecat's close_notify is in its socket, sends with
    # TCP_NODELAY and closes: its kernel resets right behind the data.  A
    # reset is no clean end even after aecat's close_notify: the resetting
    # kernel throws away what its socket had not sent yet (with Nagle on,
    # this very reply: measured), so exit 0 could hide a loss.
    start_tls_peer peer "${SRV[@]}" --send 'cut short\n' --then reset
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT"
    assert_status 74
    assert_one_error 'reset by peer'
    assert_equal "$(cat "$T/out")" "cut short"
}

@test "close: a record that does not decrypt, right after a 400 kB line and five short ones: all six lines, then 76" {
    # The long line fills stdout's queue, so aecat stops taking frames
    # with the five short lines decrypted in the same read as the bad
    # record: the error waits until they are written.
    { head -c 400000 /dev/zero | tr '\0' x; printf '\n'; seq 1 5 | sed 's/^/tail /'; } >"$T/lines"
    start_tls_peer peer "${SRV[@]}" --send-file "$T/lines" --then garbage
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" --frame line 127.0.0.1 "$PORT"
    assert_status 76
    assert_one_error 'tls: .*Decryption has failed'
    assert_same "$T/out" "$T/lines" "lines before the bad record"
}

# ------------------------------------------------------------------ aecat -l --tls

@test "close, server side: a client that reads aecat's close_notify and closes without its own: aecat -l exits 0" {
    printf 'from server\n' >"$T/reply"
    start_aecat_listener -i "$T/reply" lst --tls "${SRV[@]}"
    run timeout 10 "$PYTHON" "$PEERS/tls_peer.py" --connect "$LPORT" --ca "$CERTS/ca.pem" \
        --servername localhost --send 'from client\n' --then truncate --recv "$T/recv" 3>&-
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" "from client"
    assert_equal "$(cat "$T/recv")" "from server"
}

@test "close, server side: the same with --tls-strict-close: aecat -l exits 76 after the data" {
    printf 'from server\n' >"$T/reply"
    start_aecat_listener -i "$T/reply" lst --tls --tls-strict-close "${SRV[@]}"
    run timeout 10 "$PYTHON" "$PEERS/tls_peer.py" --connect "$LPORT" --ca "$CERTS/ca.pem" \
        --servername localhost --send 'from client\n' --then truncate 3>&-
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 76 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    grep -q 'without close_notify after ours' "$T/lst.err" || fail "stderr: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" "from client"
}

@test "close, server side: a client that closes without close_notify while aecat -l's side is open: 76 after the data" {
    hold_open_stdin
    start_aecat_listener -i "$OPEN_STDIN" lst --tls "${SRV[@]}"
    run timeout 10 "$PYTHON" "$PEERS/tls_peer.py" --connect "$LPORT" --ca "$CERTS/ca.pem" \
        --servername localhost --send 'from client\n' --then cut 3>&-
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 76 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    grep -q 'without close_notify (truncated?)' "$T/lst.err" || fail "stderr: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" "from client"
}

# ------------------------------------------------------------------ usage

@test "usage: --tls-strict-close needs TLS, and excludes --tls-allow-truncation (64)" {
    run --separate-stderr ae --tls-strict-close 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error '--tls-strict-close needs --tls'
    run --separate-stderr ae --tls --tls-strict-close --tls-allow-truncation 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error 'exclude each other'
}
