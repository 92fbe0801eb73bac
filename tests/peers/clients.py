#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Many concurrent TCP (or Unix-socket) clients for the -k tests.

  clients.py send PORT N FRAMES DIR [--frame line|netstring] [--seed S]
             [--unix PATH] [--read] [--hold FILE]
      N clients connect at once (all connected before any sends), each sends
      FRAMES frames of random sizes (1..300 bytes; lines are printable,
      netstrings any byte), then half-closes and, with --read, reads until
      EOF.  DIR/I.port: client I's local port; DIR/I.sent: its frames, one
      hex line each; DIR/I.recv: what it received.  --hold FILE: after
      connecting, wait until FILE exists before sending.

  clients.py check OUT DIR N [--json|--hex]
      OUT is aecat's stdout under --tag (lines records "CONN<TAB>PEER<TAB>"
      + the line, --hex: + the frame in hex, or --json objects): every client's frames are there, whole,
      in its order, tagged with its own address; exit 1 naming the first
      difference.

  clients.py recv PORT N DIR [--send LINE] [--hold FILE] [--unix PATH]
                  [--ready FILE] [--no-read-until FILE] [--lines K]
      N clients connect and read until EOF (--lines: until K lines) into
      DIR/I.recv.  --ready FILE:
      written once all are connected.  --send LINE: then, once FILE of
      --hold exists, each sends LINE and a newline (%d in it: the client's
      number).  --no-read-until FILE: do not read until FILE exists (a slow
      reader with a small receive buffer)."""
import json
import os
import random
import socket
import sys
import threading
import time


def connect(port, unix, rcvbuf=0):
    s = socket.socket(socket.AF_UNIX if unix else socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        # before connecting: the window it offers is small from the start
        # (shrunk later, a zero window is probed with ever longer pauses)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(unix if unix else ("127.0.0.1", int(port)))
    return s


def frames_for(i, n, kind, rng):
    out = []
    for j in range(n):
        size = rng.randint(1, 300)
        if kind == "line":
            body = ("c%d f%d " % (i, j)).encode()
            body += bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 .,;:-") for _ in range(size))
        else:
            body = ("c%d f%d " % (i, j)).encode() + bytes(rng.getrandbits(8) for _ in range(size))
        out.append(body)
    return out


def encode(frame, kind):
    if kind == "line":
        return frame + b"\n"
    return b"%d:%s," % (len(frame), frame)


def wait_file(path):
    while not os.path.exists(path):
        time.sleep(0.01)


def read_all(s):
    data = []
    while True:
        d = s.recv(65536)
        if not d:
            return b"".join(data)
        data.append(d)


def read_lines(s, n):
    data = b""
    while data.count(b"\n") < n:
        d = s.recv(65536)
        if not d:
            break
        data += d
    return data


def opt(args, name, default=None):
    if name in args:
        k = args.index(name)
        return args[k + 1]
    return default


def cmd_send(args):
    port, n, nframes, d = args[0], int(args[1]), int(args[2]), args[3]
    kind = opt(args, "--frame", "line")
    seed = int(opt(args, "--seed", "1"))
    unix = opt(args, "--unix")
    hold = opt(args, "--hold")
    read = "--read" in args
    socks = [connect(port, unix) for _ in range(n)]
    for i, s in enumerate(socks):
        with open(os.path.join(d, "%d.port" % i), "w") as f:
            f.write("%s\n" % (s.getsockname()[1] if not unix else "unix"))
    if hold:
        wait_file(hold)
    errors = []

    def client(i, s):
        try:
            rng = random.Random(seed * 1000 + i)
            frames = frames_for(i, nframes, kind, rng)
            with open(os.path.join(d, "%d.sent" % i), "w") as f:
                for fr in frames:
                    f.write(fr.hex() + "\n")
            s.sendall(b"".join(encode(fr, kind) for fr in frames))
            s.shutdown(socket.SHUT_WR)
            got = read_all(s) if read else b""
            with open(os.path.join(d, "%d.recv" % i), "wb") as f:
                f.write(got)
            s.close()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append("client %d: %r" % (i, e))

    threads = [threading.Thread(target=client, args=(i, s)) for i, s in enumerate(socks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)


def parse_tagged(path, as_json, as_hex):
    """{peer: [frame bytes, ...]} from aecat's tagged stdout."""
    by_peer, conn_of = {}, {}
    with open(path, "rb") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip(b"\n")
            if as_json:
                o = json.loads(line)
                conn, peer, frame = o["conn"], o["peer"], o["frame"].encode("utf-8", "surrogateescape")
            else:
                conn, peer, frame = line.split(b"\t", 2)
                conn, peer = int(conn), peer.decode()
                if as_hex:
                    frame = bytes.fromhex(frame.decode())
            if conn_of.setdefault(peer, conn) != conn:
                sys.exit("line %d: peer %s has two connection numbers" % (no, peer))
            by_peer.setdefault(peer, []).append(frame)
    return by_peer


def cmd_check(args):
    out, d, n = args[0], args[1], int(args[2])
    by_peer = parse_tagged(out, "--json" in args, "--hex" in args)
    total = 0
    for i in range(n):
        with open(os.path.join(d, "%d.port" % i)) as f:
            port = f.read().strip()
        with open(os.path.join(d, "%d.sent" % i)) as f:
            sent = [bytes.fromhex(x) for x in f.read().split()]
        got = by_peer.get("127.0.0.1:" + port, [])
        if got != sent:
            for j, (a, b) in enumerate(zip(got, sent)):
                if a != b:
                    sys.exit("client %d: frame %d differs: got %r, sent %r" % (i, j, a[:60], b[:60]))
            sys.exit("client %d: %d frames on stdout, %d sent" % (i, len(got), len(sent)))
        total += len(got)
    if len(by_peer) != n:
        sys.exit("%d peers on stdout, %d clients" % (len(by_peer), n))
    print("ok %d frames from %d clients" % (total, n))


def cmd_recv(args):
    port, n, d = args[0], int(args[1]), args[2]
    unix = opt(args, "--unix")
    line = opt(args, "--send")
    hold = opt(args, "--hold")
    ready = opt(args, "--ready")
    slow = opt(args, "--no-read-until")
    socks = [connect(port, unix, 4096 if slow else 0) for _ in range(n)]
    if ready:
        with open(ready, "w") as f:
            f.write("ready\n")
    if hold:
        wait_file(hold)
    for i, s in enumerate(socks):
        if line:
            s.sendall(line.replace("%d", str(i)).encode() + b"\n")
    if slow:
        wait_file(slow)

    lines = int(opt(args, "--lines", "0"))

    def client(i, s):
        got = read_lines(s, lines) if lines else read_all(s)
        with open(os.path.join(d, "%d.recv" % i), "wb") as f:
            f.write(got)
        s.close()

    threads = [threading.Thread(target=client, args=(i, s)) for i, s in enumerate(socks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    {"send": cmd_send, "check": cmd_check, "recv": cmd_recv}[sys.argv[1]](sys.argv[2:])
