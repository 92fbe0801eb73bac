#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# -z: probes.  Each port of the list is connected to (then the --tls
# handshake and its verification, then the dialog steps), and closed
# cleanly; stdin is never read, nothing goes to stdout; exit 0 only when
# every port succeeded, else the first failing port's code.  Real sockets on
# 127.0.0.1: a Python listener, gnutls-serv and openssl s_server with the
# test CA, aecat's own STARTTLS smtp server preset.

load helpers
load tls_helpers

setup_file() { make_test_certs; }

VERIFY=(--ca "$CERTS/ca.pem" --servername localhost)
SRVCERT=(--cert "$CERTS/srv.pem" --key "$CERTS/srv.key")

# closed_port: CLOSED, a local port nothing listens on (bound, then freed).
closed_port() {
    CLOSED=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
}

# probe ARGS...: aecat -z ARGS, stdin /dev/null, stdout and stderr apart.
probe() {
    run_timed --separate-stderr -- ae -z "$@" </dev/null
}

@test "probe: an open port: exit 0, nothing on stdout or stderr; -v says open" {
    start_peer p --then hold
    probe 127.0.0.1 "$PORT"
    assert_status 0
    assert_output ''
    [ -z "$stderr" ] || fail "stderr: $stderr"
    start_peer p2 --then hold
    run --separate-stderr ae --zero-io -v 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output ''
    assert_one_error "^aecat: 127\.0\.0\.1 port $PORT: open$"
}

@test "probe: -vv adds what the port's connection says with -v alone" {
    start_peer p --then hold
    probe -vv 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "${stderr_lines[0]}" "aecat: connected to 127.0.0.1 port $PORT"
    assert_equal "${stderr_lines[-1]}" "aecat: 127.0.0.1 port $PORT: open"
}

@test "probe: the peer sees a connection that closes cleanly (EOF, no data)" {
    start_peer p --events "$T/p.ev" --then drain
    probe 127.0.0.1 "$PORT"
    assert_status 0
    wait_for_match "$T/p.ev" '^eof'
    grep -qx 'eof 0' "$T/p.ev" || fail "$(cat "$T/p.ev")"
}

@test "probe: a closed port: 69 and the connect error, one line" {
    closed_port
    probe 127.0.0.1 "$CLOSED"
    assert_status 69
    assert_output ''
    assert_one_error "^aecat: connect: connect to 127\.0\.0\.1 port $CLOSED: Connection refused$"
}

@test "probe: a list with one closed port: 69, every port probed, -v a line for each in order" {
    closed_port
    start_peer a --then hold
    local a=$PORT
    start_peer b --then hold
    local b=$PORT
    probe -v 127.0.0.1 "$a,$CLOSED,$b"
    assert_status 69
    assert_output ''
    [ ${#stderr_lines[@]} -eq 4 ] || fail "expected 4 lines: $stderr"
    assert_equal "${stderr_lines[0]}" "aecat: 127.0.0.1 port $a: open"
    assert_equal "${stderr_lines[1]}" "aecat: connect: connect to 127.0.0.1 port $CLOSED: Connection refused"
    assert_equal "${stderr_lines[2]}" "aecat: 127.0.0.1 port $CLOSED: refused or unreachable (exit 69)"
    assert_equal "${stderr_lines[3]}" "aecat: 127.0.0.1 port $b: open"
    # without -v: the failing port's line alone
    probe 127.0.0.1 "$a,$CLOSED,$b"
    assert_status 69
    assert_one_error "^aecat: connect: connect to 127\.0\.0\.1 port $CLOSED: Connection refused$"
}

@test "probe: a range LO-HI probes every port in it, in order" {
    start_peer p --then hold
    local lo=$((PORT - 2))
    probe -v 127.0.0.1 "$lo-$PORT"
    # the ports below may be anyone's: only their order and number are ours
    [ ${#stderr_lines[@]} -ge 3 ] || fail "expected a line per port: $stderr"
    local seen
    seen=$(grep -oE 'port [0-9]+: (open|refused)' <<<"$stderr" | grep -oE '[0-9]+' | tr '\n' ' ')
    assert_equal "$seen" "$lo $((lo + 1)) $PORT "
    assert_equal "${stderr_lines[-1]}" "aecat: 127.0.0.1 port $PORT: open"
}

@test "probe: the first failure decides the exit code, whatever fails after it" {
    closed_port
    start_peer p --then hold
    # 68 (no such host) is per host: a timeout (75) then a refusal (69)
    probe -v --connect-timeout 0.3 --tls "${VERIFY[@]}" 127.0.0.1 "$PORT,$CLOSED"
    assert_status 75
    [[ $stderr == *"port $PORT: timeout (exit 75)"* ]] || fail "$stderr"
    [[ $stderr == *"port $CLOSED: refused or unreachable (exit 69)"* ]] || fail "$stderr"
    probe -v --connect-timeout 0.3 --tls "${VERIFY[@]}" 127.0.0.1 "$CLOSED,$PORT"
    assert_status 69
}

@test "probe: TLS verified against gnutls-serv with the test CA: -v names the version" {
    start_gnutls_serv g --x509certfile "$CERTS/srv.pem" --x509keyfile "$CERTS/srv.key"
    probe --tls "${VERIFY[@]}" 127.0.0.1 "$PORT"
    assert_status 0
    assert_output ''
    [ -z "$stderr" ] || fail "stderr: $stderr"
    probe -v --tls "${VERIFY[@]}" 127.0.0.1 "$PORT"
    assert_status 0
    assert_one_error "^aecat: 127\.0\.0\.1 port $PORT: open, tls ok \(TLS1\.[23], verified\)$"
}

@test "probe: TLS 1.2 and 1.3 against OpenSSL (Python ssl): the server sees our close_notify, then EOF" {
    local v
    for v in 1.2 1.3; do
        rm -f "$T/t.ev"
        start_tls_peer t --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" --max-version "$v" --events "$T/t.ev"
        probe -v --tls "${VERIFY[@]}" 127.0.0.1 "$PORT"
        assert_status 0
        assert_one_error "^aecat: 127\.0\.0\.1 port $PORT: open, tls ok \(TLS${v//./\\.}, verified\)$"
        wait_pid "$PEER_PID"
        grep -qx 'eof 0 close_notify' "$T/t.ev" || fail "TLS $v: $(cat "$T/t.ev" "$T/t.err")"
    done
}

@test "probe: TLS failing verification: 76 and the reason; with -v the port's line too" {
    start_gnutls_serv g --x509certfile "$CERTS/wrong.pem" --x509keyfile "$CERTS/wrong.key"
    probe --tls "${VERIFY[@]}" 127.0.0.1 "$PORT"
    assert_status 76
    assert_output ''
    assert_one_error "^aecat: tls: handshake with 127\.0\.0\.1 port $PORT failed: .*"
    probe -v --tls --ca "$CERTS/ca2.pem" --servername localhost 127.0.0.1 "$PORT"
    assert_status 76
    [ ${#stderr_lines[@]} -eq 2 ] || fail "expected 2 lines: $stderr"
    assert_equal "${stderr_lines[1]}" "aecat: 127.0.0.1 port $PORT: TLS or protocol failure (exit 76)"
}

@test "probe: --insecure and --pin say how the peer was checked" {
    start_gnutls_serv g --x509certfile "$CERTS/self.pem" --x509keyfile "$CERTS/self.key"
    probe -v --tls --insecure 127.0.0.1 "$PORT"
    assert_status 0
    assert_one_error "port $PORT: open, tls ok \(TLS1\.[23], not verified: --insecure\)$"
    probe -v --tls --pin "$(pin_of "$CERTS/self.pem")" 127.0.0.1 "$PORT"
    assert_status 0
    assert_one_error "port $PORT: open, tls ok \(TLS1\.[23], pinned key\)$"
}

@test "probe: STARTTLS smtp against aecat's own server preset: 0, and the server ends cleanly" {
    start_aecat_listener srv --starttls smtp "${SRVCERT[@]}"
    probe -v --starttls smtp "${VERIFY[@]}" "$LHOST" "$LPORT"
    assert_status 0
    assert_output ''
    assert_one_error "^aecat: 127\.0\.0\.1 port $LPORT: open, tls ok \(TLS1\.[23], verified\)$"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "the server exited $WAIT_RC: $(cat "$T/srv.err")"
}

@test "probe: a dialog --expect that fails: its exit code (1) and line; what the peer said is not printed" {
    start_peer p --send 'HELLO\r\n' --then hold
    probe --send 'PING\r\n' --expect '^PONG' --step-timeout 0.5 127.0.0.1 "$PORT"
    assert_status 75
    assert_output ''
    assert_one_error "^aecat: timeout: step 2 \(--expect '\^PONG'\): not done within 0\.5 s"
    start_peer p2 --send 'HELLO\r\n' --then close
    probe -v --expect '^PONG' 127.0.0.1 "$PORT"
    assert_status 1
    assert_output ''
    [ ${#stderr_lines[@]} -eq 2 ] || fail "expected 2 lines: $stderr"
    [[ ${stderr_lines[0]} == "aecat: step 1 (--expect '^PONG'): not met: "* ]] || fail "$stderr"
    assert_equal "${stderr_lines[1]}" "aecat: 127.0.0.1 port $PORT: expect not met (exit 1)"
}

@test "probe: a dialog that succeeds: 0, the steps sent, nothing on stdout" {
    start_peer p --when request --request-bytes 6 --send '+PONG\r\n' --recv "$T/p.recv" --then hold
    probe --send 'PING\r\n' --expect '^\+PONG' 127.0.0.1 "$PORT"
    assert_status 0
    assert_output ''
    [ -z "$stderr" ] || fail "stderr: $stderr"
    assert_equal "$(cat "$T/p.recv")" $'PING\r'
}

@test "probe: --tls then dialog steps: the steps run over TLS once it is verified, then close_notify; the server ends with 0" {
    printf 'PONG\n' >"$T/srv.in"
    start_aecat_listener -i "$T/srv.in" srv --tls "${SRVCERT[@]}" --frame line
    probe -v --tls "${VERIFY[@]}" --frame line --send PING --expect '^PONG$' "$LHOST" "$LPORT"
    assert_status 0
    assert_output ''
    assert_one_error "^aecat: 127\.0\.0\.1 port $LPORT: open, tls ok \(TLS1\.[23], verified\)$"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "the server exited $WAIT_RC: $(cat "$T/srv.err")"
    assert_equal "$(cat "$T/srv.out")" PING
}

@test "probe: malformed port lists: 64, one line naming the item and its offset, nothing connects" {
    local spec want
    for spec in "0|'0' at offset 0: a port is 1 to 65535" \
                "80,,90|empty item at offset 3" \
                "80,|empty item at offset 3" \
                ",80|empty item at offset 0" \
                "80,90-70|range '90-70' at offset 3 is reversed" \
                "1-|range '1-' at offset 0 lacks its HI" \
                "22,-5|range '-5' at offset 3 lacks its LO" \
                "80,65536|'65536' at offset 3: a port is 1 to 65535" \
                "80,1-99999|'1-99999' at offset 3: a port is 1 to 65535" \
                "smtp,nosuchservice|'nosuchservice' at offset 5 is not a port number, a LO-HI range or a known service" \
                "http-99|'http-99' at offset 0 is not a port number"; do
        want=${spec#*|}
        probe 127.0.0.1 "${spec%%|*}"
        assert_status 64
        assert_output ''
        want=${want//[/\\[}
        assert_one_error "^aecat: usage: -z: PORT '${spec%%|*}': ${want//\(/\\(}"
    done
}

@test "probe: service names and HOST:PORT operands are ports too" {
    start_peer p --then hold
    probe -v "127.0.0.1:$PORT"
    assert_status 0
    assert_one_error "^aecat: 127\.0\.0\.1 port $PORT: open$"
    # a closed well-known port by its name (a service on this machine would be open)
    probe -v -4 localhost "tcpmux"
    [[ $stderr == *"port 1: "* ]] || fail "tcpmux is not port 1: $stderr"
}

@test "probe: stdin is never read: a FIFO nobody writes to does not hold the probe" {
    start_peer p --then hold
    mkfifo "$T/stdin"
    # read-write open: the FIFO stays without EOF and without data
    exec {fd}<>"$T/stdin"
    run_timed --separate-stderr -- ae -z -v 127.0.0.1 "$PORT" <"$T/stdin"
    exec {fd}<&-
    assert_status 0
    assert_one_error "port $PORT: open$"
    assert_elapsed 0 5
    # and the data on a stdin that has some stays there for whoever reads next
    printf 'left alone\n' >"$T/in"
    { ae -z 127.0.0.1 "$PORT"; cat; } <"$T/in" >"$T/out" 2>"$T/err"
    assert_equal "$(cat "$T/out")" 'left alone'
}

@test "probe: what needs stdin, stdout, a listener or the relay is a usage error with -z (64)" {
    local args want
    for args in "-l|-z probes by connecting: not with -l" \
                "--then-relay --send x|--then-relay is about stdin, stdout or the relay" \
                "--count 1|--count is about stdin, stdout or the relay" \
                "--until x|--until is about stdin, stdout or the relay" \
                "--records hex|--records is about stdin, stdout or the relay" \
                "--send-records lines|--send-records is about stdin, stdout or the relay" \
                "--recv-records hex|--recv-records is about stdin, stdout or the relay" \
                "-q 1|-q is about stdin, stdout or the relay" \
                "--peer-eof-grace 1|--peer-eof-grace is about stdin, stdout or the relay" \
                "--no-shutdown|--no-shutdown is about stdin, stdout or the relay" \
                "--send-file /dev/stdin|-z reads no stdin: not --send-file /dev/stdin" \
                "-k|-k keeps a listener open: not with -z"; do
        want=${args#*|}
        # shellcheck disable=SC2086  # the options, split on purpose
        probe ${args%%|*} 127.0.0.1 9
        assert_status 64
        assert_one_error "^aecat: usage: $want"
    done
    probe -U "$T/sock"
    assert_status 64
    assert_one_error "^aecat: usage: -z probes TCP ports: not with -U"
}

@test "probe: --retry-until waits for a port that opens later" {
    closed_port
    # the listener comes up on that port after a moment
    spawn late sh -c "sleep 0.5; exec $PYTHON $PEERS/peer.py --port $CLOSED --then hold"
    probe -v --retry-until 10 127.0.0.1 "$CLOSED"
    assert_status 0
    [[ ${stderr_lines[-1]} == "aecat: 127.0.0.1 port $CLOSED: open" ]] || fail "$stderr"
}
