#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A scriptable TLS peer (Python's ssl module, i.e. OpenSSL) for the aecat
TLS suites.  Serves ONE connection, or makes one with --connect.

Server (default): listens on --host (127.0.0.1) port 0, prints the port as
the first line of stdout, accepts one connection.

  --cert F --key F        the server's certificate and key
  --ca F                  with --connect: verify the server against F
                          (default: no verification)
  --servername NAME       with --connect: SNI and the name checked
  --connect PORT          be the client: connect to --host PORT
  --max-version 1.2|1.3   highest TLS version offered / accepted
  --send TEXT             what to send (C escapes); --send-file F instead
  --when start|eof        send right after the handshake (default), or only
                          after the peer's close_notify (a late reply: the
                          peer half-closed and must still receive it)
  --then close_notify|truncate|partial|close_first|cut|reset|garbage
                          close_notify: after sending and after the peer's
                              close_notify, send ours (unwrap) and close (default)
                          truncate: close TCP without sending close_notify
                          partial: as truncate, after 10 bytes of a record
                              that never ends (a cut inside a record)
                          close_first: right after sending, send close_notify
                              and wait for the peer's (event "shutdown
                              close_notify", or "shutdown error MSG")
                          cut: right after sending, close TCP without
                              close_notify and without reading (the peer's
                              side still open: a truncation)
                          garbage: right after sending, a whole record
                              that does not decrypt (a bad MAC), then wait
                              for the peer to close
                          reset: wait until the peer's next bytes (its
                              close_notify) are in the socket, send, and close
                              without reading them: the kernel sends a reset
                              right behind the data (TCP_NODELAY: Nagle
                              would hold the data back, and the reset
                              discards what the socket has not sent)
  --recv FILE             write the application data received to FILE
  --events FILE           append "eof N close_notify" when the peer ended
                          cleanly after N bytes, "eof N truncated" when TCP
                          ended without close_notify, "error MSG" on a TLS error
  --close-after-hello     plain TCP: read the first TLS record (the
                          ClientHello), then close (a server dying mid-handshake)

Exit status 0, or 1 after a TLS error.  Ends on SIGTERM.
"""
import argparse, select, socket, ssl, sys

import peerlib

ap = argparse.ArgumentParser()
ap.add_argument('--host', default='127.0.0.1')
ap.add_argument('--cert')
ap.add_argument('--key')
ap.add_argument('--ca')
ap.add_argument('--servername')
ap.add_argument('--connect', type=int)
ap.add_argument('--max-version', choices=['1.2', '1.3'])
ap.add_argument('--send', default='')
ap.add_argument('--send-file')
ap.add_argument('--when', default='start', choices=['start', 'eof'])
ap.add_argument('--then', default='close_notify', choices=['close_notify', 'truncate', 'partial', 'close_first', 'cut', 'reset', 'garbage'])
peerlib.add_record_args(ap)
ap.add_argument('--close-after-hello', action='store_true')
a = ap.parse_args()

peerlib.standard_signals()


def payload():
    if a.send_file:
        return peerlib.read_file(a.send_file)
    return peerlib.unescape(a.send)


def recv_exact(s, n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            break
        b += c
    return b


if a.connect is not None:
    raw = socket.create_connection((a.host, a.connect))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if a.ca:
        ctx.load_verify_locations(a.ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
else:
    ls = peerlib.listen(a.host)
    peerlib.ready(ls.getsockname()[1])
    raw, _ = ls.accept()
    ls.close()
    if a.close_after_hello:
        hdr = recv_exact(raw, 5)
        if len(hdr) == 5:
            recv_exact(raw, int.from_bytes(hdr[3:5], 'big'))
        raw.close()
        sys.exit(0)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
if a.max_version:
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2 if a.max_version == '1.2' else ssl.TLSVersion.TLSv1_3

rec = peerlib.Recorder(a)
event = rec.event
try:
    if a.connect is not None:
        s = ctx.wrap_socket(raw, server_hostname=a.servername or (a.host if a.ca else None),
                            suppress_ragged_eofs=False)
    else:
        s = ctx.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
    data = payload()
    if a.then in ('cut', 'reset'):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if a.then == 'reset':
            select.select([s], [], [])
        s.sendall(data)
        if a.then == 'cut':
            socket.socket(fileno=s.detach()).close()
        else:
            s.close()
        sys.exit(0)
    if a.when == 'start' and data:
        s.sendall(data)
    if a.then == 'garbage':
        t = socket.socket(fileno=s.detach())
        t.sendall(b'\x17\x03\x03\x00\x20' + b'\x5a' * 32)
        while t.recv(65536):
            pass
        sys.exit(0)
    if a.then == 'close_first':
        try:
            s.unwrap().close()
            event('shutdown close_notify')
        except (ssl.SSLError, OSError) as e:
            event('shutdown error %s' % e)
        sys.exit(0)
    clean = True
    while True:
        try:
            b = s.recv(65536)
        except ssl.SSLEOFError:
            clean = False
            break
        if not b:
            break
        rec.record(b)
    event('eof %d %s' % (rec.received, 'close_notify' if clean else 'truncated'))
    if a.when == 'eof' and data:
        s.sendall(data)
    if a.then in ('truncate', 'partial') or not clean:
        fd = s.detach()
        t = socket.socket(fileno=fd)
        if a.then == 'partial':
            t.sendall(b'\x17\x03\x03\x00\x40' + b'\x00' * 5)
        t.shutdown(socket.SHUT_RDWR)
        t.close()
    else:
        s.unwrap().close()
except (ssl.SSLError, OSError) as e:
    event('error %s' % e)
    print('tls_peer: %s' % e, file=sys.stderr)
    sys.exit(1)
sys.exit(0)
