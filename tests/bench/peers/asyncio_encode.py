#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Encode peer for `make bench` (tests/bench/run.sh), Python asyncio written plainly.

usage: asyncio_encode.py TYPE HOST PORT
Reads lines from stdin (a file), sends each line (without its "\\n") as a
TYPE frame (line, netstring, packstring:N) to HOST PORT, then closes its
write side and waits for the peer to close.
"""
import asyncio
import sys


def encoder(typ):
    if typ == "line":
        return lambda f: f + b"\n"
    if typ == "netstring":
        return lambda f: b"%d:%s," % (len(f), f)
    if typ == "packstring:N":
        return lambda f: len(f).to_bytes(4, "big") + f
    raise SystemExit("unknown type " + typ)


async def main(typ, host, port):
    encode = encoder(typ)
    reader, writer = await asyncio.open_connection(host, int(port))
    for line in sys.stdin.buffer:
        if line.endswith(b"\n"):
            line = line[:-1]
        writer.write(encode(line))
        await writer.drain()
    writer.write_eof()
    await writer.drain()
    await reader.read()
    writer.close()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: asyncio_encode.py TYPE HOST PORT")
    asyncio.run(main(*sys.argv[1:]))
