#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Perl AnyEvent::Handle with TLS (AnyEvent::TLS over Net::SSLeay) as a peer
# for aecat's TLS interop.  Lines are read with push_read(line) and each is
# answered uppercased.  Every line read is printed on stdout after the port
# line, prefixed by "tls " or "plain " (whether the handle was encrypted).
#
# AnyEvent's TLS has no half-close: its push_shutdown never sends
# close_notify (stoptls does), and a close_notify received frees the TLS
# session, so it cannot answer after one.  The server therefore exits at
# the client's close_notify; a client that wants answers must keep its
# side open until they came (aecat --count).
#
#   ae_tls_peer.pl server accept|autostart CERT KEY
#       listens on 127.0.0.1 port 0, prints the port, serves one connection
#       with tls => "accept", or with push_read(tls_autostart => "accept")
#       first (TLS if the client starts it, plaintext otherwise)
#   ae_tls_peer.pl client PORT CAFILE LINE...
#       connects with tls => "connect", verifying the server against CAFILE
#       for the name "localhost", sends the LINEs, then stoptls and
#       push_shutdown; prints "0" first (no port) and each line received
# An error is printed on stderr ("ae_tls_peer: error: ...") and exits 1.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::Handle;
use AnyEvent::Socket;
use AnyEvent::TLS;
use IO::Handle;

STDOUT->autoflush(1);
$SIG{TERM} = sub { exit 0 };
my $mode = shift @ARGV or die "usage: ae_tls_peer.pl server|client ...\n";
my $done = AnyEvent->condvar;
my $hdl;

sub fail { print STDERR "ae_tls_peer: error: $_[0]\n"; exit 1 }

sub serve_lines {
    my ($h, $answer) = @_;
    $h->on_read(sub {
        $h->push_read(line => sub {
            my ($h, $line) = @_;
            print(($h->{tls} ? "tls " : "plain ") . "$line\n");
            $h->push_write(uc($line) . "\n") if $answer;
        });
    });
}

if ($mode eq 'server') {
    my ($how, $cert, $key) = @ARGV;
    my $ctx = AnyEvent::TLS->new(cert_file => $cert, key_file => $key);
    tcp_server '127.0.0.1', 0, sub {
        my ($fh) = @_;
        $hdl = AnyEvent::Handle->new(
            fh => $fh,
            tls_ctx => $ctx,
            ($how eq 'accept' ? (tls => 'accept') : ()),
            on_error => sub { fail($_[2]) },
            on_eof => sub { $done->send },
        );
        $hdl->push_read(tls_autostart => 'accept') if $how eq 'autostart';
        serve_lines($hdl, 1);
    }, sub {
        my (undef, undef, $port) = @_;
        print "$port\n";
        return 0;
    };
} elsif ($mode eq 'client') {
    my ($port, $ca, @lines) = @ARGV;
    print "0\n";
    tcp_connect '127.0.0.1', $port, sub {
        my ($fh) = @_ or fail("connect: $!");
        $hdl = AnyEvent::Handle->new(
            fh => $fh,
            tls => 'connect',
            peername => 'localhost',
            tls_ctx => { verify => 1, verify_peername => 'https', ca_file => $ca },
            on_error => sub { fail($_[2]) },
            on_eof => sub { $done->send },
            # after the handshake: stoptls (close_notify) in the middle of
            # one fails silently
            on_starttls => sub {
                my ($h, $ok, $msg) = @_;
                fail("handshake: $msg") unless $ok;
                $h->push_write("$_\n") for @lines;
                $h->stoptls;      # close_notify (push_shutdown sends none)
                $h->push_shutdown;
            },
        );
        serve_lines($hdl, 0);
    };
} else {
    die "ae_tls_peer: unknown mode $mode\n";
}
$done->recv;
undef $hdl;
exit 0;
