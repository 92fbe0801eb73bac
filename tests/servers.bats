#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Real protocol servers from Debian packages (tests/servers/*.bash), each
# started privately by the test from a config in its temporary directory,
# on a free 127.0.0.1 port, waited for by readiness and stopped by its PID;
# the proof that each works is OpenSSL's own STARTTLS client
# (openssl s_client -starttls PROTO), verifying our test CA's certificate
# for "localhost", plus a login or query through the TLS channel where the
# package's own client makes that cheap.  These are the peers for the
# STARTTLS preset suites; a server whose package is not installed is
# skipped (make deps installs them).

load servers_helpers

# started NAME: note how long the start took, config and all, and how long
# of it the server itself took to be ready (a TAP comment).  Not asserted:
# srv_wait bounds it (SRV_START_LIMIT, 20 s) and CI machines are shared.
started() {
    elapsed_from "$START_US"
    echo "# $1: ready in ${ELAPSED} s (server ${SRV_START_SECS} s)" >&3
}

# starttls_ok PROTO PORT [s_client args...]: openssl s_client -starttls
# PROTO completes the handshake and verifies the certificate (test CA,
# name localhost).  Output in $T/s_client.PROTO.
starttls_ok() {
    local proto=$1 port=$2 out=$T/s_client.$1; shift 2
    status=0
    timeout -k 2 20 openssl s_client -starttls "$proto" -connect "127.0.0.1:$port" \
        -CAfile "$CERTS/ca.pem" -verify_hostname localhost -verify_return_error -brief \
        "$@" </dev/null >"$out" 2>&1 || status=$?
    [ "$status" -eq 0 ] && grep -q '^CONNECTION ESTABLISHED' "$out" &&
        grep -q '^Verification: OK' "$out" && grep -q '^Protocol version: TLSv1\.[23]' "$out" ||
        fail "openssl s_client -starttls $proto on port $port (exit $status):
$(cat "$out")"
}

# starttls_dialog PROTO PORT INPUT REGEX [s_client args...]: s_client
# -starttls PROTO sends INPUT (printf %b) over TLS and waits for the server
# to close; a line of what came back matches REGEX.
starttls_dialog() {
    local proto=$1 port=$2 in=$T/dialog.$1.in out=$T/dialog.$1.out input=$3 re=$4
    shift 4
    printf '%b' "$input" >"$in"
    status=0
    timeout -k 2 20 openssl s_client -starttls "$proto" -connect "127.0.0.1:$port" \
        -CAfile "$CERTS/ca.pem" -verify_hostname localhost -verify_return_error \
        -quiet -ign_eof "$@" <"$in" >"$out" 2>&1 || status=$?
    grep -Eq -- "$re" "$out" || fail "no /$re/ after STARTTLS $proto (exit $status):
$(cat "$out")"
}

# gone PID: no process is left running in PID's process group (zombies
# aside: orphans go to PID 1, which here may take a while to reap them).
gone() {
    ! srv_group_alive "$1" || fail "processes left in group $1:
$(ps -o pid,stat,args -p "$(pgrep -d, -g "$1")")"
}

@test "exim4: SMTP STARTTLS (openssl s_client -starttls smtp), EHLO" {
    need exim4
    START_US=$(now_us)
    start_exim "$T/exim" "$CERTS/srv.pem" "$CERTS/srv.key"
    started exim
    starttls_ok smtp "$EXIM_PORT"
    starttls_dialog smtp "$EXIM_PORT" 'EHLO client.test\r\nQUIT\r\n' '^221 '
    local pid=$EXIM_PID
    stop_exim
    gone "$pid"
}

@test "dovecot: IMAP, POP3, LMTP and ManageSieve STARTTLS, IMAP and POP3 login" {
    need dovecot
    START_US=$(now_us)
    start_dovecot "$T/dovecot" "$CERTS/srv.pem" "$CERTS/srv.key"
    started dovecot
    starttls_ok imap "$DOVECOT_IMAP_PORT"
    starttls_ok pop3 "$DOVECOT_POP3_PORT"
    starttls_ok lmtp "$DOVECOT_LMTP_PORT"
    starttls_ok sieve "$DOVECOT_SIEVE_PORT"
    starttls_dialog imap "$DOVECOT_IMAP_PORT" 'a LOGIN test test\r\nb LOGOUT\r\n' '^a OK .*Logged in'
    starttls_dialog pop3 "$DOVECOT_POP3_PORT" 'USER test\r\nPASS test\r\nQUIT\r\n' '^\+OK Logged in'
    local pid=$DOVECOT_PID
    stop_dovecot
    gone "$pid"
}

@test "slapd: LDAP StartTLS (openssl s_client -starttls ldap, ldapwhoami -ZZ)" {
    need slapd
    START_US=$(now_us)
    start_slapd "$T/slapd" "$CERTS/srv.pem" "$CERTS/srv.key"
    started slapd
    starttls_ok ldap "$SLAPD_PORT"
    if command -v ldapwhoami >/dev/null; then
        # 127.0.0.1 (IP SAN): libldap checks a loopback peer against the
        # machine's host name, not "localhost"
        run env LDAPTLS_CACERT="$CERTS/ca.pem" LDAPTLS_REQCERT=demand LDAPCONF=/dev/null \
            timeout 20 ldapwhoami -x -ZZ -H "ldap://127.0.0.1:$SLAPD_PORT/" \
            -D cn=admin,dc=example,dc=test -w secret
        assert_success
        assert_output 'dn:cn=admin,dc=example,dc=test'
    fi
    local pid=$SLAPD_PID
    stop_slapd
    gone "$pid"
}

@test "postgres: SSLRequest (openssl s_client -starttls postgres, psql sslmode=verify-full)" {
    need "$POSTGRES_BIN/postgres" setpriv
    START_US=$(now_us)
    start_postgres "$T/postgres" "$CERTS/srv.pem" "$CERTS/srv.key"
    started postgres
    starttls_ok postgres "$POSTGRES_PORT"
    run timeout 20 "$POSTGRES_BIN/psql" -X -A -t \
        "host=localhost port=$POSTGRES_PORT user=postgres dbname=postgres sslmode=verify-full sslrootcert=$CERTS/ca.pem" \
        -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'
    assert_success
    assert_output t
    local pid=$POSTGRES_PID
    stop_postgres
    gone "$pid"
}

@test "vsftpd: FTP AUTH TLS (openssl s_client -starttls ftp), FEAT" {
    need vsftpd
    START_US=$(now_us)
    start_vsftpd "$T/vsftpd" "$CERTS/srv.pem" "$CERTS/srv.key"
    started vsftpd
    starttls_ok ftp "$VSFTPD_PORT"
    starttls_dialog ftp "$VSFTPD_PORT" 'FEAT\r\nQUIT\r\n' '^221 '
    local pid=$VSFTPD_PID
    stop_vsftpd
    gone "$pid"
}

@test "prosody: XMPP STARTTLS (openssl s_client -starttls xmpp), SASL PLAIN login" {
    need prosody
    START_US=$(now_us)
    start_prosody "$T/prosody" "$CERTS/srv.pem" "$CERTS/srv.key"
    started prosody
    starttls_ok xmpp "$PROSODY_PORT" -xmpphost localhost
    # a new stream over TLS, SASL PLAIN for test@localhost ("\0test\0test")
    starttls_dialog xmpp "$PROSODY_PORT" "<stream:stream xmlns='jabber:client' \
xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>\
<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHRlc3QAdGVzdA==</auth>\
</stream:stream>" "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" -xmpphost localhost
    local pid=$PROSODY_PID
    stop_prosody
    gone "$pid"
}

@test "inn2 nnrpd: NNTP STARTTLS (openssl s_client -starttls nntp), LIST" {
    need "$INN_BIN/nnrpd" setpriv
    START_US=$(now_us)
    start_inn "$T/inn" "$CERTS/srv.pem" "$CERTS/srv.key"
    started inn
    starttls_ok nntp "$INN_PORT"
    starttls_dialog nntp "$INN_PORT" 'LIST ACTIVE\r\nQUIT\r\n' '^205 '
    local pid=$INN_PID
    stop_inn
    gone "$pid"
}

@test "inspircd: IRC STARTTLS (openssl s_client -starttls irc), QUIT" {
    need inspircd
    START_US=$(now_us)
    start_inspircd "$T/inspircd" "$CERTS/srv.pem" "$CERTS/srv.key"
    started inspircd
    starttls_ok irc "$INSPIRCD_PORT"
    # (QUIT is handled before the registration completes: no 001)
    starttls_dialog irc "$INSPIRCD_PORT" 'NICK aecat\r\nUSER aecat 0 * :aecat\r\nQUIT\r\n' '^ERROR :Closing link'
    local pid=$INSPIRCD_PID
    stop_inspircd
    gone "$pid"
}

@test "mariadb: MySQL protocol SSL (openssl s_client -starttls mysql, mariadb --ssl-verify-server-cert)" {
    need mariadbd
    START_US=$(now_us)
    start_mariadb "$T/mariadb" "$CERTS/srv.pem" "$CERTS/srv.key"
    started mariadb
    starttls_ok mysql "$MARIADB_PORT"
    if command -v mariadb >/dev/null; then
        run timeout 20 mariadb --no-defaults -h localhost --protocol=tcp -P "$MARIADB_PORT" -u test \
            --ssl --ssl-ca="$CERTS/ca.pem" --ssl-verify-server-cert -N -B \
            -e "SHOW SESSION STATUS LIKE 'Ssl_version'"
        assert_success
        assert_output --regexp '^Ssl_version	TLSv1\.[23]$'
    fi
    local pid=$MARIADB_PID
    stop_mariadb
    gone "$pid"
}
