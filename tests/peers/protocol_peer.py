#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A small server for one binary protocol whose real server is not practical
to run in the tests (AMQP, MongoDB, Kafka, Thrift, ONC RPC) or whose
Debian server library lacks its socket layer here (Modbus: pymodbus' server
module needs pyserial; its framer, decoder and datastore do not).  It reads
each request by the protocol's own framing, checks it is the request the
man page's PROTOCOLS example sends, and answers as the real server does,
byte for byte in its framing (the contents are the peer's own).

  protocol_peer.py PROTO      PROTO: amqp mongo kafka thrift rpc modbus

Listens on 127.0.0.1, a free port, printed as the first line of stdout (the
readiness line); serves connections one after another, each until its EOF,
until SIGTERM.  A request that is not what it expects: a line on stderr
and the connection closed without an answer."""
import struct, sys

import peerlib


class Refused(Exception):
    pass


def read_exact(conn, n):
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            if data:
                raise Refused('EOF inside a message (%d of %d bytes)' % (len(data), n))
            raise EOFError
        data += chunk
    return data


# ------------------------------------------------------------------ AMQP 0-9-1

def amqp_shortstr(s):
    return struct.pack('>B', len(s)) + s


def amqp_longstr(s):
    return struct.pack('>I', len(s)) + s


def amqp(conn):
    """The protocol header answered by a Connection.Start frame (class 10,
    method 10) on channel 0, as RabbitMQ's first frame."""
    header = read_exact(conn, 8)
    if header != b'AMQP\x00\x00\x09\x01':
        raise Refused('not the AMQP 0-9-1 protocol header: %s' % header.hex())
    table = (amqp_shortstr(b'product') + b'S' + amqp_longstr(b'RabbitMQ') +
             amqp_shortstr(b'version') + b'S' + amqp_longstr(b'3.11.0'))
    args = (struct.pack('>HHBB', 10, 10, 0, 9) + amqp_longstr(table) +
            amqp_longstr(b'PLAIN AMQPLAIN') + amqp_longstr(b'en_US'))
    conn.sendall(struct.pack('>BHI', 1, 0, len(args)) + args + b'\xce')
    # the client's next frame would be Start-Ok: read frames until EOF
    while True:
        frame_type, _, size = struct.unpack('>BHI', read_exact(conn, 7))
        if read_exact(conn, size + 1)[-1] != 0xce:
            raise Refused('AMQP frame of type %d without its frame-end byte' % frame_type)


# ------------------------------------------------------------------ MongoDB

def bson_cstring(s):
    return s + b'\x00'


def bson_doc(elements):
    body = b''.join(elements) + b'\x00'
    return struct.pack('<i', len(body) + 4) + body


def mongo(conn):
    """OP_MSG (2013) hello, answered by an OP_MSG whose responseTo is the
    request's id and whose body is a hello reply (a MongoDB 6.0 primary's
    fields, abridged)."""
    while True:
        length, request_id, _, opcode = struct.unpack('<iiii', read_exact(conn, 16))
        body = read_exact(conn, length - 16)
        if opcode != 2013 or body[4] != 0 or b'\x10hello\x00' not in body:
            raise Refused('not an OP_MSG hello (opcode %d): %s' % (opcode, body.hex()))
        doc = bson_doc([
            b'\x08' + bson_cstring(b'isWritablePrimary') + b'\x01',
            b'\x10' + bson_cstring(b'maxWireVersion') + struct.pack('<i', 17),
            b'\x01' + bson_cstring(b'ok') + struct.pack('<d', 1.0),
        ])
        reply = struct.pack('<iB', 0, 0) + doc
        conn.sendall(struct.pack('<iiii', 16 + len(reply), 1, request_id, 2013) + reply)


# ------------------------------------------------------------------ Kafka

def kafka(conn):
    """ApiVersions (api key 18) v0 answered by its v0 response: the
    correlation id, error 0, [api key, min version, max version]..."""
    while True:
        size, = struct.unpack('>i', read_exact(conn, 4))
        req = read_exact(conn, size)
        api_key, api_version, correlation = struct.unpack('>hhi', req[:8])
        if api_key != 18 or api_version != 0:
            raise Refused('not ApiVersions v0 (key %d version %d)' % (api_key, api_version))
        keys = [(0, 0, 9), (1, 0, 13), (3, 0, 12), (18, 0, 3)]
        resp = struct.pack('>ihi', correlation, 0, len(keys))
        resp += b''.join(struct.pack('>hhh', *k) for k in keys)
        conn.sendall(struct.pack('>i', len(resp)) + resp)


# ------------------------------------------------------------------ Thrift

def thrift(conn):
    """Framed transport, strict binary protocol: a CALL of "ping" (no
    arguments) answered by its REPLY with the same name and seqid and an
    empty result struct (a void method's)."""
    while True:
        size, = struct.unpack('>i', read_exact(conn, 4))
        msg = read_exact(conn, size)
        version, name_len = struct.unpack('>Ii', msg[:8])
        name = msg[8:8 + name_len]
        seqid, = struct.unpack('>i', msg[8 + name_len:12 + name_len])
        if version != 0x80010001 or name != b'ping' or msg[12 + name_len:] != b'\x00':
            raise Refused('not a Thrift CALL of ping(): %s' % msg.hex())
        reply = struct.pack('>Ii', 0x80010002, len(name)) + name + struct.pack('>i', seqid) + b'\x00'
        conn.sendall(struct.pack('>i', len(reply)) + reply)


# ------------------------------------------------------------------ ONC RPC

def rpc(conn):
    """Record marking (RFC 5531 section 11): the portmapper's NULL procedure
    (program 100000 version 2 procedure 0), read from however many
    fragments, answered by an accepted SUCCESS reply with the call's xid in
    one last fragment, as rpcbind does."""
    while True:
        record = b''
        while True:
            mark, = struct.unpack('>I', read_exact(conn, 4))
            record += read_exact(conn, mark & 0x7fffffff)
            if mark & 0x80000000:
                break
        xid, mtype, rpcvers, prog, vers, proc = struct.unpack('>6I', record[:24])
        if (mtype, rpcvers, prog, vers, proc) != (0, 2, 100000, 2, 0):
            raise Refused('not a portmapper NULL call: %s' % record.hex())
        reply = struct.pack('>6I', xid, 1, 0, 0, 0, 0)
        conn.sendall(struct.pack('>I', 0x80000000 | len(reply)) + reply)


# ------------------------------------------------------------------ Modbus TCP

def modbus(conn):
    """pymodbus' Modbus TCP framer, request decoder and datastore (unit 1:
    holding registers 0 and 1 are 17 and 42): what its own server does
    with a request, around this socket."""
    from pymodbus.datastore import (ModbusSequentialDataBlock,
                                    ModbusServerContext, ModbusSlaveContext)
    from pymodbus.factory import ServerDecoder
    from pymodbus.framer.socket_framer import ModbusSocketFramer
    store = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, [17, 42, 0, 0]), zero_mode=True)
    context = ModbusServerContext(slaves={1: store}, single=False)
    framer = ModbusSocketFramer(ServerDecoder())
    replies = []

    def execute(request):
        response = request.execute(context[request.unit_id])
        response.transaction_id = request.transaction_id
        response.unit_id = request.unit_id
        replies.append(framer.buildPacket(response))

    while True:
        data = conn.recv(4096)
        if not data:
            raise EOFError
        framer.processIncomingPacket(data, execute, unit=[1])
        for packet in replies:
            conn.sendall(packet)
        replies.clear()


PROTOCOLS = {'amqp': amqp, 'mongo': mongo, 'kafka': kafka, 'thrift': thrift, 'rpc': rpc,
             'modbus': modbus}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in PROTOCOLS:
        sys.exit('usage: protocol_peer.py %s' % '|'.join(PROTOCOLS))
    serve = PROTOCOLS[sys.argv[1]]
    peerlib.standard_signals()
    lst = peerlib.listen()
    peerlib.ready(lst.getsockname()[1])
    while True:
        conn, _ = lst.accept()
        with conn:
            try:
                serve(conn)
            except EOFError:
                pass
            except Refused as e:
                sys.stderr.write('protocol_peer %s: %s\n' % (sys.argv[1], e))
                sys.stderr.flush()


if __name__ == '__main__':
    main()
