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
import argparse, sys

import peerlib

ap = argparse.ArgumentParser()
peerlib.add_record_args(ap)
ap.add_argument('steps', nargs='*')
a = ap.parse_args()

peerlib.standard_signals()


steps = []
for s in a.steps:
    kind, _, arg = s.partition(':')
    if kind == 'send' or kind == 'wait':
        steps.append((kind, peerlib.unescape(arg)))
    elif kind == 'bytes':
        steps.append((kind, int(arg)))
    elif kind == 'close':
        steps.append((kind, None))
    else:
        sys.exit('starttls_peer: bad step %r' % s)

rec = peerlib.Recorder(a)
event = rec.event
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
    rec.record(d)
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


l = peerlib.listen()
peerlib.ready(l.getsockname()[1])
c, _ = l.accept()
try:
    serve(c)
except (BrokenPipeError, ConnectionResetError):
    event('reset')
c.close()
rec.close()
