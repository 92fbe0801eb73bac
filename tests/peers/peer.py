#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A scriptable TCP / Unix-socket peer for the aecat bats tests.

Listens (port 0 by default), prints its port (or "unix PATH") as the first
line of stdout, flushes, then serves ONE connection (or --accept N) as told:

  --send TEXT / --send-hex HEX / --send-file F   what to send (TEXT with C escapes)
  --when start|request|eof   send at once, after the first line (or first
                             bytes, see --request-bytes) is received, or only
                             after the client half-closed (EOF)
  --delay S                  sleep S seconds before sending
  --then drain|close|hold|rst
        drain: shutdown(SHUT_WR), read (record) until EOF, close   (default)
        close: close() right after sending
        hold : keep the connection open forever, reading (recording)
        rst  : close with SO_LINGER 0 (connection reset)
  --duplex                   read (record) in a thread while sending; after
                             sending, wait for EOF, then shutdown + close
                             (a peer that keeps its write side open until
                             it has received everything)
  --no-read                  never read from the connection (with --then hold)
  --trickle S                after sending, send "tick N\\n" every S seconds forever
  --recv FILE                write every byte received to FILE
  --peername FILE            write "HOST PORT" of the client to FILE
  --events FILE              append events ("eof N" when EOF arrives after N bytes)
  --blackhole                listen with backlog 0, never accept, and fill the
                             accept queue so that further SYNs are dropped
  --bound-only               bind but never listen (connections are refused)
  --connect PORT             connect to 127.0.0.1 PORT instead of listening

Ends on SIGTERM; the tests stop it by PID.
"""
import argparse, select, socket, sys, time

import peerlib

ap = argparse.ArgumentParser()
ap.add_argument('--host', default='127.0.0.1')
ap.add_argument('--port', type=int, default=0)
ap.add_argument('--unix')
ap.add_argument('--send')
ap.add_argument('--send-hex')
ap.add_argument('--send-file')
ap.add_argument('--when', default='start', choices=['start', 'request', 'eof'])
ap.add_argument('--request-bytes', type=int, default=0,
                help='with --when request: wait for this many bytes instead of a line')
ap.add_argument('--delay', type=float, default=0)
ap.add_argument('--then', default='drain', choices=['drain', 'close', 'hold', 'rst'])
ap.add_argument('--no-read', action='store_true')
ap.add_argument('--duplex', action='store_true')
ap.add_argument('--trickle', type=float)
peerlib.add_record_args(ap)
ap.add_argument('--peername')
ap.add_argument('--accept', type=int, default=1)
ap.add_argument('--blackhole', action='store_true')
ap.add_argument('--bound-only', action='store_true')
ap.add_argument('--connect', type=int)
a = ap.parse_args()

peerlib.standard_signals()


def payload():
    if a.send is not None:
        return peerlib.unescape(a.send)
    if a.send_hex is not None:
        return bytes.fromhex(a.send_hex)
    if a.send_file is not None:
        return peerlib.read_file(a.send_file)
    return b''


rec = peerlib.Recorder(a)
event, record = rec.event, rec.record


def read_until_eof(c):
    while True:
        d = c.recv(65536)
        if not d:
            event('eof %d' % rec.received)
            return
        record(d)


def serve(c):
    if a.duplex:
        import threading
        t = threading.Thread(target=read_until_eof, args=(c,))
        t.start()
        c.sendall(payload())
        t.join()
        c.shutdown(socket.SHUT_WR)
        c.close()
        return
    pending = b''
    if a.when == 'request':
        while True:
            d = c.recv(65536)
            if not d:
                event('eof %d' % rec.received)
                break
            record(d)
            pending += d
            if (a.request_bytes and len(pending) >= a.request_bytes) or \
               (not a.request_bytes and b'\n' in pending):
                break
        event('request %d' % rec.received)
    elif a.when == 'eof':
        read_until_eof(c)
    if a.delay:
        time.sleep(a.delay)
    data = payload()
    if data:
        c.sendall(data)
        event('sent %d' % len(data))
    if a.trickle:
        n = 0
        while True:
            n += 1
            c.sendall(b'tick %d\n' % n)
            time.sleep(a.trickle)
    if a.then == 'close':
        c.close()
    elif a.then == 'rst':
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\1\0\0\0\0\0\0\0')
        c.close()
    elif a.then == 'drain':
        c.shutdown(socket.SHUT_WR)
        try:
            read_until_eof(c)
        except ConnectionResetError:
            event('reset')
        c.close()
    else:  # hold
        if a.no_read:
            while True:
                time.sleep(3600)
        try:
            read_until_eof(c)
        except ConnectionResetError:
            event('reset')
        while True:
            time.sleep(3600)


if a.connect:
    c = socket.create_connection(('127.0.0.1', a.connect))
    peerlib.ready('connected')
    serve(c)
    sys.exit(0)

l, fam, addr = peerlib.bind(a.host, a.port, a.unix)

if a.bound_only:
    peerlib.ready(l.getsockname()[1])
    while True:
        time.sleep(3600)

if a.blackhole:
    l.listen(0)
    port = l.getsockname()[1]
    fill = []
    # Connect until one attempt stays pending: the accept queue is then full
    # and the kernel drops further SYNs, so a connect hangs (no RST, no SYN-ACK).
    for i in range(64):
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex(addr[:1] + (port,) + addr[2:])
        fill.append(c)
        _, w, _ = select.select([], [c], [], 0.3)
        if not w:
            break
    else:
        sys.exit('blackhole: the accept queue never filled')
    peerlib.ready(port)
    while True:
        time.sleep(3600)

l.listen(16)
peerlib.ready('unix ' + a.unix if a.unix else l.getsockname()[1])
for _ in range(a.accept):
    c, peer = l.accept()
    if a.peername:
        with open(a.peername, 'w') as f:
            f.write('%s %s\n' % (peer[0], peer[1]) if fam != socket.AF_UNIX else 'unix\n')
    event('accepted')
    try:
        serve(c)
    except (BrokenPipeError, ConnectionResetError) as e:
        event('error %s' % e.__class__.__name__)
        c.close()
rec.close()
event('done')
