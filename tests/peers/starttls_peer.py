#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A scripted server for the STARTTLS refusal tests (tests/starttls.bats).

Listens on 127.0.0.1 (port 0), prints its port as the first line of stdout,
flushes, serves ONE connection by playing its STEPs in order, then reads
(recording) until the client closes, and exits.  A STEP is one argument:

  send:TEXT    send TEXT (C escapes: \\r \\n \\xHH ...)
  wait:TEXT    wait until TEXT (C escapes) has arrived, counting from where
               the previous wait stopped; what follows it stays for the next
  bytes:N      wait until N more bytes have arrived
  close        close the connection at once (the remaining steps are skipped)

  --recv FILE    every byte received, as it arrives
  --events FILE  one line per step done, "eof" when the client closes first

If the client closes before a wait is met, the peer records "eof" and ends.
Ends on SIGTERM; the tests stop it by PID.
"""
import argparse, codecs, os, signal, socket, sys

ap = argparse.ArgumentParser()
ap.add_argument('--recv')
ap.add_argument('--events')
ap.add_argument('steps', nargs='*')
a = ap.parse_args()

signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def unescape(s):
    return codecs.escape_decode(s.encode())[0]


def event(text):
    if a.events:
        with open(a.events, 'a') as f:
            f.write(text + '\n')


steps = []
for s in a.steps:
    kind, _, arg = s.partition(':')
    if kind == 'send' or kind == 'wait':
        steps.append((kind, unescape(arg)))
    elif kind == 'bytes':
        steps.append((kind, int(arg)))
    elif kind == 'close':
        steps.append((kind, None))
    else:
        sys.exit('starttls_peer: bad step %r' % s)

recv_f = open(a.recv, 'wb') if a.recv else None
buf = b''


def more(c):
    """Reads once into buf; False at EOF."""
    global buf
    try:
        d = c.recv(65536)
    except ConnectionResetError:
        d = b''
    if not d:
        return False
    if recv_f:
        recv_f.write(d)
        recv_f.flush()
    buf += d
    return True


def serve(c):
    global buf
    for kind, arg in steps:
        if kind == 'send':
            c.sendall(arg)
        elif kind == 'wait':
            while arg not in buf:
                if not more(c):
                    event('eof')
                    return
            buf = buf[buf.index(arg) + len(arg):]
        elif kind == 'bytes':
            while len(buf) < arg:
                if not more(c):
                    event('eof')
                    return
            buf = buf[arg:]
        elif kind == 'close':
            event('close')
            return
        event('%s done' % kind)
    while more(c):
        pass
    event('eof')


l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('127.0.0.1', 0))
l.listen(4)
sys.stdout.write('%d\n' % l.getsockname()[1])
sys.stdout.flush()
c, _ = l.accept()
try:
    serve(c)
except (BrokenPipeError, ConnectionResetError):
    event('reset')
c.close()
if recv_f:
    recv_f.close()
