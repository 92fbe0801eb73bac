#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --frame http through real sockets: a private nginx answering pipelined
# HEAD and GET (--count 2 stops after both: the response to HEAD has no
# body), a gzipped chunked file, several requests on one kept-alive
# connection, a dialog whose --expect sees a whole message; aecat serving
# aecat; a response read until close; smuggling refused at its byte
# (error 65 after the good messages) unless --http-lenient; a stdin record
# that is not one whole message refused.  The codec: tests/unit/test_frame_http.c.

load servers_helpers

teardown() {
    [ -z "${NGINX_PID:-}" ] || stop_nginx
    stop_all
}

@test "http: pipelined HEAD and GET to nginx, --count 2 stops after both replies" {
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    printf 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame http --count 2 --recv-records json 127.0.0.1 "$NGINX_PORT"
    assert_status 0
    mapfile -t got <"$T/out"
    assert_equal "${#got[@]}" 2
    [[ ${got[0]} == '"HTTP/1.1 200 OK\r\nServer: nginx'*'\r\nContent-Length: 17\r\n'*'\r\n\r\n"' ]] || fail "${got[0]}"
    [[ ${got[1]} == '"HTTP/1.1 200 OK\r\n'*'\r\n\r\nhello from nginx\n"' ]] || fail "${got[1]}"
    # by default the messages print as they came
    ae_files "$T/in" "$T/raw" --frame http --count 2 127.0.0.1 "$NGINX_PORT"
    assert_status 0
    assert_equal "$(grep -c '^HTTP/1.1 200 OK' "$T/raw")" 2
    assert_equal "$(tail -n1 "$T/raw")" "hello from nginx"
    # --until matches a whole message: the first with a body ends the run
    ae_files "$T/in" "$T/until" --frame http --until 'hello from nginx\n$' --recv-records json 127.0.0.1 "$NGINX_PORT"
    assert_status 0
    # (the runs may fall in different seconds: nginx's Date header aside)
    assert_equal "$(sed 's/Date: [^\\]*/Date: -/' "$T/until")" "$(sed 's/Date: [^\\]*/Date: -/' "$T/out")"
}

@test "http: a gzipped chunked file from nginx is one frame, its chunks whole" {
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    printf 'GET /files/big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame http --count 1 127.0.0.1 "$NGINX_PORT"
    assert_status 0
    grep -q $'^Transfer-Encoding: chunked\r$' "$T/out" || fail "$(head -c 400 "$T/out")"
    grep -q $'^Content-Encoding: gzip\r$' "$T/out" || fail "$(head -c 400 "$T/out")"
    # the frame ends with the last chunk; its body, unchunked and
    # gunzipped, is the file
    "$PYTHON" - "$T/out" >"$T/body" <<'PY'
import gzip, sys
m = open(sys.argv[1], 'rb').read()
i = m.index(b'\r\n\r\n') + 4
body = b''
while True:
    j = m.index(b'\r\n', i)
    n = int(m[i:j].split(b';')[0], 16)
    if n == 0:
        assert m[j:] == b'\r\n\r\n', m[j:]
        break
    body += m[j + 2:j + 2 + n]
    assert m[j + 2 + n:j + 4 + n] == b'\r\n'
    i = j + 4 + n
sys.stdout.buffer.write(gzip.decompress(body))
PY
    seq 1 20000 >"$T/want"
    assert_equal "$(sha "$T/body")" "$(sha "$T/want")"
}

@test "http: three requests on one kept-alive connection, then --count ends it at once" {
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /files/big.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD /files/big.txt HTTP/1.1\r\nHost: x\r\n\r\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame http --count 3 --recv-records json 127.0.0.1 "$NGINX_PORT"
    assert_status 0
    # nginx keeps the connection 75 s: the third reply ends the run
    assert_elapsed 0 5
    mapfile -t got <"$T/out"
    assert_equal "${#got[@]}" 3
    [[ ${got[1]} == *'Content-Length: 108894\r\n'*'\r\n\r\n1\n2\n3\n'*'\n19999\n20000\n"' ]] || fail "${got[1]:0:300}"
    [[ ${got[2]} == *'Content-Length: 108894\r\n'*'\r\n\r\n"' ]] || fail "${got[2]}"
    assert_equal "$(wc -l <"$T/nginx/logs/access.log")" 3
    assert_equal "$(grep -o 'Connection: keep-alive' "$T/out" | wc -l)" 3
}

@test "http: in a dialog, --expect matches a whole message" {
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    run --separate-stderr ae --frame http --recv-records json \
        --send 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n' --expect '(?s)^HTTP/1\.1 200 .*Content-Length: 17\r\n.*\r\n\r\n$' \
        --send 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' --expect 'hello from nginx\n$' 127.0.0.1 "$NGINX_PORT" </dev/null
    assert_status 0
}

@test "http: aecat serves aecat, requests and responses split by the same rules" {
    printf 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n' >"$T/responses"
    printf 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody' >"$T/requests"
    hold_open_stdin
    start_aecat_listener -i "$T/responses" srv --frame http --count 2
    ae_files "$T/requests" "$T/out" --frame http --count 2 --recv-records json "$LHOST" "$LPORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" '"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"'
    wait_pid "$AE_PID"
    assert_equal "$WAIT_RC" 0
    assert_equal "$(hex "$T/srv.out")" "$(hex "$T/requests")"
}

@test "http: a response with no length is read until the peer closes" {
    start_peer peer --send 'HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall\r\n\r\nof it' --then close
    run --separate-stderr ae --frame http --recv-records json 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_equal "$output" '"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall\r\n\r\nof it"'
}

@test "http: Content-Length with Transfer-Encoding is 65 at its byte, after the good messages; --http-lenient reads it" {
    local smuggled='HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
    start_peer peer --send "$smuggled" --then close
    run --separate-stderr ae --frame http --recv-records json 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_equal "$output" '"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"'
    assert_one_error 'Content-Length with Transfer-Encoding \(request smuggling\)'
    [[ $stderr == *"at byte 76: "* ]] || fail "$stderr"
    start_peer peer --send "$smuggled" --then close
    run --separate-stderr ae -v --http-lenient --frame http --recv-records json 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_equal "${#lines[@]}" 2
    [[ $stderr == *"recv: message 2 has Content-Length and Transfer-Encoding: framed by Transfer-Encoding (--http-lenient)"* ]] ||
        fail "$stderr"
    # sending, the same rule and the same notice
    start_peer peer --when eof --recv "$T/wire"
    printf 'POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' >"$T/in"
    ae_files "$T/in" /dev/null -v --http-lenient --frame http 127.0.0.1 "$PORT"
    assert_status 0
    [[ $stderr == *"send: message 1 has Content-Length and Transfer-Encoding: framed by Transfer-Encoding"* ]] ||
        fail "$stderr"
    wait_pid "$PEER_PID"
    assert_equal "$(hex "$T/wire")" "$(hex "$T/in")"
    run --separate-stderr ae --http-lenient 127.0.0.1 "$PORT" </dev/null
    assert_status 64
    assert_one_error '--http-lenient applies to the http framing'
}

@test "http: a stdin record that is not one whole message is refused (65), those before it sent" {
    start_peer peer --when eof --recv "$T/wire"
    printf '"GET / HTTP/1.1\\r\\n\\r\\n"\n"GET / HTTP/1.1\\r\\n\\r\\nGET"\n' >"$T/in"
    ae_files "$T/in" /dev/null --frame http --send-records json 127.0.0.1 "$PORT"
    assert_status 65
    [[ $stderr == *"cannot send frame 2"*"a record must be one whole message (it ends at byte 18 of 21)"* ]] || fail "$stderr"
    wait_pid "$PEER_PID"
    assert_equal "$(cat "$T/wire")" "$(printf 'GET / HTTP/1.1\r\n\r\n')"
}

@test "http: a body over --max-frame is refused before it is read" {
    need nginx
    start_nginx "$T/nginx" "$CERTS/srv.pem" "$CERTS/srv.key" || fail "nginx did not start"
    printf 'GET /files/big.txt HTTP/1.1\r\nHost: x\r\n\r\n' >"$T/in"
    ae_files "$T/in" "$T/out" --frame http --max-frame 1K 127.0.0.1 "$NGINX_PORT"
    assert_status 65
    [[ $stderr == *"http: frame longer than 1024 bytes"* ]] || fail "$stderr"
    assert_equal "$(wc -c <"$T/out")" 0
}
