#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Strict RFC 8259 JSON oracle for the differential test of lib/frame_json.c.

verdict(data: bytes) -> bool says whether `data` is exactly one JSON text
(whitespace around it allowed) under the rules the scanner implements:
strict UTF-8, no BOM, no NaN/Infinity, no lone surrogate (raw or escaped),
nesting at most MAX_DEPTH arrays/objects.  Python 3 standard library only.

Python's json module is the parser, with every place where it is more
lenient than RFC 8259 (or stricter, for a reason unrelated to JSON) closed:
  - json.loads(bytes) guesses UTF-16/32, accepts a UTF-8 BOM ("utf-8-sig")
    and encoded surrogates ("surrogatepass"): we decode with
    bytes.decode('utf-8', 'strict') ourselves and pass a str;
  - a leading U+FEFF is rejected explicitly (json.loads rejects it too, but
    JSONDecoder.decode, which we call, does not say why);
  - NaN, Infinity, -Infinity are accepted: parse_constant raises;
  - "\\ud800" (a lone surrogate escape) is accepted: every decoded string,
    object keys included, is checked for surrogates (the input was strict
    UTF-8, so a surrogate left in a str came from an unpaired escape);
  - nesting is unlimited (up to the recursion limit): we measure the depth
    and reject past MAX_DEPTH; a RecursionError is a rejection only when
    the input really nests deeper than MAX_DEPTH;
  - integers of more than 4300 digits raise ValueError (CPython's int/str
    limit): parse_int and parse_float keep the digits as text instead;
  - only the C accelerator (_json) is trusted: the pure-Python scanner's
    \\uXXXX parsing uses int(x, 16), which takes " 12a", "+12a", "1_2a".
    We refuse to run without it.
Whitespace (only space, tab, LF, CR) and digits (ASCII only, no leading
zeros, no "1." or ".5") need no fix: SELF_TEST pins that down, and runs at
import, so a Python whose json changed is noticed instead of trusted.

The differential test (json_diff.py) imports this module.  Run as a script,
it reads the same records as tests/fuzz/json_diff (4-byte little-endian
length + bytes) on stdin and prints "accept" or "reject" per record.

WEAKEN names one fix to leave out, a naive oracle: json_diff.py --weaken
NAME uses it to show that the generator reaches the case and that the
comparison then reports a disagreement (tests/json_diff.bats).
"""

import json
import json.decoder
import json.scanner
import re
import struct
import sys

MAX_DEPTH = 512

# Weakenings, for json_diff.py --weaken (each one a known leniency):
WEAKENINGS = {
    'bytes': 'json.loads(bytes): guesses UTF-16/32, BOM and encoded surrogates allowed',
    'constants': 'NaN, Infinity and -Infinity accepted',
    'surrogates': 'lone surrogate escapes accepted',
    'keys': 'lone surrogate escapes accepted in object keys',
    'depth': 'no nesting limit',
    'intdigits': "Python's 4300-digit integer limit left on (long integers rejected)",
}


class Reject(Exception):
    """The input is not one JSON text (raised inside the parser's hooks)."""


class OracleError(Exception):
    """The oracle cannot decide: a bug in the oracle, never a verdict."""


class _Obj(list):
    """An object as its (key, value) pairs: duplicate keys are all kept, so
    every key is checked, and objects are told apart from arrays."""


def _constant(name):
    raise Reject('non-standard constant ' + name)


_SURROGATE = re.compile('[\ud800-\udfff]')


def _decoder(weaken):
    kw = dict(object_pairs_hook=_Obj)
    if weaken != 'constants':
        kw['parse_constant'] = _constant
    if weaken != 'intdigits':
        # Digits kept as text: no int() 4300-digit limit, no float() cost.
        kw['parse_int'] = str
        kw['parse_float'] = str
    return json.JSONDecoder(**kw)


def lexical_depth(text):
    """The deepest bracket nesting of text, strings skipped.  Exact for any
    text whose prefix up to that depth is valid JSON; a text with an earlier
    error is rejected anyway, so this decides RecursionError cases soundly."""
    depth = deepest = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == '\\':
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in '[{':
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ']}':
            depth -= 1
    return deepest


def _check_value(value, weaken):
    """Depth and lone surrogates, iteratively (values may nest > 512)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, str):
            if weaken != 'surrogates' and _SURROGATE.search(v):
                raise Reject('lone surrogate')
        elif isinstance(v, list):      # arrays and _Obj
            if d > MAX_DEPTH and weaken != 'depth':
                raise Reject('nesting deeper than %d' % MAX_DEPTH)
            if isinstance(v, _Obj):
                for k, x in v:
                    if weaken not in ('surrogates', 'keys') and _SURROGATE.search(k):
                        raise Reject('lone surrogate in a key')
                    stack.append((x, d + 1))
            else:
                stack.extend((x, d + 1) for x in v)


def verdict(data, weaken=None):
    """True iff data (bytes) is exactly one RFC 8259 JSON text."""
    if weaken == 'bytes':
        try:
            value = json.loads(data, object_pairs_hook=_Obj, parse_constant=_constant,
                               parse_int=str, parse_float=str)
        except (ValueError, Reject, RecursionError):   # UnicodeDecodeError is one
            return False
        try:
            _check_value(value, None)
        except Reject:
            return False
        return True
    try:
        text = data.decode('utf-8', 'strict')
    except UnicodeDecodeError:
        return False
    if text.startswith('\ufeff'):
        return False
    dec = _DECODERS.get(weaken) or _DECODERS.setdefault(weaken, _decoder(weaken))
    try:
        value = dec.decode(text)
    except (json.JSONDecodeError, Reject):
        return False
    except RecursionError:
        if lexical_depth(text) > MAX_DEPTH:
            return False
        raise OracleError('RecursionError on an input nesting at most %d deep' % MAX_DEPTH)
    except ValueError:
        if weaken == 'intdigits':        # what a naive oracle would do
            return False
        raise
    try:
        _check_value(value, weaken)
    except Reject:
        return False
    return True


_DECODERS = {}

# (input, verdict): RFC 8259 cases where Python's json could plausibly be
# lenient, each checked at import.  Failing one means the oracle is wrong.
SELF_TEST = [
    (b'1', True), (b' \t\r\n[ ]\n', True), (b'-0', True), (b'-0.0e-0', True),
    (b'1E+2', True), (b'"\\ud83d\\ude00"', True), (b'"\\uD83D\\uDE00"', True),
    (b'"\xf0\x9f\x98\x80"', True), (b'"\x7f"', True), (b'"\xef\xbb\xbf"', True),
    (b'"\\u0000"', True), (b'{"a":1,"a":2}', True), (b'1' * 5000, True),
    (b'[' * MAX_DEPTH + b']' * MAX_DEPTH, True),
    (b'[' * (MAX_DEPTH + 1) + b']' * (MAX_DEPTH + 1), False),
    (b'{"a":' * (MAX_DEPTH + 1) + b'1' + b'}' * (MAX_DEPTH + 1), False),
    (b'[' * 3000 + b']' * 3000, False),
    (b'', False), (b' ', False), (b'NaN', False), (b'[Infinity]', False),
    (b'-Infinity', False), (b'\xef\xbb\xbf1', False), (b'\x0b1', False), (b'\x0c1', False),
    (b'\xc2\xa01', False), (b'\xe3\x80\x801', False), (b'1\xe2\x80\xa8', False),
    (b'\xd9\xa1', False), (b'\xef\xbc\x91', False), (b'1\xd9\xa1', False), (b'01', False),
    (b'-01', False), (b'1.', False), (b'.5', False), (b'+1', False), (b'-', False),
    (b'1e', False), (b'1e+', False), (b'0x1', False), (b'1_0', False), (b'[1,]', False),
    (b'{"a":1,}', False), (b"'a'", False), (b'"\\u 123"', False), (b'"\\u+123"', False),
    (b'"\\u12_3"', False), (b'"\\U0041"', False), (b'"\\x41"', False), (b'"\\ud800"', False),
    (b'"\\udc00"', False), (b'"\\ud800\\u0041"', False), (b'{"\\ud800":1}', False),
    (b'"\xed\xa0\x80"', False), (b'"\xc0\x80"', False), (b'"\xf4\x90\x80\x80"', False),
    (b'"\x1f"', False), (b'"\t"', False), (b'1 2', False), (b'[][]', False),
    (b'[1]'.decode().encode('utf-16-le'), False), (b'\xff\xfe1\x00', False),
    (b'True', False), (b'nul', False), (b'[1 2]', False), (b'{1:1}', False),
]


def self_test():
    if json.scanner.c_make_scanner is None or json.decoder.c_scanstring is None:
        raise OracleError("json's C accelerator (_json) is missing: the pure-Python "
                          "scanner is lenient in \\uXXXX escapes")
    if sys.getrecursionlimit() < 5000:
        sys.setrecursionlimit(5000)
    for data, want in SELF_TEST:
        got = verdict(data)
        if got != want:
            raise OracleError('self-test: %r should be %s, oracle says %s'
                              % (data[:60], want, got))
    # A RecursionError must be caught and decided by lexical_depth.
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        for data, want in ((b'[' * 1000 + b']' * 1000, False),):
            if verdict(data) != want:
                raise OracleError('self-test: RecursionError case decided wrong')
    finally:
        sys.setrecursionlimit(old)


self_test()


def read_records(f):
    while True:
        hdr = f.read(4)
        if not hdr:
            return
        if len(hdr) < 4:
            raise OracleError('truncated record header')
        (n,) = struct.unpack('<I', hdr)
        data = f.read(n)
        if len(data) < n:
            raise OracleError('truncated record')
        yield data


def main():
    out = sys.stdout
    for data in read_records(sys.stdin.buffer):
        out.write('accept\n' if verdict(data) else 'reject\n')


if __name__ == '__main__':
    main()
