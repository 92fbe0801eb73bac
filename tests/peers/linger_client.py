#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A client that sends a request aecat does not read, then reads the reply:
the peer of tests/linger.bats.

  linger_client.py PORT [--n N] [--first DATA] [--bytes B] [--tls]
                   [--shut] [--expect TEXT]
                   [--after close|hold|stream|notify]
                   [--told FILE]

Each of N connections (one after the other) sends DATA (C escapes) and
then B bytes in 1 KiB pieces with a short pause between them (a request
still arriving when aecat's side ends), half-closes with --shut, then
reads until EOF: it must get TEXT (C escapes) and a clean EOF (under
--tls: close_notify, then its own).  After the EOF it closes at once, or
--after hold: keeps the connection open for 10 s, stream: keeps sending
for 10 s (a peer that never ends its part), notify (--tls): sends its
close_notify and keeps TCP open for 10 s; --told FILE is created once
the EOF is in.  Exit 1 naming the first connection that saw a reset, a
broken pipe, a truncation or other bytes."""
import argparse
import codecs
import os
import socket
import ssl
import sys
import time


def unescape(text):
    return codecs.escape_decode(text.encode())[0]


def one(args, i):
    raw = socket.create_connection(("127.0.0.1", args.port))
    s = raw
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(raw)
    s.settimeout(10)
    data = b""
    try:
        s.sendall(unescape(args.first))
        for _ in range(args.bytes // 1024):
            s.sendall(b"r" * 1024)
            time.sleep(0.0005)
        if args.shut:
            raw.shutdown(socket.SHUT_WR)
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (OSError, ssl.SSLError) as e:
        return "connection %d: %s after %r" % (i, e, data)
    if data != unescape(args.expect):
        return "connection %d: got %r" % (i, data)
    if args.told:
        open(args.told, "w").close()
    end = time.time() + 10
    if args.after == "notify":
        s.unwrap()
    if args.after in ("hold", "notify"):
        time.sleep(10)
    elif args.after == "stream":
        try:
            while time.time() < end:
                raw.send(b"s" * 1024)
                time.sleep(0.05)
        except OSError:
            pass                  # the reset at the end of aecat's linger
    s.close()
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--n", type=int, default=1)
    p.add_argument("--first", default="")
    p.add_argument("--bytes", type=int, default=16384)
    p.add_argument("--tls", action="store_true")
    p.add_argument("--shut", action="store_true")
    p.add_argument("--expect", default="hi\\n")
    p.add_argument("--after", choices=("close", "hold", "stream", "notify"), default="close")
    p.add_argument("--told")
    args = p.parse_args()
    for i in range(args.n):
        err = one(args, i)
        if err:
            sys.exit(err)


if __name__ == "__main__":
    main()
