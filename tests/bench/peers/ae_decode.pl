#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Decode peer for `make bench` (tests/bench/run.sh): Perl AnyEvent::Handle,
# written plainly, stdout through a handle with autocork.
#
# usage: ae_decode.pl TYPE READYFILE
# Listens on 127.0.0.1 port 0, writes "listening 127.0.0.1 PORT" to
# READYFILE, accepts one connection, reads TYPE frames (line, netstring,
# packstring:N) and writes each frame + "\n" to stdout.  TYPE json: the json
# read type (JSON::XS when installed, as AnyEvent::Handle picks), each text
# written back as JSON Lines with JSON::XS->new->utf8->canonical (a Perl hash
# has no key order: canonical sorts the keys) + "\n".
use strict;
use warnings;
use AnyEvent;
use AnyEvent::Socket;
use AnyEvent::Handle;

@ARGV == 2 or die "usage: ae_decode.pl TYPE READYFILE\n";
my ($type, $ready) = @ARGV;
my @read_args = $type eq 'line'         ? ('line')
              : $type eq 'netstring'    ? ('netstring')
              : $type eq 'packstring:N' ? ('packstring', 'N')
              : $type eq 'json'         ? ('json')
              : die "unknown type $type\n";
my $json = $type eq 'json' && do { require JSON::XS; JSON::XS->new->utf8->canonical };

my $cv = AE::cv;
my $out = AnyEvent::Handle->new(
    fh => \*STDOUT, autocork => 1,
    on_error => sub { warn "stdout: $_[2]\n"; $cv->send(1) },
);
my ($server, $conn);
$server = tcp_server '127.0.0.1', 0, sub {
    my ($fh) = @_;
    undef $server;
    $conn = AnyEvent::Handle->new(
        fh => $fh,
        on_error => sub { warn "recv: $_[2]\n"; $cv->send(1) },
        on_eof => sub {
            $conn->destroy;
            $out->on_drain(sub { $cv->send(0) });
        },
    );
    $conn->on_read(sub {
        # json: whitespace after the last text is no read (at EOF a pending
        # read, or unconsumed bytes, would be an error)
        if ($json) {
            $_[0]{rbuf} =~ s/^[ \t\r\n]+//;
            return unless length $_[0]{rbuf};
        }
        $_[0]->push_read(@read_args, $json ? sub { $out->push_write($json->encode($_[1]) . "\n") }
                                           : sub { $out->push_write("$_[1]\n") });
    });
}, sub {
    my (undef, undef, $port) = @_;
    open my $f, '>', "$ready.tmp" or die "$ready.tmp: $!\n";
    print $f "listening 127.0.0.1 $port\n";
    close $f;
    rename "$ready.tmp", $ready or die "$ready: $!\n";
    8
};
exit $cv->recv;
