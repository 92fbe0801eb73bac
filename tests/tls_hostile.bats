#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# TLS hardening against what a hostile or careless peer hands over: its
# certificate's strings are escaped wherever aecat prints them (an issuer
# CN with a newline and ESC forges no "aecat: tls: verification ok" line,
# a NUL in a subjectAltName does not cut the name), the JSON log keeps
# their exact bytes as valid JSON; a server certificate without
# subjectAltName is refused; TLS 1.0 and 1.1 are refused unless
# --tls-priority enables them; a TLS name starting with a dot is a usage
# error.  The certificates are made by openssl here (certtool cannot write
# control bytes or a NUL into a name).

load helpers
load tls_helpers

FORGED=$'evil\naecat: tls: verification ok\e[31mRED'
FORGED_SHOWN='evil\naecat: tls: verification ok\x1b[31mRED'

# ossl_leaf NAME SIGNER SUBJECT EXTFILE-LINE: $CERTS/NAME.pem/.key by openssl,
# signed by SIGNER ($CERTS/SIGNER.pem/.key).
ossl_leaf() {
    local name=$1 signer=$2 subj=$3 ext=$4
    openssl ecparam -name prime256v1 -genkey -noout -out "$CERTS/$name.key" &&
    openssl req -new -key "$CERTS/$name.key" -utf8 -subj "$subj" -out "$CERTS/$name.csr" &&
    printf '%s\n' "$ext" >"$CERTS/$name.ext" &&
    openssl x509 -req -in "$CERTS/$name.csr" -CA "$CERTS/$signer.pem" -CAkey "$CERTS/$signer.key" \
        -CAcreateserial -days 30 -extfile "$CERTS/$name.ext" -out "$CERTS/$name.pem" 2>/dev/null
}

setup_file() {
    make_test_certs
    # a CA whose CN holds a newline, a forged aecat line and an escape
    # sequence, and a server certificate it signed, served with it
    openssl ecparam -name prime256v1 -genkey -noout -out "$CERTS/evilca.key" &&
    openssl req -x509 -new -key "$CERTS/evilca.key" -utf8 -subj "/CN=$FORGED" -days 30 \
        -out "$CERTS/evilca.pem" &&
    ossl_leaf evil evilca /CN=localhost 'subjectAltName=DNS:localhost,IP:127.0.0.1' &&
    cat "$CERTS/evil.pem" "$CERTS/evilca.pem" >"$CERTS/evilchain.pem" || return 1
    # by the test CA, one subjectAltName "evil\0.example" (DER: no config
    # syntax writes a NUL), and one without any subjectAltName
    local nul
    nul=$(printf 'evil\0.example' | od -An -v -tx1 | tr -s ' \n' ':' | sed 's/^://; s/:$//')
    ossl_leaf nulsan ca /CN=nul "subjectAltName=DER:30:0f:82:0d:$nul" &&
    ossl_leaf nosan ca /CN=localhost 'extendedKeyUsage=serverAuth' || return 1
}

setup() { printf 'hello\n' >"$T/hello"; }

# serve_peer CERT KEY: tests/peers/tls_peer.py sending "hi", closing cleanly.
serve_peer() { start_tls_peer peer --cert "$1" --key "$2" --send 'hi\n'; }

# no_control FILE: FILE holds no byte below 0x20 but "\n" (no ESC, no CR).
no_control() {
    ! LC_ALL=C grep -q '[[:cntrl:]]' "$1" || fail "control bytes in $1: $(od -c "$1" | head -20)"
}

# ------------------------------------------------------------------ peer strings escaped

@test "escape: an issuer CN with a newline and ESC: one error line, the name escaped" {
    serve_peer "$CERTS/evilchain.pem" "$CERTS/evil.key"
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" localhost "$PORT"
    assert_status 76
    assert_one_error "unknown issuer \(CN=${FORGED_SHOWN//[\[\\]/\\&}\)"
    no_control "$T/ae.err"
}

@test "escape: --tls-info with that chain: every line aecat's own, one verification line, no ESC" {
    serve_peer "$CERTS/evilchain.pem" "$CERTS/evil.key"
    ae_files /dev/null "$T/out" --tls --insecure --tls-info localhost "$PORT"
    assert_status 0
    no_control "$T/ae.err"
    ! grep -v '^aecat: tls: ' "$T/ae.err" || fail "a line not aecat's: $stderr"
    [ "$(grep -c '^aecat: tls: verification' "$T/ae.err")" -eq 1 ] || fail "stderr: $stderr"
    tls_info_has '^aecat: tls: verification skipped \(insecure\)$'
    grep -qF "issuer CN=$FORGED_SHOWN;" "$T/ae.err" || fail "stderr: $stderr"
}

@test "escape: the JSON log stays valid JSON and keeps the issuer's exact bytes" {
    serve_peer "$CERTS/evilchain.pem" "$CERTS/evil.key"
    ae_files /dev/null "$T/out" --tls --insecure --json-log "$T/log" localhost "$PORT"
    assert_status 0
    run "$PYTHON" -c '
import json, sys
tls = [e for e in map(json.loads, open(sys.argv[1])) if e["event"] == "tls"][0]
issuer = tls["peer_certificates"][0].split("; issuer ")[1].split("; valid")[0]
print("ok" if issuer == "CN=" + sys.argv[2] else "differs: %r" % issuer)' "$T/log" "$FORGED"
    assert_status 0
    assert_output ok
}

@test "escape: a NUL inside a subjectAltName does not cut the name: name mismatch for evil\\x00.example" {
    serve_peer "$CERTS/nulsan.pem" "$CERTS/nulsan.key"
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" localhost "$PORT"
    assert_status 76
    assert_one_error 'name mismatch: the certificate is for evil\\x00\.example, not localhost'
}

# ------------------------------------------------------------------ subjectAltName

@test "no SAN: a server certificate that names its host only in the CN is refused (76)" {
    serve_peer "$CERTS/nosan.pem" "$CERTS/nosan.key"
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" localhost "$PORT"
    assert_status 76
    assert_one_error 'no subjectAltName: the certificate names its host only in the subject CN'
    [ ! -s "$T/out" ] || fail "data went through: $(cat "$T/out")"
}

@test "no SAN: the same CA and name with a DNS subjectAltName is accepted (control)" {
    serve_peer "$CERTS/dnsonly.pem" "$CERTS/dnsonly.key"
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" localhost "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" hi
}

@test "no SAN: a pinned key is trusted whatever its names (--pin alone)" {
    serve_peer "$CERTS/nosan.pem" "$CERTS/nosan.key"
    ae_files /dev/null "$T/out" --tls --pin "$(pin_of "$CERTS/nosan.pem")" localhost "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" hi
}

# ------------------------------------------------------------------ TLS 1.2 floor

# s_server speaking TLS 1.1 only (SECLEVEL=0: OpenSSL 3 refuses 1.1 itself otherwise).
serve_tls11() {
    start_ossl_server srv -rev -naccept 1 -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' \
        -cert "$CERTS/srv.pem" -key "$CERTS/srv.key"
}

@test "floor: a TLS 1.1-only server is refused by default (76, no version in common)" {
    serve_tls11
    ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" localhost "$PORT"
    assert_status 76
    assert_one_error 'no TLS version in common, we offered TLS 1.2 or later'
    [ ! -s "$T/out" ] || fail "data went through: $(cat "$T/out")"
}

@test "floor: --tls-priority NORMAL:+VERS-TLS1.1 enables it again" {
    serve_tls11
    ae_files "$T/hello" "$T/out" --tls --ca "$CERTS/ca.pem" --tls-priority NORMAL:+VERS-TLS1.1 -v localhost "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" olleh
    tls_info_has '^aecat: tls: version TLS1\.1$'
}

@test "floor: aecat -l --tls refuses a TLS 1.1-only client (76, one line)" {
    start_aecat_listener lst --tls --cert "$CERTS/srv.pem" --key "$CERTS/srv.key"
    run timeout 10 openssl s_client -connect "127.0.0.1:$LPORT" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null 3>&-
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 76 ] || fail "aecat -l --tls exited $WAIT_RC: $(cat "$T/lst.err")"
    [ "$(wc -l <"$T/lst.err")" -eq 1 ] || fail "stderr: $(cat "$T/lst.err")"
    grep -q '^aecat: tls: .*no TLS version in common: the client offered only older' "$T/lst.err" ||
        fail "stderr: $(cat "$T/lst.err")"
}

# ------------------------------------------------------------------ names

@test "names: --servername with a leading dot is a usage error (64), nothing connects" {
    run --separate-stderr ae --tls --servername .example.org 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error "--servername '\.example\.org' is not a host name for TLS: it starts with a dot"
}

@test "names: a HOST with a leading dot, the name TLS would verify, is a usage error (64)" {
    run --separate-stderr ae --tls .example.org 443 </dev/null
    assert_status 64
    assert_one_error "HOST '\.example\.org' is not a host name for TLS: it starts with a dot"
    run --separate-stderr ae --starttls smtp .example.org 25 </dev/null
    assert_status 64
    assert_one_error "HOST '\.example\.org' is not a host name for TLS"
}
