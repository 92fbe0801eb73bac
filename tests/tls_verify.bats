#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The TLS verification table of the aecat client: which server certificate,
# which options, which exit code and which reason word on the one stderr
# line; then the peers that are not TLS servers at all, truncation,
# handshake timeouts, bad files and usage errors.  The server is openssl
# s_server -rev (one connection, answers "hello" with "olleh"), or
# tests/peers/tls_peer.py, or tests/peers/peer.py for plaintext peers.

load helpers
load tls_helpers

setup_file() { make_test_certs; }

setup() {
    printf 'hello\n' >"$T/hello"
}

# serve CERT-NAME [-6] [s_server ARGS...]: s_server -rev with $CERTS/NAME.pem.
serve() {
    local name=$1 six=(); shift
    if [ "${1:-}" = -6 ]; then six=(-6); shift; fi
    start_ossl_server srv "${six[@]}" -rev -naccept 1 -cert "$CERTS/$name.pem" -key "$CERTS/$name.key" "$@"
}

# connect [aecat ARGS...] HOST: aecat --tls ARGS HOST $PORT <hello (stderr separate).
connect() {
    run --separate-stderr ae --tls "$@" "$PORT" <"$T/hello"
}

# accepted: the handshake passed and the data went through.
accepted() {
    assert_status 0
    assert_output olleh
    [ ${#stderr_lines[@]} -eq 0 ] || fail "stderr: $stderr"
}

# rejected REGEX: exit 76, one line naming the reason, nothing printed.
rejected() {
    assert_status 76
    assert_one_error "$1"
    assert_output ""
}

# ------------------------------------------------------------------ chain and names

@test "verify: CA-signed, IP SAN 127.0.0.1 matches the address connected to" {
    serve srv
    connect --ca "$CERTS/ca.pem" 127.0.0.1
    accepted
}

@test "verify: CA-signed, DNS SAN localhost matches the HOST operand" {
    serve srv
    connect --ca "$CERTS/ca.pem" -4 localhost
    accepted
}

@test "verify: CA-signed, IP SAN ::1 over IPv6" {
    serve srv -6
    connect --ca "$CERTS/ca.pem" ::1
    accepted
}

@test "verify: a server certificate from an untrusted CA (--ca the other CA): 76 unknown issuer" {
    serve srv
    connect --ca "$CERTS/ca2.pem" 127.0.0.1
    rejected 'unknown issuer'
}

@test "verify: without --ca the system store is used, which does not know the test CA: 76 unknown issuer" {
    serve srv
    connect 127.0.0.1
    rejected 'unknown issuer'
}

@test "verify: a self-signed server certificate: 76 self-signed" {
    serve self
    connect --ca "$CERTS/ca.pem" 127.0.0.1
    rejected 'self-signed'
}

@test "verify: a self-signed server certificate, system store: 76 self-signed" {
    serve self
    connect -4 localhost
    rejected 'self-signed'
}

@test "verify: an expired server certificate: 76 expired" {
    serve expired
    connect --ca "$CERTS/ca.pem" 127.0.0.1
    rejected 'expired'
}

@test "verify: a server certificate not yet valid: 76 not yet valid" {
    serve future
    connect --ca "$CERTS/ca.pem" 127.0.0.1
    rejected 'not yet valid'
}

@test "verify: a certificate for other.example, connecting to localhost: 76 name mismatch" {
    serve wrong
    connect --ca "$CERTS/ca.pem" -4 localhost
    rejected 'name mismatch'
}

@test "verify: a certificate for other.example, connecting to 127.0.0.1: 76 name mismatch" {
    serve wrong
    connect --ca "$CERTS/ca.pem" 127.0.0.1
    rejected 'name mismatch'
}

@test "verify: a certificate for other.example with --servername other.example: accepted" {
    serve wrong
    connect --ca "$CERTS/ca.pem" --servername other.example 127.0.0.1
    accepted
}

@test "verify: a certificate without IP SAN, connecting to 127.0.0.1: 76 name mismatch" {
    serve dnsonly
    connect --ca "$CERTS/ca.pem" 127.0.0.1
    rejected 'name mismatch'
}

@test "verify: a certificate without IP SAN with --servername localhost to 127.0.0.1: accepted" {
    serve dnsonly
    connect --ca "$CERTS/ca.pem" --servername localhost 127.0.0.1
    accepted
}

@test "verify: --servername is the name verified: other.example against the localhost certificate, 76 name mismatch" {
    serve srv
    connect --ca "$CERTS/ca.pem" --servername other.example 127.0.0.1
    rejected 'name mismatch'
}

# ------------------------------------------------------------------ --insecure

@test "verify: --insecure accepts a self-signed certificate" {
    serve self
    connect --insecure 127.0.0.1
    accepted
}

@test "verify: --insecure accepts an expired certificate" {
    serve expired
    connect --insecure --ca "$CERTS/ca.pem" 127.0.0.1
    accepted
}

@test "verify: --insecure accepts a name mismatch and an unknown issuer" {
    serve wrong
    connect --insecure --ca "$CERTS/ca2.pem" -4 localhost
    accepted
}

# ------------------------------------------------------------------ --pin

@test "verify: --pin alone, right pin of a self-signed certificate: accepted" {
    serve self
    connect --pin "$(pin_of "$CERTS/self.pem")" 127.0.0.1
    accepted
}

@test "verify: --pin alone is the only check: unknown issuer (system store) and wrong name pass" {
    serve wrong
    connect --pin "$(pin_of "$CERTS/wrong.pem")" -4 localhost
    accepted
}

@test "verify: --pin alone, wrong pin: 76 pin mismatch" {
    serve self
    connect --pin "$(pin_of "$CERTS/srv.pem")" 127.0.0.1
    rejected 'pin mismatch'
}

@test "verify: --pin repeated, the second one right: accepted" {
    serve srv
    connect --pin "$(pin_of "$CERTS/self.pem")" --pin "$(pin_of "$CERTS/srv.pem")" 127.0.0.1
    accepted
}

@test "verify: --pin right with --ca of an untrusted CA: both must pass, 76 unknown issuer" {
    serve srv
    connect --pin "$(pin_of "$CERTS/srv.pem")" --ca "$CERTS/ca2.pem" 127.0.0.1
    rejected 'unknown issuer'
}

@test "verify: --pin wrong with --ca that verifies the chain: 76 pin mismatch" {
    serve srv
    connect --pin "$(pin_of "$CERTS/self.pem")" --ca "$CERTS/ca.pem" 127.0.0.1
    rejected 'pin mismatch'
}

@test "verify: --insecure still checks --pin: 76 pin mismatch" {
    serve self
    connect --insecure --pin "$(pin_of "$CERTS/srv.pem")" 127.0.0.1
    rejected 'pin mismatch'
}

# ------------------------------------------------------------------ client certificates

@test "verify: the server requires a client certificate and gets one from the CA: accepted" {
    serve srv -Verify 1 -CAfile "$CERTS/ca.pem" -verify_return_error
    connect --ca "$CERTS/ca.pem" --cert "$CERTS/client.pem" --key "$CERTS/client.key" 127.0.0.1
    accepted
}

@test "verify: the server requires a client certificate, none given: 76 alert" {
    serve srv -Verify 1 -CAfile "$CERTS/ca.pem" -verify_return_error
    connect --ca "$CERTS/ca.pem" 127.0.0.1
    rejected 'alert'
}

@test "verify: the server requires a client certificate from its CA, one from another CA: 76 alert" {
    serve srv -Verify 1 -CAfile "$CERTS/ca.pem" -verify_return_error
    connect --ca "$CERTS/ca.pem" --cert "$CERTS/client2.pem" --key "$CERTS/client2.key" 127.0.0.1
    rejected 'alert'
}

# ------------------------------------------------------------------ not TLS, broken servers

@test "verify: a plaintext server that greets with 'hello': 76 not TLS" {
    start_peer peer --send 'hello\n'
    connect --ca "$CERTS/ca.pem" 127.0.0.1
    rejected 'not TLS'
}

@test "verify: a plaintext server that answers the ClientHello with an HTTP error: 76 not TLS" {
    start_peer peer --when request --request-bytes 5 --send 'HTTP/1.0 400 Bad Request\r\n\r\n'
    connect --ca "$CERTS/ca.pem" 127.0.0.1
    rejected 'not TLS'
}

@test "verify: a server that reads the ClientHello and closes: 76" {
    start_tls_peer peer --close-after-hello
    connect --ca "$CERTS/ca.pem" 127.0.0.1
    assert_status 76
    assert_one_error '.'
    assert_output ""
}

# Truncation: the server closes TCP without close_notify while aecat's side
# is still open (stdin held open; after aecat's own close_notify the same
# close is a normal end: tls_close.bats).
@test "verify: a server that closes TCP without close_notify after its data: 76 without close_notify, data printed" {
    start_tls_peer peer --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" --send 'partial data\n' --then cut
    hold_open_stdin
    run --separate-stderr ae --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 76
    assert_one_error 'without close_notify'
    assert_output "partial data"
}

@test "verify: truncation after 2 MB: all 2 MB printed, then 76" {
    head -c 2M /dev/urandom >"$T/big"
    start_tls_peer peer --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" --send-file "$T/big" --then cut
    hold_open_stdin
    ae_files "$OPEN_STDIN" "$T/out" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT"
    assert_status 76
    assert_one_error 'without close_notify'
    assert_same "$T/out" "$T/big" "data before the truncation"
}

# The truncation is then the peer's EOF, and stdin, held open, would still
# flow to the peer (END OF STREAM): --peer-eof-grace 0 ends the run there.
@test "verify: truncation with --tls-allow-truncation is a normal end: 0" {
    start_tls_peer peer --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" --send 'partial data\n' --then cut
    hold_open_stdin
    run --separate-stderr ae --tls --ca "$CERTS/ca.pem" --tls-allow-truncation --peer-eof-grace 0 \
        127.0.0.1 "$PORT" <"$OPEN_STDIN"
    assert_status 0
    assert_output "partial data"
    [ ${#stderr_lines[@]} -eq 0 ] || fail "stderr: $stderr"
}

@test "verify: the same server with close_notify: 0 (control for the truncation tests)" {
    start_tls_peer peer --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" --send 'partial data\n'
    run --separate-stderr ae --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT" </dev/null
    assert_status 0
    assert_output "partial data"
}

@test "verify: a silent server (accepts, never answers) with --connect-timeout 0.5: 75 in about 0.5 s" {
    start_peer peer --then hold
    run_timed --separate-stderr -- ae --tls --ca "$CERTS/ca.pem" --connect-timeout 0.5 127.0.0.1 "$PORT" </dev/null
    assert_status 75
    assert_one_error '^aecat: timeout:'
    assert_elapsed 0.45 3
}

@test "verify: a silent server with -w 0.5: 75 in about 0.5 s" {
    start_peer peer --then hold
    run_timed --separate-stderr -- ae --tls --ca "$CERTS/ca.pem" -w 0.5 127.0.0.1 "$PORT" </dev/null
    assert_status 75
    assert_one_error '^aecat: timeout:'
    assert_elapsed 0.45 3
}

@test "verify: -l --tls, a client that connects and never sends a ClientHello, -w 0.5: 75" {
    start_aecat_listener lst --tls --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" -w 0.5
    exec {fd}<>/dev/tcp/127.0.0.1/"$LPORT"
    wait_pid "$AE_PID" 5
    exec {fd}>&-
    [ "$WAIT_RC" -eq 75 ] || fail "aecat -l --tls exited $WAIT_RC, expected 75: $(cat "$T/lst.err")"
    grep -q '^aecat: timeout:' "$T/lst.err" || fail "stderr: $(cat "$T/lst.err")"
}

# ------------------------------------------------------------------ bad files: 78

# bad_file REGEX ARGS...: aecat ARGS exits 78 with one line matching REGEX.
bad_file() {
    local re=$1; shift
    run --separate-stderr ae "$@" </dev/null
    assert_status 78
    assert_one_error "$re"
}

@test "files: client --cert that does not exist, or whose --key does not match: 78 naming them" {
    start_ossl_server srv -rev -cert "$CERTS/srv.pem" -key "$CERTS/srv.key"
    bad_file "$T/nope\.pem" --tls --ca "$CERTS/ca.pem" --cert "$T/nope.pem" --key "$CERTS/client.key" 127.0.0.1 "$PORT"
    bad_file "client\.pem|client2\.key" --tls --ca "$CERTS/ca.pem" --cert "$CERTS/client.pem" \
        --key "$CERTS/client2.key" 127.0.0.1 "$PORT"
}

@test "files: -l --tls --cert or --key that does not exist or is not PEM: 78 naming it" {
    bad_file "$T/nope\.pem" -l 127.0.0.1 0 --tls --cert "$T/nope.pem"
    bad_file "$T/nokey\.pem" -l 127.0.0.1 0 --tls --cert "$CERTS/srv.pem" --key "$T/nokey.pem"
    bad_file 'garbage\.pem' -l 127.0.0.1 0 --tls --cert "$CERTS/garbage.pem" --key "$CERTS/srv.key"
    bad_file 'garbage\.pem' -l 127.0.0.1 0 --tls --cert "$CERTS/srv.pem" --key "$CERTS/garbage.pem"
}

@test "files: -l --tls --key that does not match --cert, or no key at all: 78" {
    bad_file "srv\.pem|self\.key" -l 127.0.0.1 0 --tls --cert "$CERTS/srv.pem" --key "$CERTS/self.key"
    # no --key: the key would have to be in the --cert file
    bad_file "srv\.pem" -l 127.0.0.1 0 --tls --cert "$CERTS/srv.pem"
}

@test "files: --ca that is not PEM or does not exist: 78 naming it" {
    start_ossl_server srv -rev -cert "$CERTS/srv.pem" -key "$CERTS/srv.key"
    bad_file 'garbage\.pem' --tls --ca "$CERTS/garbage.pem" 127.0.0.1 "$PORT"
    bad_file "$T/noca\.pem" --tls --ca "$T/noca.pem" 127.0.0.1 "$PORT"
}

@test "files: -l --tls --verify-client --ca that is not PEM: 78 naming it" {
    bad_file 'garbage\.pem' -l 127.0.0.1 0 --tls --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" \
        --verify-client --ca "$CERTS/garbage.pem"
}

# ------------------------------------------------------------------ usage: 64

# usage_error REGEX ARGS...: aecat ARGS exits 64 with one line
# "aecat: usage: ..." matching REGEX, before any connection (port 1 would be
# refused: 69).
usage_error() {
    local re=$1; shift
    run --separate-stderr ae "$@" </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: .*$re"
}

@test "usage: --ca without --tls" {
    usage_error '--ca needs --tls, --tls-auto or --starttls' --ca "$CERTS/ca.pem" 127.0.0.1 1
}

@test "usage: --insecure, --pin, --servername, --alpn, --cert without --tls" {
    usage_error '--insecure needs --tls, --tls-auto or --starttls' --insecure 127.0.0.1 1
    usage_error '--pin needs --tls, --tls-auto or --starttls' --pin "$(pin_of "$CERTS/srv.pem")" 127.0.0.1 1
    usage_error '--servername needs --tls, --tls-auto or --starttls' --servername localhost 127.0.0.1 1
    usage_error '--alpn needs --tls, --tls-auto or --starttls' --alpn h2 127.0.0.1 1
    usage_error '--cert needs --tls, --tls-auto or --starttls' -l 127.0.0.1 0 --cert "$CERTS/srv.pem"
}

@test "usage: --tls-info, --tls-priority, --tls-allow-truncation, --verify-client without --tls" {
    usage_error '--tls-info needs --tls, --tls-auto or --starttls' --tls-info 127.0.0.1 1
    usage_error '--tls-priority needs --tls, --tls-auto or --starttls' --tls-priority NORMAL 127.0.0.1 1
    usage_error '--tls-allow-truncation needs --tls, --tls-auto or --starttls' --tls-allow-truncation 127.0.0.1 1
    usage_error '(--verify-client|--ca) needs --tls, --tls-auto or --starttls' -l 127.0.0.1 0 --verify-client --ca "$CERTS/ca.pem"
}

@test "usage: --verify-client without --ca, --tls-auto without -l" {
    usage_error 'verify-client' -l 127.0.0.1 0 --tls --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" --verify-client
    usage_error 'tls-auto' --tls-auto 127.0.0.1 1
}

@test "usage: bad --pin: no pin-sha256: prefix, not base64, not 32 bytes" {
    usage_error 'pin' --tls --pin "sha256:$(pin_of "$CERTS/srv.pem" | cut -d: -f2)" 127.0.0.1 1
    usage_error 'pin' --tls --pin 'pin-sha256:not*base64!' 127.0.0.1 1
    usage_error 'pin' --tls --pin 'pin-sha256:aGVsbG8=' 127.0.0.1 1
}

@test "usage: a bad --tls-priority string, client and -l" {
    usage_error 'priority' --tls --tls-priority 'NORMAL:+NO-SUCH-THING' 127.0.0.1 1
    usage_error 'priority' -l 127.0.0.1 0 --tls --tls-priority 'BOGUS'
}
