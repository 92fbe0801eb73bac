#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# TLS interop with Perl's AnyEvent::Handle (AnyEvent::TLS over Net::SSLeay),
# the library aecat reimplements: tls => "accept", tls_autostart and
# tls => "connect" (tests/peers/ae_tls_peer.pl), against aecat's client,
# server and --tls-auto server.  AnyEvent's TLS has no half-close (see the
# peer's header), so an aecat client keeps stdin open and ends with --count
# once the answers came, with close_notify.

load helpers
load tls_helpers

setup_file() { make_test_certs; }

# open_stdin TEXT: $T/in, a FIFO holding TEXT whose write end stays open
# (in INFD) until the test ends: aecat reads TEXT and then no EOF.
open_stdin() {
    mkfifo "$T/in"
    exec {INFD}<>"$T/in"
    printf "$1" >&"$INFD"
}

teardown() {
    [ -n "${INFD:-}" ] && exec {INFD}>&-
    stop_all
}

# start_ae_tls_server NAME accept|autostart: sets PORT, PEER_PID.
start_ae_tls_server() {
    spawn "$1" perl "$PEERS/ae_tls_peer.pl" server "$2" "$CERTS/srv.pem" "$CERTS/srv.key"
    PEER_PID=$SPAWN_PID
    wait_for_line "$T/$1.out" "$PEER_PID"
    PORT=$(head -n1 "$T/$1.out")
}

@test "anyevent: aecat --tls client with AnyEvent tls => accept: answers arrive, --count ends with close_notify" {
    start_ae_tls_server pl accept
    open_stdin 'one\ntwo\n'
    ae_files "$T/in" "$T/out" --tls --ca "$CERTS/ca.pem" --frame line --count 2 localhost "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "$(printf 'ONE\nTWO')"
    [ ! -s "$T/ae.err" ] || fail "stderr: $stderr"
    wait_pid "$PEER_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "AnyEvent server exited $WAIT_RC: $(cat "$T/pl.err")"
    assert_equal "$(tail -n +2 "$T/pl.out")" "$(printf 'tls one\ntls two')"
}

@test "anyevent: the AnyEvent server closes TCP at aecat's close_notify without its own: 0" {
    start_ae_tls_server pl accept
    ae_files /dev/null "$T/out" --tls --ca "$CERTS/ca.pem" -v localhost "$PORT"
    assert_status 0
    grep -q '^aecat: tls: .* closed TCP without close_notify after ours' "$T/ae.err" || fail "stderr: $stderr"
    wait_pid "$PEER_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "AnyEvent server exited $WAIT_RC: $(cat "$T/pl.err")"
}

@test "anyevent: aecat --tls client with AnyEvent tls_autostart: detected as TLS" {
    start_ae_tls_server pl autostart
    open_stdin 'one\ntwo\n'
    ae_files "$T/in" "$T/out" --tls --ca "$CERTS/ca.pem" --frame line --count 2 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "$(printf 'ONE\nTWO')"
    wait_pid "$PEER_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "AnyEvent server exited $WAIT_RC: $(cat "$T/pl.err")"
    assert_equal "$(sed -n 2p "$T/pl.out")" "tls one"
}

@test "anyevent: plaintext aecat with AnyEvent tls_autostart: stays plaintext" {
    start_ae_tls_server pl autostart
    open_stdin 'one\ntwo\n'
    ae_files "$T/in" "$T/out" --frame line --count 2 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "$(printf 'ONE\nTWO')"
    wait_pid "$PEER_PID" 10
    assert_equal "$(tail -n +2 "$T/pl.out")" "$(printf 'plain one\nplain two')"
}

@test "anyevent: AnyEvent tls => connect client (verifying) with aecat -l --tls: both ways, both exit 0" {
    printf 'from aecat\n' >"$T/reply"
    start_aecat_ready -i "$T/reply" srv -l --tls --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" 127.0.0.1 0
    run --separate-stderr timeout 10 perl "$PEERS/ae_tls_peer.pl" client "$LPORT" "$CERTS/ca.pem" one two
    assert_status 0
    assert_equal "$output" "$(printf '0\ntls from aecat')"
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "aecat exited $WAIT_RC: $(cat "$T/srv.err")"
    assert_equal "$(cat "$T/srv.out")" "$(printf 'one\ntwo')"
}

@test "anyevent: AnyEvent TLS client with aecat -l --tls-auto" {
    printf 'from aecat\n' >"$T/reply"
    start_aecat_ready -i "$T/reply" srv -l --tls-auto --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" -v 127.0.0.1 0
    run --separate-stderr timeout 10 perl "$PEERS/ae_tls_peer.pl" client "$LPORT" "$CERTS/ca.pem" one two
    assert_status 0
    assert_equal "$output" "$(printf '0\ntls from aecat')"
    wait_pid "$AE_PID" 10
    [ "$WAIT_RC" -eq 0 ] || fail "aecat exited $WAIT_RC: $(cat "$T/srv.err")"
    assert_equal "$(cat "$T/srv.out")" "$(printf 'one\ntwo')"
    grep -q 'tls-auto: .* speaks TLS' "$T/srv.err" || fail "stderr: $(cat "$T/srv.err")"
}

@test "anyevent: aecat's answer to a truncating AnyEvent server (push_shutdown sends no close_notify) is 76" {
    # the peer's own push_shutdown: TCP FIN with no close_notify after its data
    cat >"$T/trunc.pl" <<'PL'
use strict; use warnings; use AnyEvent; use AnyEvent::Handle; use AnyEvent::Socket; use AnyEvent::TLS;
$| = 1;
my ($cert, $key) = @ARGV; my $done = AnyEvent->condvar; my $h;
tcp_server '127.0.0.1', 0, sub {
    $h = AnyEvent::Handle->new(fh => $_[0], tls => 'accept',
        tls_ctx => AnyEvent::TLS->new(cert_file => $cert, key_file => $key),
        on_error => sub { $done->send }, on_eof => sub { $done->send },
        on_starttls => sub { $_[0]->push_write("cut short\n"); $_[0]->push_shutdown });
}, sub { print "$_[2]\n"; 0 };
$done->recv;
PL
    spawn pl perl "$T/trunc.pl" "$CERTS/srv.pem" "$CERTS/srv.key"
    PEER_PID=$SPAWN_PID
    wait_for_line "$T/pl.out" "$PEER_PID"
    PORT=$(head -n1 "$T/pl.out")
    open_stdin ''
    ae_files "$T/in" "$T/out" --tls --ca "$CERTS/ca.pem" localhost "$PORT"
    assert_status 76
    assert_equal "$(cat "$T/out")" "cut short"
    assert_one_error 'without close_notify'
}
