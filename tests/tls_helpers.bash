# SPDX-License-Identifier: MIT
# Helpers for the TLS suites (tls*.bats) and the TLS cases of dialog.bats,
# jsonlog.bats and servers_helpers.bash; load after helpers:
#
#   load helpers
#   load tls_helpers
#   setup_file() { make_test_certs; }
#
# make_test_certs writes a small PKI into $CERTS ($BATS_FILE_TMPDIR/certs),
# once per file, with certtool (ECDSA P-256 keys: fast):
#   ca.pem/.key        the test CA ("aecat test CA")
#   ca2.pem/.key       an unrelated second CA ("aecat other CA")
#   srv.pem/.key       server, CN localhost, SAN DNS localhost, IP 127.0.0.1 and ::1, by ca
#   self.pem/.key      self-signed server cert with the same names
#   expired.pem/.key   by ca, same names, valid 2018-01-01 .. 2019-01-01
#   future.pem/.key    by ca, same names, valid 2090-01-01 .. 2091-01-01
#   wrong.pem/.key     by ca, CN/SAN other.example, no IP SAN
#   dnsonly.pem/.key   by ca, CN/SAN localhost, no IP SAN
#   client.pem/.key    client certificate (CN aecat test client) by ca
#   client2.pem/.key   client certificate (CN aecat stranger) by ca2
#   garbage.pem        not PEM at all
# Peers started here are spawned (stopped by PID in teardown) and waited for
# by readiness: a line they print, or their listening socket in /proc.

CERTS=$BATS_FILE_TMPDIR/certs

_cert_key() {   # _cert_key NAME: ECDSA P-256 private key NAME.key
    certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
        --outfile "$CERTS/$1.key" >/dev/null 2>&1 || { echo "certtool: key $1 failed" >&2; return 1; }
}

# _cert NAME SIGNER TEMPLATE-LINES...: NAME.key + NAME.pem, signed by SIGNER
# (a CA name) or self-signed when SIGNER is "self".  certtool failed a few
# times in hundreds of loaded runs (on the dated expired/future certificates)
# and never alone: one more try, and its own words when that fails too.
_cert() {
    local name=$1 signer=$2 try; shift 2
    printf '%s\n' "$@" >"$CERTS/$name.tmpl"
    for try in 1 2; do
        _cert_key "$name" || return 1
        if [ "$signer" = self ]; then
            certtool --generate-self-signed --load-privkey "$CERTS/$name.key" \
                --template "$CERTS/$name.tmpl" --outfile "$CERTS/$name.pem" >"$CERTS/$name.log" 2>&1
        else
            certtool --generate-certificate --load-privkey "$CERTS/$name.key" \
                --load-ca-certificate "$CERTS/$signer.pem" --load-ca-privkey "$CERTS/$signer.key" \
                --template "$CERTS/$name.tmpl" --outfile "$CERTS/$name.pem" >"$CERTS/$name.log" 2>&1
        fi && return 0
    done
    echo "certtool: certificate $name failed: $(tail -n 3 "$CERTS/$name.log")" >&2
    return 1
}

make_test_certs() {
    mkdir -p "$CERTS"
    local names=('dns_name = "localhost"' 'ip_address = "127.0.0.1"' 'ip_address = "::1"')
    local srv=(tls_www_server signing_key)
    _cert ca self 'cn = "aecat test CA"' ca cert_signing_key crl_signing_key 'expiration_days = 3650' &&
    _cert ca2 self 'cn = "aecat other CA"' ca cert_signing_key crl_signing_key 'expiration_days = 3650' &&
    _cert srv ca 'cn = "localhost"' "${names[@]}" "${srv[@]}" 'expiration_days = 3650' &&
    _cert self self 'cn = "localhost"' "${names[@]}" "${srv[@]}" 'expiration_days = 3650' &&
    _cert expired ca 'cn = "localhost"' "${names[@]}" "${srv[@]}" \
        'activation_date = "2018-01-01 00:00:00"' 'expiration_date = "2019-01-01 00:00:00"' &&
    _cert future ca 'cn = "localhost"' "${names[@]}" "${srv[@]}" \
        'activation_date = "2090-01-01 00:00:00"' 'expiration_date = "2091-01-01 00:00:00"' &&
    _cert wrong ca 'cn = "other.example"' 'dns_name = "other.example"' "${srv[@]}" 'expiration_days = 3650' &&
    _cert dnsonly ca 'cn = "localhost"' 'dns_name = "localhost"' "${srv[@]}" 'expiration_days = 3650' &&
    _cert client ca 'cn = "aecat test client"' tls_www_client signing_key 'expiration_days = 3650' &&
    _cert client2 ca2 'cn = "aecat stranger"' tls_www_client signing_key 'expiration_days = 3650' ||
        return 1
    printf 'this is not a PEM file\n' >"$CERTS/garbage.pem"
}

# pin_of CERT: "pin-sha256:BASE64" of CERT's public key (SubjectPublicKeyInfo), by openssl.
pin_of() {
    local b
    b=$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
        openssl dgst -sha256 -binary | base64) || return 1
    echo "pin-sha256:$b"
}

# listen_port PID [4|6]: the port of PID's first listening TCP socket
# (IPv4 by default), from /proc; empty if none yet.
listen_port() {
    local pid=$1 fam=${2:-4} tab inodes hex
    [ "$fam" = 6 ] && tab=/proc/net/tcp6 || tab=/proc/net/tcp
    inodes=$(find /proc/"$pid"/fd -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n')
    [ -n "$inodes" ] || return 0
    hex=$(awk -v inodes="$inodes" 'BEGIN { n = split(inodes, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
        NR > 1 && $4 == "0A" && ($10 in want) { split($2, la, ":"); print la[2]; exit }' "$tab")
    [ -z "$hex" ] || echo $((16#$hex))
}

# wait_listen PID [4|6] [SECS]: until PID listens; sets PORT.
wait_listen() {
    local pid=$1 fam=${2:-4} end=$(( $(now_us) + ${3:-10} * 1000000 ))
    PORT=
    while :; do
        PORT=$(listen_port "$pid" "$fam")
        [ -n "$PORT" ] && return 0
        kill -0 "$pid" 2>/dev/null || fail "process $pid exited before listening: $(cat "$T"/*.err 2>/dev/null | tail -5)"
        [ "$(now_us)" -lt "$end" ] || fail "process $pid not listening after ${3:-10} s"
        sleep 0.02
    done
}

# start_gnutls_serv NAME [-6] ARGS...: gnutls-serv -p 0 ARGS (it listens on
# 0.0.0.0 and :: with two different ports and does not print them, its
# stdout being block-buffered: the port is read from /proc).  Sets PORT
# (IPv4, or IPv6 with -6) and PEER_PID.
start_gnutls_serv() {
    local name=$1 fam=4; shift
    if [ "$1" = -6 ]; then fam=6; shift; fi
    spawn "$name" gnutls-serv -p 0 "$@"
    PEER_PID=$SPAWN_PID
    wait_listen "$PEER_PID" "$fam"
}

# start_ossl_server NAME [-6] ARGS...: openssl s_server -accept 127.0.0.1:0
# (or [::1]:0) ARGS; the port is read from /proc (its ACCEPT line is not
# printed with -quiet).  Sets PORT and PEER_PID.
start_ossl_server() {
    local name=$1 fam=4 addr=127.0.0.1:0; shift
    if [ "$1" = -6 ]; then fam=6; addr='[::1]:0'; shift; fi
    spawn "$name" openssl s_server -accept "$addr" "$@"
    PEER_PID=$SPAWN_PID
    wait_listen "$PEER_PID" "$fam"
}
# Same, with stdin from FILE (a FIFO made by feed).
start_ossl_server_in() {
    local in=$1 name=$2 fam=4 addr=127.0.0.1:0; shift 2
    if [ "$1" = -6 ]; then fam=6; addr='[::1]:0'; shift; fi
    spawn -i "$in" "$name" openssl s_server -accept "$addr" "$@"
    PEER_PID=$SPAWN_PID
    wait_listen "$PEER_PID" "$fam"
}

# start_tls_peer NAME ARGS...: tests/peers/tls_peer.py ARGS; sets PORT, PEER_PID.
start_tls_peer() {
    local name=$1; shift
    spawn "$name" "$PYTHON" "$PEERS/tls_peer.py" "$@"
    PEER_PID=$SPAWN_PID
    wait_for_line "$T/$name.out" "$PEER_PID"
    PORT=$(head -n1 "$T/$name.out")
}

# feed NAME FILE: a FIFO $T/NAME.fifo that delivers FILE and then stays open
# (no EOF) until end_feed: for peers that quit at EOF on stdin before what
# they still receive has arrived.  Sets FEED (the path) and FEED_PID.  The
# writer's open() waits for the reader: start the reader next.
feed() {
    FEED=$T/$1.fifo
    mkfifo "$FEED"
    { cat "$2"; exec sleep 600; } >"$FEED" 3>&- &
    FEED_PID=$!
    PIDS+=("$FEED_PID")
}
end_feed() { kill "$1" 2>/dev/null || true; }

# wait_size FILE BYTES [SECS]: until FILE holds at least BYTES bytes.
wait_size() {
    local f=$1 n=$2 end=$(( $(now_us) + ${3:-15} * 1000000 ))
    until [ -f "$f" ] && [ "$(stat -c %s "$f")" -ge "$n" ]; do
        [ "$(now_us)" -lt "$end" ] ||
            fail "$f holds $(stat -c %s "$f" 2>/dev/null || echo no) bytes after ${3:-15} s, expected $n"
        sleep 0.02
    done
}

# tls_info_has REGEX: a "aecat: tls: " line of $T/FILE (default the last
# ae_files run's stderr) matches the extended REGEX.
tls_info_has() {
    local re=$1 f=${2:-$T/ae.err}
    grep -E '^aecat: tls: ' "$f" | grep -Eq -- "$re" ||
        fail "no 'aecat: tls: ' line matching /$re/ in $f:
$(cat "$f")"
}

# assert_same FILE EXPECTED-FILE WHAT: the two files hold the same bytes.
assert_same() {
    [ -f "$1" ] || fail "$3: $1 missing"
    [ "$(sha "$1")" = "$(sha "$2")" ] ||
        fail "$3: $(stat -c %s "$1") bytes received, $(stat -c %s "$2") sent, sha256 differs"
}
