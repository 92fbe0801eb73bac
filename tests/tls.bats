#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# TLS (--tls, -l --tls, --tls-auto) against real TLS peers on loopback:
# gnutls-serv, gnutls-cli, openssl s_server / s_client, socat OPENSSL,
# Python's ssl module (tests/peers/tls_peer.py) and aecat itself.  Data is
# compared with sha256 both ways; the certificates are made in setup_file
# (tests/tls_helpers.bash).  The verification table is in tls_verify.bats.

load helpers
load tls_helpers

setup_file() {
    make_test_certs
    head -c 4M /dev/urandom >"$BATS_FILE_TMPDIR/a.bin"
    head -c 3M /dev/urandom >"$BATS_FILE_TMPDIR/b.bin"
    # gnutls-serv --echo echoes C strings: text only (no NUL)
    head -c 3M /dev/urandom | base64 >"$BATS_FILE_TMPDIR/text"
}

setup() {
    A=$BATS_FILE_TMPDIR/a.bin
    B=$BATS_FILE_TMPDIR/b.bin
    TEXT=$BATS_FILE_TMPDIR/text
    NA=$(stat -c %s "$A")
    NB=$(stat -c %s "$B")
    printf 'hello\n' >"$T/hello"
    SRV=(--cert "$CERTS/srv.pem" --key "$CERTS/srv.key")
}

# start_rev NAME ARGS...: openssl s_server -rev (answers each line reversed,
# logs the negotiated parameters on stdout and stderr) for one connection, with srv.pem
# unless ARGS give another -cert.
start_rev() {
    local name=$1; shift
    start_ossl_server "$name" -rev -naccept 1 -cert "$CERTS/srv.pem" -key "$CERTS/srv.key" "$@"
}

# srv_log: what s_server printed (it logs on both stdout and stderr).
srv_log() { cat "$T/srv.out" "$T/srv.err" 2>/dev/null; }

# s_client_exchange [S_CLIENT ARGS...]: after
#   hold_open_stdin 'hello\n'; start_aecat_listener -i "$OPEN_STDIN" lst ...
# openssl s_client -quiet ARGS sends "from s_client" and gets "hello"; the
# server's stdin ends (close_notify) only once it has printed the request,
# since s_client quits at the server's close_notify.  Both must exit 0.
s_client_exchange() {
    printf 'from s_client\n' >"$T/req"
    spawn -i "$T/req" cli timeout 10 openssl s_client -quiet "$@" -connect "127.0.0.1:$LPORT"
    local cli=$SPAWN_PID end=$(( $(now_us) + 10000000 ))
    until grep -qx 'from s_client' "$T/lst.out"; do
        kill -0 "$cli" 2>/dev/null ||
            fail "s_client ended before aecat printed its request: $(cat "$T/cli.err"); aecat: $(cat "$T/lst.err")"
        [ "$(now_us)" -lt "$end" ] || fail "aecat -l did not print the request in 10 s: $(cat "$T/lst.err")"
        sleep 0.02
    done
    close_open_stdin
    wait_pid "$cli"
    [ "$WAIT_RC" -eq 0 ] || fail "s_client exited $WAIT_RC: $(cat "$T/cli.err")"
    assert_equal "$(cat "$T/cli.out")" hello
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" "from s_client"
}

# spawn_ae NAME STDIN ARGS...: aecat ARGS in the background (bounded by
# AE_LIMIT), output in $T/NAME.out / .err; sets AE_PID.
spawn_ae() {
    local name=$1 in=$2; shift 2
    spawn -i "$in" "$name" timeout -k 2 "$AE_LIMIT" "$AECAT" "$@"
    AE_PID=$SPAWN_PID
}

# ------------------------------------------------------------------ client

@test "tls client: 4 MB of text both ways through gnutls-serv --echo" {
    start_gnutls_serv gs --echo --crlf --x509certfile "$CERTS/srv.pem" --x509keyfile "$CERTS/srv.key"
    ae_files "$TEXT" "$T/got" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT"
    assert_status 0
    assert_same "$T/got" "$TEXT" "echo from gnutls-serv"
    [ ! -s "$T/ae.err" ] || fail "stderr: $stderr"
}

@test "tls client: binary both ways at once with openssl s_server" {
    feed srv "$B"
    start_ossl_server_in "$FEED" srv -quiet -naccept 1 -cert "$CERTS/srv.pem" -key "$CERTS/srv.key"
    feed cli "$A"
    spawn_ae ae "$FEED" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT"
    wait_size "$T/ae.out" "$NB"
    wait_size "$T/srv.out" "$NA"
    end_feed "$FEED_PID"          # aecat: EOF on stdin, close_notify; s_server closes
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
    assert_same "$T/ae.out" "$B" "aecat from s_server"
    assert_same "$T/srv.out" "$A" "s_server from aecat"
    [ ! -s "$T/ae.err" ] || fail "stderr: $(cat "$T/ae.err")"
}

@test "tls client: binary both ways with socat OPENSSL-LISTEN" {
    start_socat_listener srv -t 30 \
        "OPENSSL-LISTEN:0,bind=127.0.0.1,cert=$CERTS/srv.pem,key=$CERTS/srv.key,verify=0" \
        "OPEN:$B,rdonly!!CREATE:$T/recv"
    ae_files "$A" "$T/got" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT"
    assert_status 0
    wait_pid "$PEER_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "socat exited $WAIT_RC: $(cat "$T/srv.err" | grep -v ' [NI] ')"
    assert_same "$T/got" "$B" "aecat from socat"
    assert_same "$T/recv" "$A" "socat from aecat"
}

@test "tls client: binary both ways with socat OPENSSL-LISTEN on ::1" {
    start_socat_listener srv -t 30 \
        "OPENSSL-LISTEN:0,pf=ip6,bind=[::1],cert=$CERTS/srv.pem,key=$CERTS/srv.key,verify=0" \
        "OPEN:$B,rdonly!!CREATE:$T/recv"
    ae_files "$A" "$T/got" --tls --ca "$CERTS/ca.pem" ::1 "$PORT"
    assert_status 0
    wait_pid "$PEER_PID"
    assert_same "$T/got" "$B" "aecat from socat"
    assert_same "$T/recv" "$A" "socat from aecat"
}

@test "tls client: TLS 1.2 forced with --tls-priority, --tls-info and s_server agree" {
    start_rev srv
    ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" --tls-priority NORMAL:-VERS-ALL:+VERS-TLS1.2 \
        --tls-info 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" olleh
    tls_info_has 'TLS ?1\.2'
    ! grep -E '^aecat: tls: ' "$T/ae.err" | grep -Eq 'TLS ?1\.3' || fail "TLS1.3 in --tls-info: $stderr"
    srv_log | grep -q 'Protocol version: TLSv1.2' || fail "s_server: $(srv_log)"
    ! grep -v '^aecat: tls: ' "$T/ae.err" | grep -q . || fail "stderr lines other than --tls-info: $stderr"
}

@test "tls client: TLS 1.3 forced with --tls-priority, --tls-info and s_server agree" {
    start_rev srv
    ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" --tls-priority NORMAL:-VERS-ALL:+VERS-TLS1.3 \
        --tls-info 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" olleh
    tls_info_has 'TLS ?1\.3'
    srv_log | grep -q 'Protocol version: TLSv1.3' || fail "s_server: $(srv_log)"
}

@test "tls client: TLS 1.3 only against a TLS 1.2-only s_server is a handshake failure (76, alert)" {
    start_rev srv -tls1_2
    run --separate-stderr ae --tls --ca "$CERTS/ca.pem" --tls-priority NORMAL:-VERS-ALL:+VERS-TLS1.3 \
        127.0.0.1 "$PORT" <"$T/hello"
    assert_status 76
    assert_one_error 'alert'
    assert_output ""
}

@test "tls client: --tls-info shows the cipher, the server certificate, its pin and the verification" {
    start_rev srv
    ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" --tls-info 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" olleh
    tls_info_has 'AES|CHACHA'
    tls_info_has 'CN=localhost'
    tls_info_has 'CN=aecat test CA'
    tls_info_has "$(pin_of "$CERTS/srv.pem" | sed 's/+/\\+/g')"
    tls_info_has '[Vv]erif'
}

@test "tls client: ALPN h2 negotiated with gnutls-serv --alpn-fatal, shown by --tls-info" {
    start_gnutls_serv gs --echo --alpn=h2 --alpn-fatal --x509certfile "$CERTS/srv.pem" --x509keyfile "$CERTS/srv.key"
    ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" --alpn http/1.1,h2 --tls-info 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" hello
    tls_info_has 'alpn.*h2'
}

@test "tls client: ALPN with no common protocol: gnutls-serv --alpn-fatal refuses (76, alert)" {
    start_gnutls_serv gs --echo --alpn=h2 --alpn-fatal --x509certfile "$CERTS/srv.pem" --x509keyfile "$CERTS/srv.key"
    run --separate-stderr ae --tls --ca "$CERTS/ca.pem" --alpn http/1.1 127.0.0.1 "$PORT" <"$T/hello"
    assert_status 76
    assert_one_error 'alert'
}

@test "tls client: ALPN selected by openssl s_server -alpn" {
    start_rev srv -alpn h2,http/1.1
    ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" --alpn foo,http/1.1 --tls-info 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" olleh
    srv_log | grep -q 'ALPN protocols selected: http/1.1' || fail "s_server: $(srv_log)"
    tls_info_has 'alpn.*http/1\.1'
}

@test "tls client: SNI from --servername is seen by openssl s_server" {
    start_rev srv -servername localhost -cert2 "$CERTS/srv.pem" -key2 "$CERTS/srv.key"
    ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" --servername localhost 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" olleh
    srv_log | grep -q 'Hostname in TLS extension: "localhost"' || fail "s_server: $(srv_log)"
}

@test "tls client: SNI is the HOST operand when it is a name" {
    start_rev srv -servername localhost -cert2 "$CERTS/srv.pem" -key2 "$CERTS/srv.key"
    ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" -4 localhost "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" olleh
    srv_log | grep -q 'Hostname in TLS extension: "localhost"' || fail "s_server: $(srv_log)"
}

@test "tls client: no SNI for an IP literal" {
    start_rev srv -servername localhost -cert2 "$CERTS/srv.pem" -key2 "$CERTS/srv.key"
    ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" olleh
    ! srv_log | grep -q 'Hostname in TLS extension' || fail "SNI sent: $(srv_log | grep Hostname)"
}

@test "tls client: SNI other than the server's --sni-hostname: gnutls-serv --sni-hostname-fatal refuses (76)" {
    start_gnutls_serv gs --echo --sni-hostname=localhost --sni-hostname-fatal \
        --x509certfile "$CERTS/wrong.pem" --x509keyfile "$CERTS/wrong.key"
    run --separate-stderr ae --tls --ca "$CERTS/ca.pem" --servername other.example 127.0.0.1 "$PORT" <"$T/hello"
    assert_status 76
    assert_one_error 'alert'
}

# ------------------------------------------------------------------ server

# gnutls-cli prints what it receives slowly (about 0.6 MB/s here): it gets
# 256 KB, and sends 4 MB.
@test "tls server: binary both ways with gnutls-cli" {
    head -c 256K "$B" >"$T/b256"
    feed srv "$T/b256"
    # its stdin stays open: the client's close ends it
    start_aecat_listener -i "$FEED" lst --tls "${SRV[@]}" --peer-eof-grace 0
    SRV_FEED=$FEED_PID
    feed cli "$A"
    spawn -i "$FEED" cli gnutls-cli --logfile="$T/cli.log" --x509cafile "$CERTS/ca.pem" -p "$LPORT" 127.0.0.1
    CLI_PID=$SPAWN_PID
    wait_size "$T/cli.out" 262144
    wait_size "$T/lst.out" "$NA"
    end_feed "$FEED_PID"          # gnutls-cli: EOF on stdin, close_notify, close
    wait_pid "$CLI_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "gnutls-cli exited $WAIT_RC: $(cat "$T/cli.err" "$T/cli.log")"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    end_feed "$SRV_FEED"
    assert_same "$T/cli.out" "$T/b256" "gnutls-cli from aecat"
    assert_same "$T/lst.out" "$A" "aecat from gnutls-cli"
}

@test "tls server: binary both ways with openssl s_client" {
    feed srv "$B"
    start_aecat_listener -i "$FEED" lst --tls "${SRV[@]}"
    SRV_FEED=$FEED_PID
    spawn -i "$A" cli openssl s_client -quiet -verify_return_error -CAfile "$CERTS/ca.pem" \
        -verify_ip 127.0.0.1 -connect "127.0.0.1:$LPORT"
    CLI_PID=$SPAWN_PID
    wait_size "$T/cli.out" "$NB"
    wait_size "$T/lst.out" "$NA"
    end_feed "$SRV_FEED"          # aecat: EOF on stdin, close_notify; s_client answers and closes
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    wait_pid "$CLI_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "s_client exited $WAIT_RC: $(cat "$T/cli.err")"
    assert_same "$T/cli.out" "$B" "s_client from aecat"
    assert_same "$T/lst.out" "$A" "aecat from s_client"
}

@test "tls server: binary both ways with socat OPENSSL:" {
    start_aecat_listener -i "$B" lst --tls "${SRV[@]}"
    run timeout 30 socat -t 30 "OPEN:$A,rdonly!!CREATE:$T/recv" \
        "OPENSSL:127.0.0.1:$LPORT,cafile=$CERTS/ca.pem" 3>&-
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_same "$T/recv" "$B" "socat from aecat"
    assert_same "$T/lst.out" "$A" "aecat from socat"
}

@test "tls server: a TLS 1.2 client (openssl s_client -tls1_2), --tls-info says TLS1.2" {
    hold_open_stdin 'hello\n'
    start_aecat_listener -i "$OPEN_STDIN" lst --tls "${SRV[@]}" --tls-info
    s_client_exchange -tls1_2 -verify_return_error -CAfile "$CERTS/ca.pem"
    tls_info_has 'TLS ?1\.2' "$T/lst.err"
}

@test "tls server: on ::1, aecat to aecat" {
    start_aecat_ready -i "$B" lst -l ::1 0 --tls "${SRV[@]}"
    ae_files "$A" "$T/got" --tls --ca "$CERTS/ca.pem" ::1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_same "$T/got" "$B" "client from server"
    assert_same "$T/lst.out" "$A" "server from client"
}

@test "tls server: ephemeral certificate, its pin on the --ready line, used by an aecat client" {
    start_aecat_listener -i "$B" lst --tls
    [[ $READY_LINE =~ ^listening\ 127\.0\.0\.1\ [0-9]+\ (pin-sha256:[A-Za-z0-9+/]{43}=)$ ]] ||
        fail "ready line: $READY_LINE"
    PIN=${BASH_REMATCH[1]}
    LPORT=${LPORT%% *}
    grep -qxF "aecat: ephemeral certificate $PIN" "$T/lst.err" || fail "stderr: $(cat "$T/lst.err")"
    ae_files "$A" "$T/got" --tls --pin "$PIN" 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_same "$T/got" "$B" "client from server"
    assert_same "$T/lst.out" "$A" "server from client"
}

@test "tls server: the ephemeral certificate is ECDSA P-256 for localhost, 127.0.0.1, ::1 and its pin is its key's" {
    start_aecat_listener lst --tls
    PIN=${READY_LINE##* }
    LPORT=${LPORT%% *}
    run --separate-stderr timeout 10 openssl s_client -ign_eof -connect "127.0.0.1:$LPORT" -showcerts </dev/null 3>&-
    sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' <<<"$output" >"$T/eph.pem"
    [ -s "$T/eph.pem" ] || fail "no certificate from s_client: $output"
    assert_equal "$(pin_of "$T/eph.pem")" "$PIN"
    run openssl x509 -in "$T/eph.pem" -noout -text
    assert_output --partial 'DNS:localhost'
    assert_output --partial 'IP Address:127.0.0.1'
    assert_output --partial 'IP Address:0:0:0:0:0:0:0:1'
    assert_output --regexp 'prime256v1|P-256'
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
}

@test "tls server: a client with a wrong --pin fails (76, pin mismatch), so does the server (76)" {
    start_aecat_listener -i "$B" lst --tls
    LPORT=${LPORT%% *}
    ae_files "$A" "$T/got" --tls --pin "$(pin_of "$CERTS/self.pem")" 127.0.0.1 "$LPORT"
    assert_status 76
    assert_one_error 'pin mismatch'
    [ ! -s "$T/got" ] || fail "the client printed $(stat -c %s "$T/got") bytes"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 76 ] || fail "aecat -l --tls exited $WAIT_RC, expected 76: $(cat "$T/lst.err")"
    [ ! -s "$T/lst.out" ] || fail "the server printed $(stat -c %s "$T/lst.out") bytes"
}

@test "tls server: --verify-client --ca, a client certificate from the CA gets through" {
    start_aecat_listener -i "$B" lst --tls "${SRV[@]}" --verify-client --ca "$CERTS/ca.pem" --tls-info
    ae_files "$A" "$T/got" --tls --ca "$CERTS/ca.pem" --cert "$CERTS/client.pem" --key "$CERTS/client.key" \
        127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_same "$T/got" "$B" "client from server"
    assert_same "$T/lst.out" "$A" "server from client"
    tls_info_has 'CN=aecat test client' "$T/lst.err"
}

@test "tls server: --verify-client with openssl s_client -cert" {
    hold_open_stdin 'hello\n'
    start_aecat_listener -i "$OPEN_STDIN" lst --tls "${SRV[@]}" --verify-client --ca "$CERTS/ca.pem" --tls-info
    s_client_exchange -verify_return_error -CAfile "$CERTS/ca.pem" \
        -cert "$CERTS/client.pem" -key "$CERTS/client.key"
    tls_info_has 'CN=aecat test client' "$T/lst.err"
}

@test "tls server: --verify-client, a client without certificate: server 76 no certificate, client 76" {
    start_aecat_listener -i "$B" lst --tls "${SRV[@]}" --verify-client --ca "$CERTS/ca.pem"
    ae_files "$A" "$T/got" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$LPORT"
    assert_status 76
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 76 ] || fail "aecat -l --tls exited $WAIT_RC, expected 76: $(cat "$T/lst.err")"
    mapfile -t stderr_lines <"$T/lst.err"
    assert_one_error 'no certificate'
    [ ! -s "$T/lst.out" ] || fail "the server printed $(stat -c %s "$T/lst.out") bytes"
    [ ! -s "$T/got" ] || fail "the client printed $(stat -c %s "$T/got") bytes"
}

# (a GnuTLS client, aecat included, sends no certificate whose issuer is not
# in the server's CertificateRequest list: openssl s_client sends it anyway)
@test "tls server: --verify-client, a client certificate from another CA (s_client): server 76 unknown issuer" {
    start_aecat_listener -i "$T/hello" lst --tls "${SRV[@]}" --verify-client --ca "$CERTS/ca.pem"
    run --separate-stderr timeout 10 openssl s_client -quiet -CAfile "$CERTS/ca.pem" \
        -cert "$CERTS/client2.pem" -key "$CERTS/client2.key" -connect "127.0.0.1:$LPORT" <"$T/hello" 3>&-
    [ "$status" -ne 0 ] || fail "s_client exited 0: $output $stderr"
    assert_output ""
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 76 ] || fail "aecat -l --tls exited $WAIT_RC, expected 76: $(cat "$T/lst.err")"
    mapfile -t stderr_lines <"$T/lst.err"
    assert_one_error 'unknown issuer'
    [ ! -s "$T/lst.out" ] || fail "the server printed $(stat -c %s "$T/lst.out") bytes"
}

@test "tls server: --tls-info shows the SNI the client sent" {
    start_aecat_listener -i "$T/hello" lst --tls "${SRV[@]}" --tls-info
    ae_files "$T/hello" "$T/got" --tls --ca "$CERTS/ca.pem" --servername localhost 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    tls_info_has 'sni localhost' "$T/lst.err"
}

@test "tls server: --tls-info shows the SNI sent by openssl s_client -servername" {
    start_aecat_listener -i "$T/hello" lst --tls "${SRV[@]}" --tls-info
    run --separate-stderr timeout 10 openssl s_client -quiet -servername sni.example -connect "127.0.0.1:$LPORT" <"$T/hello" 3>&-
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    tls_info_has 'sni sni\.example' "$T/lst.err"
}

@test "tls server: --alpn, the protocol chosen is the one both know (s_client -alpn)" {
    start_aecat_listener -i "$T/hello" lst --tls "${SRV[@]}" --alpn h2 --tls-info
    run --separate-stderr timeout 10 openssl s_client -ign_eof -alpn http/1.1,h2 -connect "127.0.0.1:$LPORT" <"$T/hello" 3>&-
    assert_output --partial 'ALPN protocol: h2'
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    tls_info_has 'alpn.*h2' "$T/lst.err"
}

# ------------------------------------------------------------------ --tls-auto

@test "tls-auto: an aecat TLS client gets through both ways" {
    start_aecat_listener -i "$B" lst --tls-auto "${SRV[@]}"
    ae_files "$A" "$T/got" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls-auto exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_same "$T/got" "$B" "client from server"
    assert_same "$T/lst.out" "$A" "server from client"
}

@test "tls-auto: openssl s_client gets through (verified, data both ways)" {
    hold_open_stdin 'hello\n'
    start_aecat_listener -i "$OPEN_STDIN" lst --tls-auto "${SRV[@]}"
    s_client_exchange -verify_return_error -CAfile "$CERTS/ca.pem"
}

@test "tls-auto: a plaintext aecat client gets through both ways" {
    start_aecat_listener -i "$B" lst --tls-auto "${SRV[@]}"
    ae_files "$A" "$T/got" 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls-auto exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_same "$T/got" "$B" "client from server"
    assert_same "$T/lst.out" "$A" "server from client"
}

@test "tls-auto: a plaintext socat client gets through both ways" {
    start_aecat_listener -i "$B" lst --tls-auto "${SRV[@]}"
    run timeout 30 socat -t 30 "OPEN:$A,rdonly!!CREATE:$T/recv" "TCP4:127.0.0.1:$LPORT" 3>&-
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls-auto exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_same "$T/recv" "$B" "socat from aecat"
    assert_same "$T/lst.out" "$A" "aecat from socat"
}

@test "tls-auto: a plaintext client that sends 1 byte and half-closes" {
    start_aecat_listener -i "$T/hello" lst --tls-auto "${SRV[@]}"
    printf 'x' >"$T/one"
    ae_files "$T/one" "$T/got" 127.0.0.1 "$LPORT"
    assert_status 0
    assert_equal "$(cat "$T/got")" hello
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls-auto exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" x
}

# ------------------------------------------------------------------ half-close

@test "half-close over TLS: aecat sends 3 MB, close_notify, and still gets the reply sent after it" {
    start_tls_peer peer --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" --when eof \
        --send 'got everything\n' --recv "$T/recv" --events "$T/ev"
    ae_files "$B" "$T/out" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "got everything"
    wait_pid "$PEER_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "peer exited $WAIT_RC: $(cat "$T/peer.err")"
    assert_same "$T/recv" "$B" "peer from aecat"
    grep -qx "eof $NB close_notify" "$T/ev" || fail "peer events (close_notify expected): $(cat "$T/ev")"
}

@test "half-close over TLS 1.2: the reply after aecat's close_notify arrives" {
    start_tls_peer peer --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" --max-version 1.2 --when eof \
        --send 'late reply\n' --recv "$T/recv" --events "$T/ev"
    ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" --tls-info 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "late reply"
    tls_info_has 'TLS ?1\.2'
    wait_pid "$PEER_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "peer exited $WAIT_RC: $(cat "$T/peer.err")"
    assert_equal "$(cat "$T/recv")" hello
    grep -qx 'eof 6 close_notify' "$T/ev" || fail "peer events: $(cat "$T/ev")"
}

@test "half-close over TLS: aecat -l --tls sends its stdin and close_notify, then gets the client's late reply" {
    printf 'server says hi\n' >"$T/reply"
    start_aecat_listener -i "$T/reply" lst --tls "${SRV[@]}"
    run timeout 10 "$PYTHON" "$PEERS/tls_peer.py" --connect "$LPORT" --ca "$CERTS/ca.pem" \
        --when eof --send 'late from client\n' --recv "$T/recv" --events "$T/ev" 3>&-
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" "late from client"
    assert_equal "$(cat "$T/recv")" "server says hi"
    grep -qx 'eof 15 close_notify' "$T/ev" || fail "client events: $(cat "$T/ev")"
}

@test "close over TLS: a server that closes first (close_notify) while aecat's stdin stays open: 0, and aecat answers with close_notify" {
    start_tls_peer peer --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" --send 'bye\n' --then close_first --events "$T/ev"
    hold_open_stdin
    # stdin would be waited for after the peer's EOF: --peer-eof-grace 0 ends it there
    ae_files "$OPEN_STDIN" "$T/out" --tls --ca "$CERTS/ca.pem" --peer-eof-grace 0 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" bye
    wait_pid "$PEER_PID"
    grep -qx 'shutdown close_notify' "$T/ev" || fail "the server did not get aecat's close_notify: $(cat "$T/ev")"
}

@test "close over TLS: aecat to aecat, the server's stdin stays open, the client sends and half-closes: both exit 0" {
    hold_open_stdin
    start_aecat_listener -i "$OPEN_STDIN" lst --tls "${SRV[@]}" --peer-eof-grace 0
    printf 'from client\n' >"$T/req"
    ae_files "$T/req" "$T/out" --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$LPORT"
    assert_status 0
    [ ! -s "$T/ae.err" ] || fail "client stderr: $stderr"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_equal "$(cat "$T/lst.out")" "from client"
}

# ------------------------------------------------------------------ framing

@test "framing over TLS: --frame netstring, aecat to aecat, frames both ways" {
    printf 'alpha\n\nthird frame: with spaces\n%s\n' "$(head -c 30000 /dev/urandom | base64 -w0)" >"$T/cframes"
    printf 'one\ntwo\n%s\n\n' "$(head -c 50000 /dev/urandom | base64 -w0)" >"$T/sframes"
    start_aecat_listener -i "$T/sframes" lst --tls "${SRV[@]}" --frame netstring
    ae_files "$T/cframes" "$T/got" --tls --ca "$CERTS/ca.pem" --frame netstring 127.0.0.1 "$LPORT"
    assert_status 0
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    assert_same "$T/got" "$T/sframes" "frames from the server"
    assert_same "$T/lst.out" "$T/cframes" "frames from the client"
}

# gnutls-serv --echo answers whole lines only, and no NUL: line frames
@test "framing over TLS: --frame line --records hex through gnutls-serv --echo" {
    {
        echo 68656c6c6f
        echo
        echo 41
        echo 2c3a2c09
        head -c 20000 /dev/urandom | base64 -w0 | od -An -v -tx1 | tr -d ' \n'
        echo
    } >"$T/frames.hex"
    start_gnutls_serv gs --echo --crlf --x509certfile "$CERTS/srv.pem" --x509keyfile "$CERTS/srv.key"
    ae_files "$T/frames.hex" "$T/out.hex" --tls --ca "$CERTS/ca.pem" --frame line --records hex 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(tr A-F a-f <"$T/out.hex")" "$(cat "$T/frames.hex")"
}

@test "framing over TLS: --frame line, 10000 lines from an aecat server to an aecat client" {
    seq 1 10000 | sed 's/$/ a line of text/' >"$T/lines"
    start_aecat_listener -i "$T/lines" lst --tls "${SRV[@]}" --frame line
    ae_files /dev/null "$T/got" --tls --ca "$CERTS/ca.pem" --frame line 127.0.0.1 "$LPORT"
    assert_status 0
    assert_same "$T/got" "$T/lines" "lines"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
}

# ------------------------------------------------------------------ SSLKEYLOGFILE

# keylog_lines FILE LABEL: the lines of FILE with LABEL, sorted.
keylog_lines() { grep "^$2 " "$1" | sort; }

@test "SSLKEYLOGFILE: TLS 1.3 client secrets, the same as openssl s_server's -keylogfile" {
    start_rev srv -keylogfile "$T/srv.keys"
    SSLKEYLOGFILE=$T/ae.keys ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" \
        --tls-priority NORMAL:-VERS-ALL:+VERS-TLS1.3 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" olleh
    [ -s "$T/ae.keys" ] || fail "no key log written"
    grep -Eq '^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{64,96}$' "$T/ae.keys" ||
        fail "key log: $(cat "$T/ae.keys")"
    wait_pid "$PEER_PID"
    local l
    for l in CLIENT_HANDSHAKE_TRAFFIC_SECRET SERVER_HANDSHAKE_TRAFFIC_SECRET CLIENT_TRAFFIC_SECRET_0; do
        [ -n "$(keylog_lines "$T/ae.keys" "$l")" ] || fail "no $l in the key log: $(cat "$T/ae.keys")"
        assert_equal "$(keylog_lines "$T/ae.keys" "$l")" "$(keylog_lines "$T/srv.keys" "$l")"
    done
}

@test "SSLKEYLOGFILE: TLS 1.2 client CLIENT_RANDOM, the same as openssl s_server's" {
    start_rev srv -keylogfile "$T/srv.keys"
    SSLKEYLOGFILE=$T/ae.keys ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" \
        --tls-priority NORMAL:-VERS-ALL:+VERS-TLS1.2 127.0.0.1 "$PORT"
    assert_status 0
    grep -Eq '^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$' "$T/ae.keys" || fail "key log: $(cat "$T/ae.keys" 2>&1)"
    wait_pid "$PEER_PID"
    assert_equal "$(keylog_lines "$T/ae.keys" CLIENT_RANDOM)" "$(keylog_lines "$T/srv.keys" CLIENT_RANDOM)"
}

@test "SSLKEYLOGFILE: an aecat TLS server's secrets, the same as openssl s_client's -keylogfile" {
    SSLKEYLOGFILE=$T/ae.keys start_aecat_listener -i "$T/hello" lst --tls "${SRV[@]}"
    run --separate-stderr timeout 10 openssl s_client -quiet -keylogfile "$T/cli.keys" -connect "127.0.0.1:$LPORT" <"$T/hello" 3>&-
    assert_output hello
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    local l
    for l in CLIENT_HANDSHAKE_TRAFFIC_SECRET SERVER_HANDSHAKE_TRAFFIC_SECRET SERVER_TRAFFIC_SECRET_0; do
        [ -n "$(keylog_lines "$T/ae.keys" "$l")" ] || fail "no $l in the key log: $(cat "$T/ae.keys" 2>&1)"
        assert_equal "$(keylog_lines "$T/ae.keys" "$l")" "$(keylog_lines "$T/cli.keys" "$l")"
    done
}
