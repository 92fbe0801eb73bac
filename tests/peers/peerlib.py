# SPDX-License-Identifier: MIT
"""What the tests' Python peers (peer.py, tls_peer.py, starttls_peer.py)
share: their recording options and files, their signals, C escapes, the
listening socket and the readiness line the bats helpers wait for."""
import codecs, os, signal, socket, sys


def add_record_args(ap):
    """--recv FILE and --events FILE, read by Recorder."""
    ap.add_argument('--recv')
    ap.add_argument('--events')


def standard_signals():
    # the tests stop a peer by PID with SIGTERM: end at once, whatever it is
    # blocked in; a write to a closed pipe ends it as it would end a tool
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def unescape(text):
    """TEXT with C escapes (\\r \\n \\xHH ...) as bytes."""
    return codecs.escape_decode(text.encode())[0]


def read_file(path):
    with open(path, 'rb') as f:
        return f.read()


def ready(line):
    """The first line of stdout, flushed: the helpers wait for it."""
    sys.stdout.write('%s\n' % line)
    sys.stdout.flush()


def bind(host='127.0.0.1', port=0, unix=None):
    """A stream socket bound to HOST PORT (IPv6 when HOST has a ':') or to
    the Unix path UNIX ('@name': the abstract namespace).  Returns the
    socket, its family and the address it is bound to."""
    if unix:
        fam, addr = socket.AF_UNIX, unix
        if unix.startswith('@'):
            addr = '\0' + unix[1:]
    elif ':' in host:
        fam, addr = socket.AF_INET6, (host, port)
    else:
        fam, addr = socket.AF_INET, (host, port)
    s = socket.socket(fam, socket.SOCK_STREAM)
    if fam != socket.AF_UNIX:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(addr)
    return s, fam, addr


def listen(host='127.0.0.1', backlog=4):
    """A listener on HOST, port 0."""
    s = bind(host)[0]
    s.listen(backlog)
    return s


class Recorder:
    """The bytes received, counted and written to --recv's file as they
    arrive (flushed: the tests read it while the peer runs), and the
    events appended to --events's file, one line each."""

    def __init__(self, args):
        self.events = args.events
        self.file = open(args.recv, 'wb') if args.recv else None
        self.received = 0

    def event(self, text):
        if self.events:
            with open(self.events, 'a') as f:
                f.write(text + '\n')

    def record(self, data):
        self.received += len(data)
        if self.file:
            self.file.write(data)
            self.file.flush()

    def close(self):
        if self.file:
            self.file.close()
