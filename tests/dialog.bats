#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Dialog steps (--send, --send-file, --expect, --reject, --sleep, --starttls
# now, --step-timeout, --then-relay) through real sockets, against the
# scripted Python peer, socat and aecat itself: each way a step can end, with
# its exit code and its one-line message (step number, pattern, last bytes).

load helpers
load tls_helpers

# Once per file: its tests run in parallel, and when each made them, one
# test rewrote the files another was reading (a key that did not match its
# certificate).
setup_file() { make_test_certs; }

@test "dialog: send then expect, met: exit 0, what arrived up to the match on stdout" {
    start_peer p --send '+PONG\r\nextra' --when request --then hold --recv "$T/p.recv"
    run --separate-stderr ae --send 'PING\r\n' --expect '^\+PONG' 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output '+PONG'
    [ "$(cat "$T/p.recv")" = "$(printf 'PING\r\n')" ] || fail "peer got $(od -c "$T/p.recv")"
}

@test "dialog: expect skips what does not match, across reads" {
    start_peer p --send 'noise\nmore noise\nREADY 1\n' --when start --then hold
    run --separate-stderr ae --expect 'READY [0-9]' 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output "$(printf 'noise\nmore noise\nREADY 1')"
}

@test "dialog: expect not met, the peer closes first: exit 1 naming the step, the pattern and the last bytes" {
    start_peer p --send '-ERR unknown command\r\n' --when request --then close
    run --separate-stderr ae --send 'PING\r\n' --expect '^\+PONG' 127.0.0.1 "$PORT" </dev/null
    assert_status 1
    assert_one_error "step 2 \(--expect '\^\\\\\+PONG'\): not met: 127.0.0.1 port $PORT closed the connection first; last bytes received: \"-ERR unknown command\\\\r\\\\n\""
}

@test "dialog: a raw --expect's ^ matches at every line start: '^250 ' finds the last line of a multi-line reply" {
    start_peer p --send '250-a\r\n250-b\r\n250 c\r\nnext\r\n' --when request --then hold
    run --separate-stderr ae --send 'EHLO x\r\n' --expect '^250 ' --expect '^c\r$' 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    # $ is a line end: before the "\n"
    assert_output "$(printf '250-a\r\n250-b\r\n250 c\r')"
    # \A is the start of what is still unread: "250-b" is not there
    start_peer p2 --send '250-a\r\n250-b\r\n250 c\r\n' --when start --then close
    run --separate-stderr ae --expect '^250-a' --expect '\A250-b' 127.0.0.1 "$PORT" </dev/null
    assert_status 1
    [[ $stderr == *"step 2 (--expect '\A250-b'): not met"* ]] || fail "$stderr"
}

@test "dialog: a raw --reject's ^ matches at every line start too" {
    start_peer p --send '220-hello\r\n554 go away\r\n' --when start --then hold
    run_timed --separate-stderr -- ae --reject '^5' --expect '^220 ' 127.0.0.1 "$PORT" </dev/null
    assert_status 1
    assert_one_error "step 2 \\(--expect '\\^220 '\\): --reject matched"
    assert_elapsed 0 3
}

@test "dialog: --reject matched while the next expect waits: exit 1 at once" {
    start_peer p --send '-ERR nope\r\n' --when start --then hold
    run_timed --separate-stderr -- ae --reject '^-ERR' --expect '^\+OK' 127.0.0.1 "$PORT" </dev/null
    assert_status 1
    assert_one_error "step 2 \(--expect '\^\\\\\+OK'\): --reject matched; last bytes received: \"-ERR nope"
    assert_elapsed 0 3
}

@test "dialog: a reject that only matches after the expect was met does not fire" {
    start_peer p --send '+OK hi\r\n-ERR later\r\n' --when start --then hold
    run --separate-stderr ae --reject '^-ERR' --expect '^\+OK' 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output '+OK'
}

@test "dialog: --step-timeout: exit 75 naming the step and what did arrive" {
    start_peer p --send 'almost\n' --when start --then hold
    run_timed --separate-stderr -- ae --step-timeout 0.3 --expect DONE 127.0.0.1 "$PORT" </dev/null
    assert_status 75
    assert_one_error "timeout: step 1 \(--expect 'DONE'\): not done within 0.3 s \(--step-timeout\); last bytes received: \"almost\\\\n\""
    assert_elapsed 0.25 3
}

@test "dialog: --deadline bounds the whole dialog: exit 75" {
    start_peer p --send 'x' --when start --then hold
    run_timed --separate-stderr -- ae --deadline 0.4 --expect A --expect B 127.0.0.1 "$PORT" </dev/null
    assert_status 75
    assert_one_error 'deadline of 0.4 s reached'
    assert_elapsed 0.3 3
}

@test "dialog: --sleep waits between sends" {
    start_peer p --then drain --recv "$T/p.recv" --events "$T/p.ev"
    run_timed --separate-stderr -- ae --send a --sleep 0.4 --send b 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_elapsed 0.35 3
    wait_for_match "$T/p.ev" '^eof' 5
    [ "$(cat "$T/p.recv")" = ab ] || fail "peer got $(cat "$T/p.recv")"
}

@test "dialog: --send-file sends the file's bytes; a missing file is exit 78 before connecting" {
    head -c 100000 /dev/urandom >"$T/blob"
    start_peer p --then drain --recv "$T/p.recv" --events "$T/p.ev"
    run --separate-stderr ae --send-file "$T/blob" 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    wait_for_match "$T/p.ev" '^eof' 5
    cmp "$T/blob" "$T/p.recv" || fail "bytes differ"
    run --separate-stderr ae --send-file "$T/none" 127.0.0.1 1 </dev/null
    assert_status 78
    assert_one_error "--send-file: cannot read $T/none: No such file or directory"
}

@test "dialog: --send-file streams a 40 MB file as the peer reads: every byte arrives, RSS stays small" {
    head -c 40M /dev/urandom >"$T/big"
    start_peer p --then drain --recv "$T/p.recv" --events "$T/p.ev"
    run --separate-stderr /usr/bin/time -f %M -o "$T/rss" timeout 30 "$AECAT" --send-file "$T/big" \
        127.0.0.1 "$PORT" </dev/null
    assert_status 0
    wait_for_match "$T/p.ev" '^eof' 10
    cmp "$T/big" "$T/p.recv" || fail "bytes differ"
    # read whole it cost over 40 MB (a 300 MB file: 924 MB)
    local rss; rss=$(tail -n1 "$T/rss")
    [ "$rss" -lt 20000 ] || fail "max RSS $rss KB"
}

# peak_rss_ok PID: its peak RSS under 20 MB, else it is killed (a regression
# reading the file whole must not eat the machine) and the test fails.
peak_rss_ok() {
    local hwm; hwm=$(awk '/^VmHWM:/ { print $2 }' /proc/"$1"/status)
    [ "${hwm:-0}" -lt 20000 ] && return 0
    kill -KILL "$1"
    fail "max RSS $hwm KB"
}

@test "dialog: --send-file /dev/zero to a peer that stops reading: memory stays bounded (no OOM)" {
    start_peer p --then hold --no-read
    spawn ae_zero "$AECAT" --send-file /dev/zero 127.0.0.1 "$PORT"
    local pid=$SPAWN_PID end=$(( $(now_us) + 10000000 )) taken=0
    # until the socket buffers are full: aecat has read megabytes of the file
    while [ "$taken" -lt 2000000 ]; do
        kill -0 "$pid" 2>/dev/null || fail "aecat ended: $(cat "$T/ae_zero.err")"
        peak_rss_ok "$pid"
        [ "$(now_us)" -lt "$end" ] || fail "aecat read only $taken bytes in 10 s"
        sleep 0.02
        taken=$(awk '/^rchar:/ { print $2 }' /proc/"$pid"/io)
    done
    sleep 0.2                     # stalled now: would it still grow?
    peak_rss_ok "$pid"
    kill -TERM "$pid"
    wait_pid "$pid" 5
    [ "$WAIT_RC" -eq 143 ] || fail "exit $WAIT_RC: $(cat "$T/ae_zero.err")"
}

@test "dialog: a framed --send-file over --max-frame is refused at the limit (64), before connecting, never read whole" {
    # a FIFO whose writer never closes: read whole, it would never end
    mkfifo "$T/fifo"
    { head -c 3M /dev/zero; exec sleep 600; } >"$T/fifo" 3>&- &
    PIDS+=("$!")
    AE_LIMIT=10 run --separate-stderr ae --send-file "$T/fifo" --frame netstring --max-frame 1M 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: --send-file \(step 1\): cannot send it as a netstring frame: .*/fifo holds more than the frame limit of 1048576 bytes"
    # under the limit it is one frame
    printf 'hello' >"$T/small"
    start_peer p --then drain --recv "$T/p.recv" --events "$T/p.ev"
    run --separate-stderr ae --send-file "$T/small" --frame netstring --max-frame 1M 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    wait_for_match "$T/p.ev" '^eof' 5
    assert_equal "$(cat "$T/p.recv")" "5:hello,"
}

@test "dialog: --send-file of a directory is a configuration error (78) before connecting" {
    run --separate-stderr ae --send-file "$T" 127.0.0.1 1 </dev/null
    assert_status 78
    assert_one_error "^aecat: --send-file: cannot read $T: Is a directory$"
}

@test "dialog: expect on decoded netstring frames matches the payload, not the wire bytes" {
    start_peer p --send '3:abc,6:status,8:ok 12:30,' --when start --then hold
    run --separate-stderr ae --frame netstring --expect '^ok [0-9]+:' 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    # the frames read while waiting, as records
    assert_output "$(printf 'abc\nstatus\nok 12:30')"
    # "^3:" would match the wire bytes, never a payload
    start_peer q --send '3:abc,' --when start --then close
    run --separate-stderr ae --frame netstring --expect '^3:' 127.0.0.1 "$PORT" </dev/null
    assert_status 1
}

@test "dialog: expect on JSON frames: a JSON-RPC call and an assertion on its reply" {
    start_peer p --send '{"jsonrpc":"2.0","method":"note"}\n{"jsonrpc":"2.0","id":7,"result":{"ok":true}}\n' --when request --then hold --recv "$T/p.recv"
    run --separate-stderr ae --frame json --send '{"jsonrpc":"2.0","id":7,"method":"ping"}' \
        --expect '"id":7,"result":\{"ok":true\}' 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_line --index 1 '{"jsonrpc":"2.0","id":7,"result":{"ok":true}}'
    assert_equal "$(cat "$T/p.recv")" '{"jsonrpc":"2.0","id":7,"method":"ping"}'
}

@test "dialog: a malformed frame while expecting is exit 65 at its byte" {
    start_peer p --send '3:abc,x:' --when start --then hold
    run --separate-stderr ae --frame netstring --expect never 127.0.0.1 "$PORT" </dev/null
    assert_status 65
    assert_one_error "step 1 \(--expect 'never'\): malformed data from 127.0.0.1 port $PORT at byte 6"
}

@test "dialog: --count after the steps reads that many more frames, then ends" {
    start_peer p --send 'HELLO\nline 1\nline 2\nline 3\n' --when request --then hold
    run --separate-stderr ae --frame line --send hi --expect HELLO --count 3 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output "$(printf 'HELLO\nline 1\nline 2')"
}

@test "dialog: --then-relay hands over to stdin/stdout after the steps" {
    start_aecat_listener -i <(printf 'from stdin\n') srv --expect 'HELLO' --send 'WELCOME\n' --then-relay
    printf 'after the dialog\n' >"$T/in"
    run --separate-stderr ae --send 'HELLO\n' --expect WELCOME --then-relay 127.0.0.1 "$LPORT" <"$T/in"
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "server exited $WAIT_RC: $(cat "$T/srv.err")"
    # the client saw the server's reply, then the server's stdin; the server
    # saw the greeting, then the client's stdin
    assert_output "$(printf 'WELCOME\nfrom stdin')"
    assert_equal "$(cat "$T/srv.out")" "$(printf 'HELLO\nafter the dialog')"
}

@test "dialog: without --then-relay aecat half-closes after the last step and does not read stdin" {
    start_peer p --then drain --recv "$T/p.recv" --events "$T/p.ev"
    printf 'must not be sent' >"$T/in"
    run --separate-stderr ae --send 'only this' 127.0.0.1 "$PORT" <"$T/in"
    assert_status 0
    wait_for_match "$T/p.ev" '^eof' 5
    assert_equal "$(cat "$T/p.recv")" 'only this'
}

@test "dialog: --starttls now, client and server, both sides aecat, data after it encrypted" {
    start_aecat_listener srv --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" \
        --expect 'STARTTLS\n' --send 'GO\n' --starttls now --expect secret --send 'ack\n'
    run --separate-stderr ae --ca "$CERTS/ca.pem" --servername localhost --tls-info \
        --send 'STARTTLS\n' --expect 'GO\n' --starttls now --send 'secret\n' --expect ack 127.0.0.1 "$LPORT" </dev/null
    assert_status 0
    assert_output "$(printf 'GO\nack')"
    [[ "$stderr" == *"tls: version TLS1."* ]] || fail "no --tls-info: $stderr"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "server exited $WAIT_RC: $(cat "$T/srv.err")"
}

@test "dialog: --starttls now against gnutls-serv: verified handshake, then a step over TLS" {
    start_gnutls_serv gs --echo --x509certfile "$CERTS/srv.pem" --x509keyfile "$CERTS/srv.key"
    run --separate-stderr ae --ca "$CERTS/ca.pem" --servername localhost \
        --starttls now --send 'ping over tls\n' --expect 'ping over tls' 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output 'ping over tls'
}

@test "dialog: --starttls now with a certificate that does not verify: exit 76 naming the step" {
    start_gnutls_serv gs --echo --x509certfile "$CERTS/srv.pem" --x509keyfile "$CERTS/srv.key"
    run --separate-stderr ae --servername localhost --starttls now --send x 127.0.0.1 "$PORT" </dev/null
    assert_status 76
    assert_one_error "tls: step 1 \(--starttls 'now'\): handshake with 127.0.0.1 port $PORT failed: .*"
}

@test "dialog: -v tells each step: sent, skipped, matched" {
    start_peer p --send 'a\nb\n' --when start --then hold
    run --separate-stderr ae -v --frame line --send 'go' --expect '^b$' 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    [[ "$stderr" == *"step 1 (--send 'go'): sent 2 bytes \"go\""* ]] || fail "$stderr"
    [[ "$stderr" == *"step 2 (--expect '^b\$'): skipped \"a\""* ]] || fail "$stderr"
    [[ "$stderr" == *"step 2 (--expect '^b\$'): matched \"b\""* ]] || fail "$stderr"
}

@test "dialog usage: a bad pattern is exit 64 with its offset, before connecting" {
    run --separate-stderr ae --send x --expect 'a(b' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "usage: --expect 'a\(b' \(step 2\): .*at offset 3 of the pattern"
    run --separate-stderr ae --reject '[x' --expect y 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "usage: --reject '\[x' \(step 1\)"
}

@test "dialog usage: --reject needs a later --expect; --then-relay needs steps; bad escapes and seconds" {
    run --separate-stderr ae --expect a --reject b 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error 'needs an expect after it'
    run --separate-stderr ae --then-relay 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error '--then-relay needs dialog steps'
    run --separate-stderr ae --send 'a\xZZ' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "--send: .*at offset 1 of 'a"
    run --separate-stderr ae --sleep soon 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "--sleep: 'soon' is not a number of seconds"
    run --separate-stderr ae --starttls gopher 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "usage: --starttls \(step 1\): unknown STARTTLS protocol 'gopher' for a client \(expected smtp, lmtp, .*telnet\)"
    run --separate-stderr ae -l 127.0.0.1 0 --starttls gopher </dev/null
    assert_status 64
    assert_one_error "unknown STARTTLS protocol 'gopher' for a server"
    run --separate-stderr ae --tls --starttls now 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error '--starttls starts TLS inside the connection'
}

@test "dialog usage: --send data the send framing cannot carry is exit 64" {
    run --separate-stderr ae --frame line --send 'two\nlines' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "usage: --send \(step 1\): cannot send it as a line frame: .*"
    # the relay's trust in frames stdin decoded is not extended to --send
    # (with it, this invalid text was sent)
    run --separate-stderr ae --frame json --send '{bad' 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "usage: --send \(step 1\): cannot send it as a json frame: .*"
}

@test "dialog: a hand-made STARTTLS on a line protocol (the README's example), then the relay over TLS" {
    printf 'server data\n' >"$T/srv.in"
    start_aecat_listener -i "$T/srv.in" srv --frame line --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" \
        --send OK --expect '^STARTTLS$' --send GO --starttls now --then-relay
    printf 'client data\n' >"$T/in"
    run --separate-stderr ae --frame line --ca "$CERTS/ca.pem" --servername localhost \
        --expect '^OK' --send STARTTLS --expect '^GO' --starttls now --then-relay 127.0.0.1 "$LPORT" <"$T/in"
    assert_status 0
    assert_output "$(printf 'OK\nGO\nserver data')"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "server exited $WAIT_RC: $(cat "$T/srv.err")"
    assert_equal "$(cat "$T/srv.out")" "$(printf 'STARTTLS\nclient data')"
}
