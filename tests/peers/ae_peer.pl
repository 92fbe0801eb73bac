#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Perl AnyEvent::Handle as the reference peer for aecat's framing interop.
#
#   ae_peer.pl TYPE [FORMAT] [--send HEX,HEX,...] [--log FILE]
#
# TYPE is an AnyEvent::Handle read/write type: line, netstring, packstring
# (FORMAT: a pack letter with its modifier, e.g. N, n, w, C, "s<", "L>"),
# json (objects and arrays: AnyEvent's JSON coder takes references only;
# echoed as {"echo": TEXT}, written back to back with no separator, and
# logged canonical: sorted keys), cbor (CBOR::XS: echoed as {"echo": ITEM},
# logged as the item re-encoded; --send takes CBOR items in hex).
# Listens on 127.0.0.1 port 0, prints the port on stdout, serves one
# connection:
#   echo mode (default): each frame read with push_read(TYPE => ...) is sent
#     back uppercased with push_write(TYPE => ...) (line: the line + "\n");
#   --send: writes the given frames (hex, comma-separated; "" for an empty
#     frame), then shuts down its write side and reads until EOF.
# At EOF from the client it flushes, shuts down and exits 0.  A framing
# error from AnyEvent is printed on stderr ("ae_peer: error: ...") and exits 1.
# --log FILE: every frame read is appended to FILE as one line of hex.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::Handle;
use AnyEvent::Socket;
use IO::Handle;

my ($type, $fmt, $send, $log);
my @args = @ARGV;
while (@args) {
    my $x = shift @args;
    if    ($x eq '--send') { $send = shift @args }
    elsif ($x eq '--log')  { $log  = shift @args }
    elsif (!defined $type) { $type = $x }
    elsif (!defined $fmt)  { $fmt  = $x }
    else { die "ae_peer: unexpected argument $x\n" }
}
die "usage: ae_peer.pl TYPE [FORMAT] [--send HEX,...] [--log FILE]\n" unless $type;
die "ae_peer: packstring needs a FORMAT\n" if $type eq 'packstring' && !defined $fmt;

$SIG{TERM} = sub { exit 0 };
STDOUT->autoflush(1);

my $done = AnyEvent->condvar;
my $handle;

sub rtype { $type eq 'packstring' ? (packstring => $fmt) : ($type) }

my ($json, $cbor);
if ($type eq 'json') {
    require JSON::XS;
    $json = JSON::XS->new->utf8->canonical;
} elsif ($type eq 'cbor') {
    require CBOR::XS;
    $cbor = CBOR::XS->new;   # 1.86 has no canonical mode: tests use one-key maps
}

sub write_frame {
    my ($h, $data) = @_;
    if ($type eq 'line') { $h->push_write($data . "\n") }
    elsif ($type eq 'json') { $h->push_write(json => ref $data ? $data : $json->decode($data)) }
    elsif ($type eq 'cbor') { $h->push_write(cbor => ref $data ? $data : $cbor->decode($data)) }
    elsif ($type eq 'packstring') { $h->push_write(packstring => $fmt, $data) }
    else { $h->push_write($type => $data) }
}

sub log_frame {
    return unless $log;
    open my $f, '>>', $log or die "ae_peer: $log: $!\n";
    print $f unpack('H*', $_[0]), "\n";
    close $f;
}

sub finish {
    my ($h) = @_;
    $h->on_drain(sub { shutdown $_[0]{fh}, 1; $done->send(0) });
}

my $server = tcp_server '127.0.0.1', 0, sub {
    my ($fh) = @_;
    $handle = AnyEvent::Handle->new(
        fh       => $fh,
        ($json ? (json => $json) : ()),   # sorted keys: a stable answer
        on_error => sub {
            my ($h, $fatal, $msg) = @_;
            # AnyEvent reports EOF with a read still queued as EPIPE: with
            # nothing buffered that is the clean end of the stream.
            # The handle is destroyed after this callback: write what is
            # still queued synchronously first.
            if ($!{EPIPE} && !length $h->{rbuf}) {
                my $fh = $h->{fh};
                $fh->blocking(1);
                while (length $h->{wbuf}) {
                    my $n = syswrite $fh, $h->{wbuf};
                    last unless $n;
                    substr $h->{wbuf}, 0, $n, '';
                }
                shutdown $fh, 1;
                $done->send(0);
                return;
            }
            print STDERR "ae_peer: error: $msg\n";
            $done->send(1);
        },
        on_eof => sub { finish($_[0]) },
    );
    if (defined $send) {
        for my $hex (split /,/, $send, -1) {
            write_frame($handle, pack('H*', $hex));
        }
        $handle->push_shutdown;
        $handle->on_read(sub { $_[0]{rbuf} = '' });
        $handle->on_eof(sub { $done->send(0) });
        return;
    }
    my $reader; $reader = sub {
        my ($h, $data) = @_;
        if ($json || $cbor) {
            log_frame($json ? $json->encode($data) : $cbor->encode($data));
            write_frame($h, { echo => $data });
        } else {
            log_frame($data);
            write_frame($h, uc $data);
        }
        $h->push_read(rtype(), $reader);
    };
    $handle->push_read(rtype(), $reader);
}, sub {
    my (undef, $host, $port) = @_;
    print "$port\n";
    16;
};

exit $done->recv;
