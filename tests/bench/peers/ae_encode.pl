#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Encode peer for `make bench` (tests/bench/run.sh): Perl AnyEvent::Handle,
# written plainly, the socket handle with autocork.
#
# usage: ae_encode.pl TYPE HOST PORT
# Reads lines from stdin (a file), sends each line (without its "\n") as a
# TYPE frame (line, netstring, packstring:N) to HOST PORT, then closes its
# write side and waits for the peer to close.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::Handle;

@ARGV == 3 or die "usage: ae_encode.pl TYPE HOST PORT\n";
my ($type, $host, $port) = @ARGV;
my $cv = AE::cv;
my ($in, $sock);
my $send = $type eq 'line'         ? sub { $sock->push_write("$_[0]\n") }
         : $type eq 'netstring'    ? sub { $sock->push_write(netstring => $_[0]) }
         : $type eq 'packstring:N' ? sub { $sock->push_write(packstring => 'N', $_[0]) }
         : die "unknown type $type\n";

$sock = AnyEvent::Handle->new(
    connect => [$host, $port], autocork => 1,
    on_error => sub { warn "send: $_[2]\n"; $cv->send(1) },
    on_eof => sub { $cv->send(0) },
    on_drain => sub { $in->start_read if $in },   # resume stdin once written out
    on_read => sub { $_[0]{rbuf} = '' },          # read, to see the peer close
);
$in = AnyEvent::Handle->new(
    fh => \*STDIN,
    on_error => sub { warn "stdin: $_[2]\n"; $cv->send(1) },
    on_eof => sub { undef $in; $sock->push_shutdown },
);
$in->on_read(sub {
    $_[0]->push_read(line => sub {
        $send->($_[1]);
        $_[0]->stop_read if length $sock->{wbuf} > 1 << 20;   # backpressure
    });
});
exit $cv->recv;
