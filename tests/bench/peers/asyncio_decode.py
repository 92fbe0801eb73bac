#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Decode peer for `make bench` (tests/bench/run.sh), Python asyncio written plainly.

usage: asyncio_decode.py TYPE READYFILE
Listens on 127.0.0.1 port 0, writes "listening 127.0.0.1 PORT" to READYFILE,
accepts one connection, cuts what it receives into TYPE frames (line,
netstring, packstring:N) and writes each frame + "\\n" to stdout.
TYPE json: JSON texts back to back or separated by whitespace, split with
json.JSONDecoder.raw_decode, each written compact as JSON Lines:
json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\\n".
"""
import asyncio
import codecs
import json
import os
import re
import sys


async def main(typ, ready):
    out = sys.stdout.buffer
    done = asyncio.get_running_loop().create_future()

    async def handle(reader, writer):
        try:
            if typ == "line":
                while True:
                    line = await reader.readline()
                    if not line:
                        break
                    if line.endswith(b"\r\n"):
                        line = line[:-2] + b"\n"
                    elif not line.endswith(b"\n"):
                        line += b"\n"
                    out.write(line)
            elif typ == "netstring":
                while True:
                    try:
                        head = await reader.readuntil(b":")
                    except asyncio.IncompleteReadError as e:
                        if e.partial:
                            raise
                        break
                    n = int(head[:-1])
                    data = await reader.readexactly(n + 1)
                    if data[-1:] != b",":
                        raise ValueError("netstring: missing ','")
                    out.write(data[:-1] + b"\n")
            elif typ == "packstring:N":
                while True:
                    try:
                        head = await reader.readexactly(4)
                    except asyncio.IncompleteReadError as e:
                        if e.partial:
                            raise
                        break
                    data = await reader.readexactly(int.from_bytes(head, "big"))
                    out.write(data + b"\n")
            elif typ == "json":
                dec = json.JSONDecoder()
                utf8 = codecs.getincrementaldecoder("utf-8")()
                ws = re.compile(r"[ \t\n\r]*")
                buf = ""
                eof = False
                while not eof:
                    data = await reader.read(1 << 16)
                    eof = not data
                    buf += utf8.decode(data, final=eof)
                    pos = ws.match(buf).end()
                    while pos < len(buf):
                        try:
                            obj, end = dec.raw_decode(buf, pos)
                        except json.JSONDecodeError:
                            if eof:
                                raise
                            break  # an incomplete text: wait for more
                        if end == len(buf) and not eof:
                            break  # a number may go on in the next read
                        out.write((json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
                                   + "\n").encode())
                        pos = ws.match(buf, end).end()
                    buf = buf[pos:]
            else:
                raise ValueError("unknown type " + typ)
            out.flush()
            writer.close()
            done.set_result(0)
        except Exception as e:  # report, and fail the run
            done.set_exception(e)

    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    with open(ready + ".tmp", "w") as f:
        f.write("listening 127.0.0.1 %d\n" % port)
    os.rename(ready + ".tmp", ready)
    try:
        await done
    finally:
        server.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: asyncio_decode.py TYPE READYFILE")
    asyncio.run(main(sys.argv[1], sys.argv[2]))
