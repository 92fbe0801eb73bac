#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --starttls PROTO: the protocol presets, both sides.
#
#  1. Each client preset against a real server (tests/servers/*.bash: exim,
#     dovecot, slapd, postgres, vsftpd, prosody, inn2, inspircd, mariadb),
#     the certificate verified (test CA, name localhost), then a step over
#     TLS that only works there (a login refused in plaintext, a command
#     answered after the upgrade, a database startup...).
#  2. Each preset family refused by a scripted server
#     (tests/peers/starttls_peer.py or peer.py): exit 76 and one line with
#     the server's own words; bytes sent after the go-ahead make the
#     handshake fail, never read as plaintext (CVE-2011-0411).
#  3. Usage errors.
#  4. aecat -l --starttls PROTO (the server presets) against aecat's client
#     presets and against the real clients: openssl s_client -starttls,
#     gnutls-cli --starttls-proto, psql, ldapsearch -ZZ, curl --ssl-reqd,
#     mariadb --ssl.

load servers_helpers

# The client's trust and the server's certificate.
VERIFY=(--ca "$CERTS/ca.pem" --servername localhost)
SRVCERT=(--cert "$CERTS/srv.pem" --key "$CERTS/srv.key")

# stls PROTO PORT ARGS...: aecat --starttls PROTO, verifying, then ARGS, to
# 127.0.0.1 PORT, stdin /dev/null; `run --separate-stderr`.
stls() {
    local proto=$1 port=$2; shift 2
    run --separate-stderr ae --starttls "$proto" "${VERIFY[@]}" "$@" 127.0.0.1 "$port" </dev/null
}

# stls_files OUT PROTO PORT ARGS...: the same with stdout in OUT (binary
# protocols), via ae_files (status, stderr).
stls_files() {
    local out=$1 proto=$2 port=$3; shift 3
    ae_files /dev/null "$out" --starttls "$proto" "${VERIFY[@]}" "$@" 127.0.0.1 "$port"
}

# has FILE-OR-TEXT... helpers: a bats-assert like check on the last run's
# stdout (a literal substring) and stderr.
out_has() { [[ $output == *"$1"* ]] || fail "stdout lacks '$1':
$output
-- stderr --
$stderr"; }
out_lacks() { [[ $output != *"$1"* ]] || fail "stdout has '$1':
$output"; }
err_has() { [[ $stderr == *"$1"* ]] || fail "stderr lacks '$1':
$stderr"; }

# assert_refused PROTO REGEX: exit 76 and the one line naming step 1, the
# peer and the refusal (REGEX: an ERE for the reason).
assert_refused() {
    assert_status 76
    assert_one_error "^aecat: starttls: step 1 \(--starttls '$1'\): 127\.0\.0\.1 port $PORT: $2"
}

# start_script NAME STEP...: tests/peers/starttls_peer.py; sets PORT, PEER_PID.
start_script() {
    local name=$1; shift
    spawn "$name" "$PYTHON" "$PEERS/starttls_peer.py" --recv "$T/$name.recv" --events "$T/$name.ev" "$@"
    PEER_PID=$SPAWN_PID
    wait_for_line "$T/$name.out" "$PEER_PID"
    PORT=$(head -n1 "$T/$name.out")
}

# hexof TEXT: TEXT's bytes as hex.
hexof() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# ldap_ext_response CODE DIAG: the hex of an LDAPMessage (messageID 1)
# holding an ExtendedResponse with resultCode CODE, an empty matchedDN and
# DIAG; the long length form for the message when it needs it.
ldap_ext_response() {
    local code=$1 diag=$2 dl=${#2} body op msg len
    body=$(printf '0a01%02x0400' "$code")
    if [ "$dl" -lt 128 ]; then body+=$(printf '04%02x' "$dl"); else body+=$(printf '0481%02x' "$dl"); fi
    body+=$(hexof "$diag")
    len=$(( ${#body} / 2 ))
    if [ "$len" -lt 128 ]; then op=$(printf '78%02x' "$len"); else op=$(printf '7881%02x' "$len"); fi
    msg=020101$op$body
    len=$(( ${#msg} / 2 ))
    if [ "$len" -lt 128 ]; then printf '30%02x%s' "$len" "$msg"; else printf '3081%02x%s' "$len" "$msg"; fi
}

# ====================================================================== 1. real servers

@test "exim4: smtp and submission: STARTTLS, then EHLO over TLS (no STARTTLS offered there), QUIT" {
    need exim4
    start_exim "$T/exim" "$CERTS/srv.pem" "$CERTS/srv.key"
    stls smtp "$EXIM_PORT" -v --tls-info --send 'EHLO x\r\n' --expect '(?m)^250 ' \
        --send 'QUIT\r\n' --expect '(?m)^221 [^\r\n]*\r\n'
    assert_status 0
    out_has '250-localhost Hello'
    out_lacks STARTTLS            # exim offers it only in plaintext
    out_has '221 localhost closing connection'
    err_has "step 1 (--starttls 'smtp'): the peer agreed, TLS handshake"
    tls_info_has 'version TLS1\.[23]' <(printf '%s\n' "$stderr")
    # the alias
    stls submission "$EXIM_PORT" --send 'EHLO y\r\n' --expect '(?m)^250 '
    assert_status 0
    out_has '250-localhost Hello y'
}

@test "exim4: --starttls-reissue sends EHLO again over TLS, so MAIL is accepted at once; without it exim wants a hello" {
    need exim4
    start_exim "$T/exim" "$CERTS/srv.pem" "$CERTS/srv.key"
    stls smtp "$EXIM_PORT" --starttls-reissue --json-log "$T/log" \
        --send 'MAIL FROM:<a@localhost>\r\n' --expect '(?m)^\d\d\d [^\r\n]*\r\n'
    assert_status 0
    out_has '250 OK'
    stls smtp "$EXIM_PORT" --send 'MAIL FROM:<a@localhost>\r\n' --expect '(?m)^\d\d\d [^\r\n]*\r\n'
    assert_status 0
    out_has '503'
    # usage: only for a client's --starttls
    run --separate-stderr ae --starttls-reissue 127.0.0.1 1 </dev/null
    assert_status 64
}

@test "exim4: a plain --expect '^250 ' (no (?m)) meets the last line of the multi-line EHLO reply" {
    need exim4
    start_exim "$T/exim" "$CERTS/srv.pem" "$CERTS/srv.key"
    run --separate-stderr ae --send 'EHLO x\r\n' --expect '^250 ' --send 'QUIT\r\n' --expect '^221 ' \
        127.0.0.1 "$EXIM_PORT" </dev/null
    assert_status 0
    out_has '250-localhost Hello x'
    out_has '250-STARTTLS'
    [[ $output == *$'\r\n250 HELP\r\n221 ' ]] || fail "does not end at the 221 line: $output"
}

@test "dovecot: imap login (imap2 logout), pop3 USER/PASS, lmtp LHLO, sieve capabilities re-issued over TLS" {
    need dovecot
    start_dovecot "$T/dovecot" "$CERTS/srv.pem" "$CERTS/srv.key"
    # disable_plaintext_auth = yes: these logins work over TLS only
    stls imap "$DOVECOT_IMAP_PORT" --send 'a LOGIN test test\r\n' --expect '(?m)^a OK [^\r\n]*\r\n'
    assert_status 0
    out_has 'a OK'
    out_has 'Logged in'
    stls imap2 "$DOVECOT_IMAP_PORT" --send 'b LOGOUT\r\n' --expect '(?m)^b OK [^\r\n]*\r\n'
    assert_status 0
    out_has '* BYE'
    stls pop3 "$DOVECOT_POP3_PORT" --send 'USER test\r\n' --expect '(?m)^\+OK' \
        --send 'PASS test\r\n' --expect '(?m)^\+OK Logged in'
    assert_status 0
    stls lmtp "$DOVECOT_LMTP_PORT" --send 'LHLO x\r\n' --expect '(?m)^250 ' \
        --send 'QUIT\r\n' --expect '(?m)^221 '
    assert_status 0
    out_lacks STARTTLS
    # RFC 5804: after TLS the server re-issues its capabilities, now with
    # SASL mechanisms (none in plaintext here), then OK
    stls sieve "$DOVECOT_SIEVE_PORT" --expect '(?m)^OK' --send 'LOGOUT\r\n' --expect '(?m)^OK'
    assert_status 0
    out_has '"SASL" "PLAIN'
    out_lacks '"STARTTLS"'
}

@test "slapd: ldap StartTLS, then a WhoAmI extended operation over TLS" {
    need slapd
    start_slapd "$T/slapd" "$CERTS/srv.pem" "$CERTS/srv.key"
    # messageID 2, ExtendedRequest 1.3.6.1.4.1.4203.1.11.3; the answer's
    # resultCode 0 (success): 0x78 LEN 0x0a 0x01 0x00
    stls_files "$T/out" ldap "$SLAPD_PORT" --tls-info \
        --send '\x30\x1e\x02\x01\x02\x77\x19\x80\x171.3.6.1.4.1.4203.1.11.3' \
        --expect '\x02\x01\x02\x78[\x00-\x7f]\x0a\x01\x00'
    assert_status 0
    tls_info_has 'version TLS1\.[23]'
    [[ $(hex "$T/out") == 3*020102780*0a0100* ]] || fail "not a WhoAmI success: $(hex "$T/out")"
}

@test "postgres and postgresql: SSLRequest, then a StartupMessage over TLS reaches ReadyForQuery" {
    need "$POSTGRES_BIN/postgres" setpriv
    start_postgres "$T/postgres" "$CERTS/srv.pem" "$CERTS/srv.key"
    stls_files "$T/out" postgres "$POSTGRES_PORT" --tls-info
    assert_status 0
    tls_info_has 'version TLS1\.[23]'
    # protocol 3.0, user and database postgres (trust); then
    # AuthenticationOk ... ReadyForQuery 'Z' 0 0 0 5 'I'
    stls_files "$T/out" postgresql "$POSTGRES_PORT" \
        --send '\x00\x00\x00\x29\x00\x03\x00\x00user\x00postgres\x00database\x00postgres\x00\x00' \
        --expect 'Z\x00\x00\x00\x05I'
    assert_status 0
    [[ $(hex "$T/out") == 5200000008000000005* ]] || fail "no AuthenticationOk first: $(hex "$T/out")"
    grep -aq 'server_version' "$T/out" || fail "no ParameterStatus: $(hex "$T/out")"
}

@test "vsftpd: ftp AUTH TLS, then FEAT and QUIT" {
    need vsftpd
    start_vsftpd "$T/vsftpd" "$CERTS/srv.pem" "$CERTS/srv.key"
    stls ftp "$VSFTPD_PORT" --tls-info --send 'FEAT\r\n' --expect '(?m)^211 ' \
        --send 'QUIT\r\n' --expect '(?m)^221 '
    assert_status 0
    out_has '211-Features:'
    out_has 'PROT'
}

@test "prosody: xmpp STARTTLS, then a new stream over TLS offering SASL PLAIN; xmpp-server on the s2s port offered dialback over TLS" {
    need prosody
    start_prosody "$T/prosody" "$CERTS/srv.pem" "$CERTS/srv.key"
    stls xmpp "$PROSODY_PORT" --tls-info \
        --send "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>" \
        --expect '</stream:features>'
    assert_status 0
    out_has '<stream:features'
    out_has '<mechanism>PLAIN</mechanism>'   # c2s_require_encryption: only over TLS
    out_lacks '<starttls'
    # a stream to a host prosody does not serve is refused in its words
    PORT=$PROSODY_PORT
    stls xmpp "$PROSODY_PORT" --starttls-name nowhere.example
    assert_refused xmpp 'stream error host-unknown'
    # xmpp-server to prosody's s2s port: <starttls><required/></starttls>
    # offered to a stream to='localhost', then over TLS a new jabber:server
    # stream is offered dialback and no STARTTLS
    stls xmpp-server "$PROSODY_S2S_PORT" -v --tls-info \
        --send "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>" \
        --expect '</stream:features>'
    assert_status 0
    out_has '<stream:features'
    out_has "<dialback xmlns='urn:xmpp:features:dialback'"
    out_lacks '<starttls'
    err_has "step 1 (--starttls 'xmpp-server'): the peer agreed, TLS handshake"
    tls_info_has 'version TLS1\.[23]' <(printf '%s\n' "$stderr")
}

@test "inn2 nnrpd: nntp STARTTLS, then CAPABILITIES (101, no STARTTLS left) and LIST ACTIVE" {
    need "$INN_BIN/nnrpd" setpriv
    start_inn "$T/inn" "$CERTS/srv.pem" "$CERTS/srv.key"
    stls nntp "$INN_PORT" --tls-info --send 'CAPABILITIES\r\n' --expect '(?m)^\.\r\n' \
        --send 'LIST ACTIVE\r\n' --expect '(?m)^215 ' --send 'QUIT\r\n' --expect '(?m)^205 '
    assert_status 0
    out_has '101 '
    out_lacks STARTTLS
}

@test "inspircd: irc STARTTLS (670), then NICK/USER/QUIT over TLS: ERROR :Closing link" {
    need inspircd
    start_inspircd "$T/inspircd" "$CERTS/srv.pem" "$CERTS/srv.key"
    stls irc "$INSPIRCD_PORT" --tls-info --send 'NICK aecat\r\nUSER aecat 0 * :aecat\r\nQUIT\r\n' \
        --expect '(?m)^ERROR :Closing link'
    assert_status 0
    tls_info_has 'version TLS1\.[23]' <(printf '%s\n' "$stderr")
}

@test "mariadb: mysql SSLRequest, TLS, then a login over TLS (OK packet)" {
    need mariadbd
    start_mariadb "$T/mariadb" "$CERTS/srv.pem" "$CERTS/srv.key"
    stls_files "$T/out" mysql "$MARIADB_PORT" --tls-info
    assert_status 0
    tls_info_has 'version TLS1\.[23]'
    # HandshakeResponse41 (sequence 2, the flags of our SSLRequest), user
    # test, no password (--skip-grant-tables); OK_Packet: sequence 3, 0x00
    stls_files "$T/out" mysql "$MARIADB_PORT" \
        --send '\x3c\x00\x00\x02\x01\x8a\x08\x00\x00\x00\x00\x01\x2d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00test\x00\x00mysql_native_password\x00' \
        --expect '\x00\x00\x03\x00'
    assert_status 0
}

# ====================================================================== 2. refusals

@test "smtp/lmtp refused: no STARTTLS in the EHLO reply, 454 to STARTTLS, a greeting that is not 220" {
    start_script p 'send:220 mx.test ESMTP\r\n' 'wait:EHLO' 'send:250-mx.test\r\n250-PIPELINING\r\n250 SIZE 10240000\r\n'
    stls smtp "$PORT"
    assert_refused smtp 'STARTTLS not offered in the EHLO reply \(last line: 250 SIZE 10240000\)$'
    start_script q 'send:220 mx.test ESMTP\r\n' 'wait:EHLO' 'send:250-mx.test\r\n250 STARTTLS\r\n' \
        'wait:STARTTLS\r\n' 'send:454 4.7.0 TLS not available due to local problem\r\n'
    stls smtp "$PORT" --starttls-name client.example
    assert_refused smtp 'STARTTLS refused: 454 4\.7\.0 TLS not available due to local problem$'
    assert_equal "$(cat "$T/q.recv")" "$(printf 'EHLO client.example\r\nSTARTTLS\r\n')"
    start_script r 'send:554 5.3.2 go away\r\n'
    stls smtp "$PORT"
    assert_refused smtp 'greeting is not 220: 554 5\.3\.2 go away$'
    # lmtp says LHLO, and names it
    start_script s 'send:220 lmtp.test LMTP\r\n' 'wait:LHLO localhost\r\n' 'send:500 5.5.1 What?\r\n'
    stls lmtp "$PORT"
    assert_refused lmtp 'LHLO refused: 500 5\.5\.1 What\?$'
}

@test "pop3 refused: -ERR to STLS" {
    start_script p 'send:+OK pop.test ready\r\n' 'wait:STLS\r\n' 'send:-ERR TLS support not configured\r\n'
    stls pop3 "$PORT"
    assert_refused pop3 'STLS refused: -ERR TLS support not configured$'
}

@test "imap refused: NO to STARTTLS; STARTTLS not among the capabilities" {
    start_script p 'send:* OK imap.test ready\r\n' 'wait:a1 CAPABILITY\r\n' \
        'send:* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n' 'wait:a2 STARTTLS\r\n' \
        'send:a2 NO [UNAVAILABLE] TLS is broken today\r\n'
    stls imap "$PORT"
    assert_refused imap 'STARTTLS refused: a2 NO \[UNAVAILABLE\] TLS is broken today$'
    start_script q 'send:* OK imap.test ready\r\n' 'wait:a1 CAPABILITY\r\n' \
        'send:* CAPABILITY IMAP4rev1 LOGINDISABLED IDLE\r\na1 OK done\r\n'
    stls imap "$PORT"
    assert_refused imap 'STARTTLS not among the capabilities.*IMAP4rev1 LOGINDISABLED IDLE'
    # a BAD to CAPABILITY, in its words
    start_script r 'send:* OK imap.test ready\r\n' 'wait:a1 CAPABILITY\r\n' 'send:a1 BAD no thanks\r\n'
    stls imap "$PORT"
    assert_refused imap 'CAPABILITY failed: a1 BAD no thanks$'
}

@test "ftp refused: 500 to AUTH TLS (after a multi-line greeting)" {
    start_script p 'send:220-ftp.test\r\n220-  welcome\r\n220 ready\r\n' 'wait:AUTH TLS\r\n' \
        "send:500 'AUTH TLS': command not understood\r\n"
    stls ftp "$PORT"
    assert_refused ftp "AUTH TLS refused: 500 'AUTH TLS': command not understood$"
}

@test "nntp refused: 502 to STARTTLS" {
    start_script p 'send:200 news.test ready\r\n' 'wait:STARTTLS\r\n' 'send:502 Command unavailable\r\n'
    stls nntp "$PORT"
    assert_refused nntp 'STARTTLS refused: 502 Command unavailable$'
}

@test "sieve refused: NO to STARTTLS; STARTTLS not among the capabilities" {
    start_script p 'send:"IMPLEMENTATION" "test"\r\n"SIEVE" "fileinto"\r\n"STARTTLS"\r\nOK "ready"\r\n' \
        'wait:STARTTLS\r\n' 'send:NO "TLS is not available"\r\n'
    stls sieve "$PORT"
    assert_refused sieve 'STARTTLS refused: NO "TLS is not available"$'
    start_script q 'send:"IMPLEMENTATION" "test"\r\n"SASL" "PLAIN"\r\nOK "ready"\r\n'
    stls sieve "$PORT"
    assert_refused sieve 'STARTTLS not among the capabilities \("IMPLEMENTATION" "SASL"\)$'
}

@test "irc refused: 691, 451 and 421 named, NOTICEs before them skipped" {
    start_script p 'wait:STARTTLS\r\n' 'send::irc.test NOTICE * :*** Looking up your hostname\r\n:irc.test 691 * :STARTTLS failure\r\n'
    stls irc "$PORT"
    assert_refused irc 'STARTTLS failed on the server \(691\): :irc\.test 691 \* :STARTTLS failure$'
    start_script q 'wait:STARTTLS\r\n' 'send::irc.test 451 * :You have not registered\r\n'
    stls irc "$PORT"
    assert_refused irc 'STARTTLS not allowed now \(451\): :irc\.test 451 \* :You have not registered$'
    start_script r 'wait:STARTTLS\r\n' 'send::irc.test 421 * STARTTLS :Unknown command\r\n'
    stls irc "$PORT"
    assert_refused irc 'STARTTLS unknown to the server \(421\): .*Unknown command$'
}

@test "xmpp refused: <failure/> to <starttls/>; no <starttls in the stream features" {
    local hdr="<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x1' from='localhost' version='1.0'>"
    start_script p "wait:version='1.0'>" "send:$hdr<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>" \
        'wait:<starttls' "send:<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"
    stls xmpp "$PORT"
    assert_refused xmpp "STARTTLS refused: <failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>$"
    # what the client sent: its header (to= the --servername), then <starttls/>
    grep -q "to='localhost'" "$T/p.recv" || fail "no to='localhost' in $(cat "$T/p.recv")"
    start_script q "wait:version='1.0'>" "send:$hdr<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"
    stls xmpp "$PORT"
    assert_refused xmpp 'STARTTLS not among the stream features: .*<mechanism>PLAIN</mechanism></mechanisms></stream:features>$'
    # xmpp-server: the jabber:server namespace
    start_script r "wait:version='1.0'>" "send:$hdr<stream:features/>"
    stls xmpp-server "$PORT"
    assert_refused xmpp-server 'STARTTLS not among the stream features: .*<stream:features/>$'
    grep -q "xmlns='jabber:server'" "$T/r.recv" || fail "not jabber:server: $(cat "$T/r.recv")"
    # a stream error: its condition and text
    start_script s "wait:version='1.0'>" "send:$hdr<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Too many connections from your address</text></stream:error></stream:stream>"
    stls xmpp "$PORT"
    assert_refused xmpp 'stream error policy-violation: Too many connections from your address$'
}

@test "postgres refused: N to the SSLRequest" {
    start_peer p --send N --when request --request-bytes 8 --then hold --recv "$T/p.recv"
    stls postgres "$PORT"
    assert_refused postgres 'the server does not do SSL \(it answered N\)$'
    assert_equal "$(hex "$T/p.recv")" 0000000804d2162f
}

@test "ldap refused: resultCode 2 (protocolError) with a diagnostic message, short and long BER lengths" {
    start_peer p --send-hex "$(ldap_ext_response 2 'StartTLS is not configured here')" \
        --when request --request-bytes 31 --then hold --recv "$T/p.recv"
    stls ldap "$PORT"
    assert_refused ldap 'StartTLS refused with LDAP resultCode 2: StartTLS is not configured here$'
    # the request: messageID 1, ExtendedRequest with the StartTLS OID
    assert_equal "$(hex "$T/p.recv")" "301d02010177188016$(hexof 1.3.6.1.4.1.1466.20037)"
    local long
    long="unwilling: $(printf 'x%.0s' {1..140})"
    start_peer q --send-hex "$(ldap_ext_response 53 "$long")" --when request --request-bytes 31 --then hold
    stls ldap "$PORT"
    assert_refused ldap 'StartTLS refused with LDAP resultCode 53: unwilling: x{100,}'
    # not an answer at all
    start_peer r --send-hex 3000 --when request --request-bytes 31 --then hold
    stls ldap "$PORT"
    assert_refused ldap 'an empty LDAP message$'
    start_peer s --send-hex 0a0000 --when request --request-bytes 31 --then hold
    stls ldap "$PORT"
    assert_refused ldap 'not an LDAP message \(tag 0x0a\)$'
}

@test "mysql refused: a handshake without CLIENT_SSL; an ERR packet instead of a handshake" {
    # protocol 10, "5.7.0-test", thread 1, scramble, filler, capabilities
    # 0x8201 (no CLIENT_SSL), charset, status, upper caps, reserved, scramble 2
    local hs
    hs=0a$(hexof 5.7.0-test)00010000006162636465666768000182210200000000000000000000000000$(hexof 123456789012)00
    start_peer p --send-hex "$(printf '%02x0000' $(( ${#hs} / 2 )))00$hs" --when start --then hold --recv "$T/p.recv"
    stls mysql "$PORT"
    assert_refused mysql 'the server does not offer SSL \(no CLIENT_SSL in its handshake, version 5\.7\.0-test\)$'
    [ ! -s "$T/p.recv" ] || fail "the client answered: $(hex "$T/p.recv")"
    # ER_HOST_NOT_PRIVILEGED, as a server that refuses the host says it
    local err
    err=ff6a04$(hexof "Host '127.0.0.1' is not allowed to connect to this MySQL server")
    start_peer q --send-hex "$(printf '%02x0000' $(( ${#err} / 2 )))00$err" --when start --then hold
    stls mysql "$PORT"
    assert_refused mysql "the server refused the connection: Host '127\.0\.0\.1' is not allowed to connect to this MySQL server$"
    # a length no handshake has (16 MiB - 1): refused at once, not read
    start_peer r --send-hex ffffff00 --when start --then hold
    stls mysql "$PORT"
    assert_refused mysql 'a MySQL packet of 16777215 bytes for a handshake: \\xff\\xff\\xff\\x00$'
    # another protocol altogether (an SMTP greeting), not waited for
    start_peer s --send '220 mx.test ESMTP\r\n' --when start --then hold
    stls mysql "$PORT"
    assert_refused mysql 'a MySQL packet of 3158578 bytes for a handshake: 220 ?$'
}

@test "telnet refused: DONT START_TLS; a server that only negotiates other options is cut off" {
    # a banner, DO TERMINAL-TYPE (declined), then DONT START_TLS
    start_peer p --send-hex "$(hexof 'Welcome')fffd18$(hexof 'login: ')fffe2e" --when start --then hold --recv "$T/p.recv"
    stls telnet "$PORT"
    assert_refused telnet 'the server refused START_TLS \(DONT\)$'
    assert_equal "$(hex "$T/p.recv")" fffc18
    # 65 DO TERMINAL-TYPE: each answered WONT, then the bound
    start_peer q --send-hex "$(printf 'fffd18%.0s' {1..65})" --when start --then hold
    stls telnet "$PORT"
    assert_refused telnet 'no START_TLS after 64 telnet commands from the server$'
}

@test "a server that closes or goes silent during the upgrade: exit 76 / 75 naming the step and its last words" {
    start_script p 'send:220 mx.test ESMTP\r\n' 'wait:EHLO' 'close'
    stls smtp "$PORT"
    assert_status 76
    assert_one_error "^aecat: starttls: step 1 \(--starttls 'smtp'\): 127\.0\.0\.1 port $PORT closed the connection during the upgrade; last bytes received: \"220 mx\.test ESMTP\\\\n\"$"
    start_script q 'send:220 mx.test ESMTP\r\n'
    run_timed --separate-stderr -- ae --step-timeout 0.5 --starttls smtp "${VERIFY[@]}" 127.0.0.1 "$PORT" </dev/null
    assert_status 75
    assert_one_error "^aecat: timeout: step 1 \(--starttls 'smtp'\): not done within 0\.5 s \(--step-timeout\); last bytes received: \"220 mx\.test ESMTP\\\\n\"$"
    assert_elapsed 0.4 5
}

@test "CVE-2011-0411: plaintext sent right after the go-ahead fails the handshake, never read as data" {
    local proto
    local -A script=(
        [smtp]="send:220 mx\r\n|wait:EHLO|send:250-mx\r\n250 STARTTLS\r\n|wait:STARTTLS\r\n|send:220 go\r\nINJECTED\r\n"
        [pop3]="send:+OK hi\r\n|wait:STLS\r\n|send:+OK go\r\nINJECTED\r\n"
        [imap]="send:* OK hi\r\n|wait:a1 CAPABILITY\r\n|send:* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK\r\n|wait:a2 STARTTLS\r\n|send:a2 OK go\r\n* INJECTED\r\n"
        [ftp]="send:220 hi\r\n|wait:AUTH TLS\r\n|send:234 go\r\nINJECTED\r\n"
        [nntp]="send:200 hi\r\n|wait:STARTTLS\r\n|send:382 go\r\nINJECTED\r\n"
        [irc]="wait:STARTTLS\r\n|send::irc 670 * :go\r\nINJECTED\r\n"
        [xmpp]="wait:version='1.0'>|send:<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>|wait:<starttls|send:<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><INJECTED/>"
        [postgres]="bytes:8|send:SINJECTED\r\n"
    )
    for proto in smtp pop3 imap ftp nntp irc xmpp postgres; do
        local steps=()
        IFS='|' read -r -a steps <<<"${script[$proto]}"
        start_script "p_$proto" "${steps[@]}"
        stls "$proto" "$PORT" --send 'after\r\n' --expect INJECTED
        assert_status 76
        assert_one_error "^aecat: tls: step 1 \(--starttls '$proto'\): handshake with 127\.0\.0\.1 port $PORT failed: the peer does not speak TLS"
        out_lacks INJECTED
        ! grep -q after "$T/p_$proto.recv" || fail "$proto: data sent in plaintext: $(cat "$T/p_$proto.recv")"
    done
}

# ====================================================================== 3. usage

@test "starttls usage: unknown protocol names the known ones; --starttls-name alone; --starttls with --tls" {
    run --separate-stderr ae --starttls gopher 127.0.0.1 1 </dev/null
    assert_status 64
    local known='smtp, lmtp, pop3, imap, ftp, xmpp, xmpp-server, nntp, sieve, ldap, postgres, mysql, irc, telnet'
    assert_one_error "^aecat: usage: --starttls \(step 1\): unknown STARTTLS protocol 'gopher' for a client \(expected $known\)$"
    run --separate-stderr ae -l 127.0.0.1 0 --starttls gopher </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: --starttls \(step 1\): unknown STARTTLS protocol 'gopher' for a server \(expected $known\)$"
    run --separate-stderr ae --starttls-name mx.example --send x 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error '--starttls-name needs --starttls'
    run --separate-stderr ae --tls --starttls smtp 127.0.0.1 1 </dev/null
    assert_status 64
    assert_one_error '--starttls starts TLS inside the connection: not with --tls'
    run --separate-stderr ae --starttls smtp --tls-auto -l 127.0.0.1 0 </dev/null
    assert_status 64
    assert_one_error '--starttls starts TLS inside the connection: not with --tls-auto'
}

@test "starttls usage: a --starttls-name holding CR/LF (command injection) or a space is refused before connecting" {
    start_script p 'send:220 mx.test ESMTP\r\n' 'wait:EHLO' 'send:250-mx.test\r\n250 STARTTLS\r\n'
    for name in $'mx.example\r\nMAIL FROM:<a@b>' $'mx\nexample' 'mx example' $'mx\e[31m'; do
        run --separate-stderr ae --starttls smtp --insecure --starttls-name "$name" 127.0.0.1 "$PORT" </dev/null
        assert_status 64
        assert_one_error "^aecat: usage: --starttls \(step 1\): the STARTTLS name .* holds a (control character|space) at offset [0-9]+"
    done
    [ ! -s "$T/p.recv" ] || fail "the server got: $(cat "$T/p.recv")"
    # the server side: its greeting would carry it
    run --separate-stderr ae -l 127.0.0.1 0 --starttls smtp --starttls-name $'mx\r\n250 forged' </dev/null
    assert_status 64
    assert_one_error "^aecat: usage: --starttls \(step 1\): the STARTTLS name 'mx\\\\r\\\\n250 forged' holds a control character at offset 2 "
}

@test "starttls: an XMPP --starttls-name is XML-escaped in to= (a quote cannot end the attribute)" {
    local hdr="<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x1' from='localhost' version='1.0'>"
    start_script p "wait:version='1.0'>" "send:$hdr<stream:features/>"
    stls xmpp "$PORT" --starttls-name "a'b\"<c>&d"
    assert_refused xmpp 'STARTTLS not among the stream features'
    grep -qF "to='a&#39;b&#34;&#60;c&#62;&#38;d' version='1.0'>" "$T/p.recv" || fail "to= not escaped: $(cat "$T/p.recv")"
}

# ====================================================================== 4. server presets

# Every protocol and alias the server side knows.
ALL_PROTOS=(smtp lmtp pop3 imap ftp xmpp xmpp-server nntp sieve ldap postgres mysql irc telnet
            submission imap2 postgresql)

server_presets_or_skip() {
    run --separate-stderr ae -l 127.0.0.1 0 --starttls smtp --step-timeout 0.1 --deadline 0.2 </dev/null
    [[ $stderr != *"unknown STARTTLS protocol"* && $stderr != *"unknown protocol"* ]] ||
        skip "no server presets yet: $stderr"
}

# srv NAME PROTO ARGS...: aecat -l --starttls PROTO with our certificate,
# --tls-info, then ARGS; sets LPORT, AE_PID.
srv() {
    local name=$1 proto=$2; shift 2
    start_aecat_listener "$name" --starttls "$proto" "${SRVCERT[@]}" --tls-info "$@"
}

# srv_done NAME: the server exited 0 after a handshake (its --tls-info).
srv_done() {
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat -l --starttls ($1) exited $WAIT_RC: $(cat "$T/$1.err")"
    tls_info_has 'version TLS1\.[23]' "$T/$1.err"
}

@test "aecat -l --starttls PROTO <-> aecat --starttls PROTO, each protocol: the relay over TLS both ways" {
    server_presets_or_skip
    local p
    for p in "${ALL_PROTOS[@]}"; do
        printf 'server data %s\n' "$p" >"$T/srv.$p.in"
        printf 'client data %s\n' "$p" >"$T/cli.$p.in"
        start_aecat_listener -i "$T/srv.$p.in" "srv_$p" --starttls "$p" "${SRVCERT[@]}" --tls-info --then-relay
        run --separate-stderr ae --starttls "$p" "${VERIFY[@]}" --tls-info --then-relay 127.0.0.1 "$LPORT" <"$T/cli.$p.in"
        [ "$status" -eq 0 ] || fail "$p: client exited $status: $stderr
-- server --
$(cat "$T/srv_$p.err")"
        assert_output "server data $p"
        srv_done "srv_$p"
        assert_equal "$(cat "$T/srv_$p.out")" "client data $p"
    done
}

# ossl PROTO PORT INPUT [ARGS]: openssl s_client -starttls PROTO, verifying,
# INPUT (printf %b) on stdin, until the server closes; output in $T/ossl.PROTO.
ossl() {
    local proto=$1 port=$2 input=$3; shift 3
    printf '%b' "$input" >"$T/ossl.$proto.in"
    status=0
    timeout -k 2 20 openssl s_client -starttls "$proto" -connect "127.0.0.1:$port" \
        -CAfile "$CERTS/ca.pem" -verify_hostname localhost -verify_return_error -quiet -ign_eof \
        "$@" <"$T/ossl.$proto.in" >"$T/ossl.$proto" 2>&1 || status=$?
}

@test "aecat -l --starttls PROTO against openssl s_client -starttls PROTO, each protocol openssl knows" {
    server_presets_or_skip
    local p extra
    for p in smtp lmtp pop3 imap ftp xmpp xmpp-server nntp sieve ldap postgres mysql irc telnet; do
        extra=()
        case $p in xmpp | xmpp-server) extra=(-xmpphost localhost) ;; esac
        srv "srv_$p" "$p" --expect ping --send 'pong over TLS\n'
        ossl "$p" "$LPORT" 'ping\n' "${extra[@]}"
        grep -q 'pong over TLS' "$T/ossl.$p" || fail "$p: s_client (exit $status) got no pong:
$(cat "$T/ossl.$p")
-- aecat --
$(cat "$T/srv_$p.err")"
        srv_done "srv_$p"
    done
}

@test "aecat -l --starttls PROTO against gnutls-cli --starttls-proto, each protocol gnutls-cli knows" {
    server_presets_or_skip
    need gnutls-cli
    local p
    for p in smtp lmtp pop3 imap ftp xmpp nntp sieve ldap postgres; do
        srv "srv_$p" "$p" --expect ping --send 'pong over TLS\n'
        printf 'ping\n' >"$T/g_$p.in"
        feed "g_$p" "$T/g_$p.in"
        status=0
        timeout -k 2 20 gnutls-cli --x509cafile "$CERTS/ca.pem" --starttls-proto="$p" -p "$LPORT" 127.0.0.1 \
            <"$FEED" >"$T/g_$p.out" 2>&1 || status=$?
        end_feed "$FEED_PID"
        grep -q 'pong over TLS' "$T/g_$p.out" || fail "$p: gnutls-cli (exit $status) got no pong:
$(cat "$T/g_$p.out")
-- aecat --
$(cat "$T/srv_$p.err")"
        srv_done "srv_$p"
    done
}

@test "aecat -l --starttls postgres/ldap/mysql against psql, ldapsearch -ZZ and mariadb --ssl: their first request arrives over TLS" {
    server_presets_or_skip
    local psql=${POSTGRES_BIN:+$POSTGRES_BIN/psql}
    [ -x "${psql:-}" ] || psql=$(command -v psql || true)
    if [ -n "$psql" ]; then
        # the StartupMessage, over TLS: user aeuser
        srv pg postgres --expect 'aeuser'
        run timeout 20 "$psql" -X "sslmode=verify-full sslrootcert=$CERTS/ca.pem host=localhost hostaddr=127.0.0.1 port=$LPORT user=aeuser dbname=x" -c 'select 1' </dev/null
        assert_failure                # not a real postgres after that
        srv_done pg
    else
        echo "# psql not installed" >&3
    fi
    if command -v ldapsearch >/dev/null; then
        # the BindRequest (LDAPv3, simple, anonymous: -x), over TLS
        srv ld ldap --expect '\x60\x07\x02\x01\x03\x04\x00\x80\x00'
        run env LDAPTLS_CACERT="$CERTS/ca.pem" LDAPTLS_REQCERT=demand LDAPCONF=/dev/null \
            timeout 20 ldapsearch -x -ZZ -H "ldap://127.0.0.1:$LPORT/" -b dc=aecat,dc=test </dev/null
        assert_failure
        srv_done ld
    else
        echo "# ldapsearch not installed" >&3
    fi
    if command -v mariadb >/dev/null; then
        # the HandshakeResponse, over TLS: user aeuser
        srv my mysql --expect 'aeuser'
        run timeout 20 mariadb --no-defaults -h 127.0.0.1 --protocol=tcp -P "$LPORT" -u aeuser \
            --ssl --ssl-ca="$CERTS/ca.pem" --ssl-verify-server-cert -e 'select 1' </dev/null
        assert_failure
        srv_done my
    else
        echo "# mariadb client not installed" >&3
    fi
}

@test "aecat -l --starttls smtp/imap/pop3/ftp against curl --ssl-reqd" {
    server_presets_or_skip
    need curl
    local curl=(timeout 20 curl -s -S --ssl-reqd --cacert "$CERTS/ca.pem" --connect-to "localhost::127.0.0.1:" -m 15)
    # after TLS, curl's first command; aecat answers it and closes
    srv c_smtp smtp --expect '(?m)^EHLO ' --send '250 localhost\r\n'
    run "${curl[@]}" --mail-from a@b --mail-rcpt c@d -T /dev/null "smtp://localhost:$LPORT" </dev/null
    srv_done c_smtp
    srv c_imap imap --expect '(?m)^[A-Z0-9]+ (CAPABILITY|LOGIN|AUTHENTICATE)'
    run "${curl[@]}" -u u:p "imap://localhost:$LPORT/" </dev/null
    srv_done c_imap
    srv c_pop3 pop3 --expect '(?m)^(CAPA|USER|AUTH)'
    run "${curl[@]}" -u u:p "pop3://localhost:$LPORT/" </dev/null
    srv_done c_pop3
    srv c_ftp ftp --expect '(?m)^(USER|PBSZ)'
    run "${curl[@]}" -u u:p "ftp://localhost:$LPORT/" </dev/null
    srv_done c_ftp
}
