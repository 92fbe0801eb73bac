#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential test of lib/frame_json.c against a strict reference parser.

    tests/fuzz/json_diff.py [options] SEED N

Generates N inputs from SEED (deterministic: the same SEED and N give the
same inputs), runs the C driver tests/fuzz/bin/json_diff (built by `make
unit`) once per batch of inputs through a pipe, judges each input with
json_oracle.py (Python's json made strict) and compares the verdicts.  Any
disagreement is printed (the input's repr, both verdicts, a minimized input
that still disagrees) and the exit status is 1; so is a driver abort (the
driver also checks that 2-3 reads and 1-byte reads give the same frames as
the whole input).  The last line is a summary:
    json_diff: seed S: N inputs, A accepted, R rejected, D disagreements, T s

Inputs: a grammar-based generator of valid JSON (objects, arrays, strings
with every escape incl. \\u and surrogate pairs, raw UTF-8 of 1-4 bytes,
numbers of every shape, literals, legal whitespace, nesting up to ~700 now
and then, long integers), some with one planted fault (lone surrogate
escapes, invalid or overlong UTF-8, raw controls, bad escapes, bad numbers,
NaN/Infinity, bad literals, illegal whitespace, trailing commas), then about
half of them mutated (bit flips, byte inserts/deletes, tricky tokens,
truncation, splices and concatenations of two inputs, a BOM, UTF-16).

Options:
  --driver PATH   the C driver (default: tests/fuzz/bin/json_diff)
  -j J            batches in J processes at once (default 1)
  --show K        print at most K disagreements (default 3)
  --stats         also print how often each scanner error message occurred
  --dump FILE     write the inputs as driver records (4-byte LE length + bytes)
Test switches (tests/json_diff.bats), to prove a broken comparison shows:
  --lie K         flip the oracle's verdict on input K: must exit 1
  --weaken NAME   leave one of the oracle's fixes out (json_oracle.WEAKENINGS):
                  the generator must reach that case, so this must exit 1
  --break-split   pass --break-split to the driver: it must abort

`make fuzz-diff` runs a long one (JSON_DIFF_N=1000000 by default, a new seed
each time, printed in the summary so that a failure can be rerun).
"""

import argparse
import collections
import os
import random
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import json_oracle  # noqa: E402  (after the path set-up)

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
BATCH = 20000        # inputs per driver run; fixed, so results do not depend on -j
MAX_DEPTH = json_oracle.MAX_DEPTH

# ------------------------------------------------------------------ generator

WS = b' \t\n\r'
# Whitespace in other standards, never in JSON: VT, FF, NBSP, NEL, U+2028,
# U+3000, a BOM in the middle, NUL.
NEST_WS = [b' ', b'\n', b'\t', b'\r\n  ']
NEST_KEYS = [b'""', b'"k"', b'"a b"', b'"\\u00e9"', b'"\xc3\xa9"', b'"\\ud83d\\ude00"',
             b'"\xf0\x9f\x98\x80"', b'"\\""']
BAD_WS = [b'\x0b', b'\x0c', b'\xc2\xa0', b'\xc2\x85', b'\xe2\x80\xa8', b'\xe3\x80\x80',
          b'\xef\xbb\xbf', b'\x00', b'\xa0', b'\x1c']
# Plain string bytes: printable ASCII and DEL, but for '"' and '\\'.
PLAIN = bytes(c for c in range(0x20, 0x80) if c not in b'"\\')
SIMPLE_ESC = [b'\\"', b'\\\\', b'\\/', b'\\b', b'\\f', b'\\n', b'\\r', b'\\t']
# Code points at the edges of the UTF-8 length classes and of the surrogates.
EDGE_CP = [0x80, 0x7FF, 0x800, 0xFFF, 0x1000, 0xD7FF, 0xE000, 0xFEFF, 0xFFFD, 0xFFFF,
           0x10000, 0x3FFFF, 0x40000, 0xFFFFF, 0x100000, 0x10FFFF, 0x2028, 0x2029, 0x85, 0xA0]
# String contents that are not allowed, each in an otherwise valid string.
BAD_STR = [
    # lone or misordered surrogate escapes
    b'\\ud800', b'\\uDBFF', b'\\udc00', b'\\uDFFF', b'\\ud800\\u0041', b'\\ud800\\ud800',
    b'\\udc00\\ud800', b'\\ud83d\\n', b'\\ud83dx', b'\\ud83d\\\\', b'\\uD83D\\uD83D\\uDE00',
    b'\\ud800\\u', b'\\ud800\\', b'\\udbff\\ue000', b'\\udbff\\udbff',
    # overlong, surrogate, out of range, truncated, stray UTF-8
    b'\xc0\x80', b'\xc1\xbf', b'\xe0\x80\x80', b'\xe0\x9f\xbf', b'\xf0\x80\x80\x80',
    b'\xf0\x8f\xbf\xbf', b'\xed\xa0\x80', b'\xed\xbf\xbf', b'\xed\xb0\x80', b'\xf4\x90\x80\x80',
    b'\xf5\x80\x80\x80', b'\xf7\xbf\xbf\xbf', b'\xf8\x88\x80\x80\x80', b'\xfc\x84\x80\x80\x80\x80',
    b'\xfe', b'\xff', b'\x80', b'\xbf', b'\xc2', b'\xe2\x82', b'\xf0\x9f\x98', b'\xc2A', b'\xe2\x82A',
    b'\xf0\x9f\x98A', b'\xc2\xc2\xa9', b'\xa9',
    # raw controls (DEL is allowed, so it is not here)
    b'\x00', b'\x01', b'\x08', b'\t', b'\n', b'\r', b'\x0b', b'\x1f',
    # escapes JSON does not have, short or bad \u
    b'\\x41', b'\\U00000041', b'\\u12', b'\\u12g4', b'\\u{41}', b'\\a', b'\\0', b"\\'", b'\\ ',
    b'\\u 123', b'\\u+123', b'\\u-123', b'\\u12_3', b'\\uD8\\u00', b'\\', b'\\e', b'\\N',
]
# Numbers that are not allowed (where a number may stand), and constants.
BAD_NUM = [b'01', b'-01', b'00', b'1.', b'-1.', b'.5', b'-.5', b'-', b'+1', b'1e', b'1E+', b'1e-',
           b'1.e5', b'1.5.2', b'1e5e5', b'0x1F', b'--1', b'- 1', b'1_000', b'\xd9\xa3',
           b'\xef\xbc\x91', b'1\xd9\xa3', b'0.', b'-0.', b'1e5.5', b'1ee5', b'00.5', b'012.5',
           b'NaN', b'Infinity', b'-Infinity', b'nan', b'inf', b'-inf', b'+Infinity', b'1e+-1']
CONSTANTS = [b'NaN', b'Infinity', b'-Infinity']
BAD_LIT = [b'tru', b'True', b'nul', b'NULL', b'fals', b'falsee', b'truefalse', b'nulll',
           b'ture', b't rue', b'undefined', b'None', b'null\x00']
# Tokens the mutator inserts anywhere: faults of every kind and valid pieces
# that change the structure around them.
TOKENS = (BAD_STR + BAD_NUM + BAD_LIT + BAD_WS + [
    b'"', b'\\', b'\\"', b',', b':', b'[', b']', b'{', b'}', b',]', b',}', b'[,', b'{,', b'[]',
    b'{}', b'""', b'"a":1', b'"a":', b'1', b'0', b'-0', b'1e5', b'0.5', b'true', b'null',
    b' ', b'\t', b'\n', b'\r', b'\r\n', b'\xef\xbb\xbf', b'\\u0000', b'\\ud83d\\ude00',
    b'\xf0\x9f\x98\x80', b'\xc3\xa9', b'\xe2\x82\xac', b'\x7f', b'/*x*/', b'//', b'#', b"'",
])


def utf8(cp):
    return chr(cp).encode('utf-8')


class Gen:
    """One input at a time from a random.Random.  Valid JSON with at most
    one planted fault (self.fault, chosen per input) so that faults are
    surrounded by valid text and reach the code that checks them."""

    FAULTS = ('str', 'key', 'num', 'const', 'lit', 'ws', 'comma', 'struct')

    def __init__(self, rng):
        self.r = rng

    # -- helpers
    def chance(self, p):
        return self.r.random() < p

    def plant(self, kind):
        """True once per input, at a random opportunity of its fault kind."""
        if self.fault == kind and self.chance(0.3):
            self.fault = None
            return True
        return False

    def ws(self):
        if self.plant('ws'):
            return self.r.choice(BAD_WS)
        if self.chance(0.7):
            return b''
        return bytes(self.r.choice(WS) for _ in range(self.r.randint(1, 4)))

    def hex4(self, v):
        s = '%04x' % v
        if self.chance(0.5):
            s = ''.join(c.upper() if self.chance(0.5) else c for c in s)
        return s.encode()

    # -- scalars
    def digits(self, lo, hi):
        return bytes(self.r.choice(b'0123456789') for _ in range(self.r.randint(lo, hi)))

    def number(self):
        if self.plant('num'):
            return self.r.choice(BAD_NUM)
        if self.plant('const'):
            return self.r.choice(CONSTANTS)
        r = self.r
        if r.random() < 0.01:
            # longer than CPython's 4300-digit int limit: valid JSON
            return b'-' * r.randint(0, 1) + b'1' + self.digits(4300, 4400)
        out = b'-' if r.random() < 0.3 else b''
        k = r.random()
        if k < 0.25:
            out += b'0'
        elif k < 0.9:
            out += r.choice(b'123456789').to_bytes(1, 'big') + self.digits(0, 4)
        else:
            out += r.choice(b'123456789').to_bytes(1, 'big') + self.digits(10, 40)
        if r.random() < 0.35:
            out += b'.' + self.digits(1, 6)
        if r.random() < 0.3:
            out += r.choice((b'e', b'E')) + r.choice((b'', b'+', b'-')) + self.digits(1, 4)
        return out

    def string(self, key=False):
        r = self.r
        parts = [b'"']
        for _ in range(int(r.expovariate(0.25)) if r.random() < 0.9 else r.randint(20, 80)):
            if self.plant('key' if key else 'str'):
                parts.append(r.choice(BAD_STR))
                continue
            k = r.random()
            if k < 0.3:
                parts.append(bytes([r.choice(PLAIN)]))
            elif k < 0.45:
                # a run of plain bytes: the scanner skips those 8 at a time,
                # so what follows lands at every offset in a word
                parts.append(bytes(r.choices(PLAIN, k=r.randint(2, 24))))
            elif k < 0.55:
                parts.append(r.choice(SIMPLE_ESC))
            elif k < 0.65:
                cp = r.choice((r.randint(0, 0x7F), r.randint(0x80, 0xD7FF), r.randint(0xE000, 0xFFFF),
                               r.choice((0, 0x1F, 0x20, 0x22, 0x5C, 0x7F, 0xD7FF, 0xE000, 0xFEFF,
                                         0xFFFF))))
                parts.append(b'\\u' + self.hex4(cp))
            elif k < 0.72:
                parts.append(b'\\u' + self.hex4(r.randint(0xD800, 0xDBFF)) +
                             b'\\u' + self.hex4(r.randint(0xDC00, 0xDFFF)))
            else:
                kind = r.random()
                if kind < 0.3:
                    cp = r.choice(EDGE_CP)
                elif kind < 0.55:
                    cp = r.randint(0x80, 0x7FF)
                elif kind < 0.8:
                    cp = r.choice((r.randint(0x800, 0xD7FF), r.randint(0xE000, 0xFFFF)))
                else:
                    cp = r.randint(0x10000, 0x10FFFF)
                parts.append(utf8(cp))
        parts.append(b'"')
        return b''.join(parts)

    def literal(self):
        if self.plant('lit'):
            return self.r.choice(BAD_LIT)
        return self.r.choice((b'true', b'false', b'null'))

    # -- structure
    def value(self, depth):
        r = self.r
        self.budget -= 1
        k = r.random()
        if self.budget > 0 and depth < 40 and k < 0.35:
            return self.array(depth + 1) if k < 0.17 else self.object(depth + 1)
        k = r.random()
        if k < 0.4:
            return self.string()
        if k < 0.8:
            return self.number()
        return self.literal()

    def members(self, depth, item):
        r = self.r
        n = int(r.expovariate(0.4)) if r.random() < 0.85 else 0
        out = []
        for _ in range(n):
            out.append(self.ws() + item(depth) + self.ws())
            if self.budget <= 0:
                break
        body = b','.join(out)
        if self.plant('comma'):
            body = r.choice((body + b',', b',' + body, body.replace(b',', b',,', 1) + b','))
        return body if out or r.random() < 0.5 else self.ws()

    def array(self, depth):
        return b'[' + self.members(depth, self.value) + b']'

    def pair(self, depth):
        sep = b':'
        if self.plant('struct'):
            sep = self.r.choice((b'', b'::', b'=', b',', b' '))
        return self.string(key=True) + self.ws() + sep + self.ws() + self.value(depth)

    def object(self, depth):
        return b'{' + self.members(depth, self.pair) + b'}'

    def nest(self, inner):
        """Nesting right around the depth limit (or anywhere up to ~700)."""
        r = self.r
        if r.random() < 0.7:
            d = r.choice((MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH,
                          MAX_DEPTH + 1, MAX_DEPTH + 1, MAX_DEPTH + 2))
        else:
            d = r.randint(1, 700)
        # Cheap levels (a few random() calls each): these inputs are long.
        opens = []
        for _ in range(d):
            k = r.random()
            sib = self.value(MAX_DEPTH) + b',' if k < 0.03 else b''   # a scalar before it
            if k < 0.02 or 0.1 < k < 0.65:
                opens.append(b'[' + (r.choice(NEST_WS) if k < 0.2 else b'') + sib)
            else:
                pre = r.choice(NEST_KEYS) + b':' + sib if sib else b''
                opens.append(b'{' + pre + r.choice(NEST_KEYS) + b':' +
                             (r.choice(NEST_WS) if k > 0.9 else b''))
        closes = [b']' if o[:1] == b'[' else b'}' for o in reversed(opens)]
        return b''.join(opens) + inner + b''.join(closes)

    def document(self):
        r = self.r
        self.fault = r.choice(self.FAULTS) if r.random() < 0.35 else None
        self.budget = int(r.expovariate(1 / 12)) + 1
        if r.random() < 0.04:
            self.budget = 3
            body = self.nest(self.value(MAX_DEPTH))
        else:
            body = self.value(0)
        return self.ws() + body + self.ws()


def mutate(r, data, pool):
    """1-3 byte-level mutations; pool holds earlier inputs for splices."""
    for _ in range(r.choice((1, 1, 1, 2, 3))):
        n = len(data)
        k = r.random()
        pos = r.randint(0, n)
        if k < 0.12 and n:
            i = r.randrange(n)
            data = data[:i] + bytes([data[i] ^ (1 << r.randrange(8))]) + data[i + 1:]
        elif k < 0.2 and n:
            i = r.randrange(n)
            data = data[:i] + bytes([r.randrange(256)]) + data[i + 1:]
        elif k < 0.27:
            data = data[:pos] + bytes([r.randrange(256)]) + data[pos:]
        elif k < 0.35 and n:
            data = data[:pos] + data[pos + r.randint(1, 4):]
        elif k < 0.6:
            data = data[:pos] + r.choice(TOKENS) + data[pos:]
        elif k < 0.7:
            data = data[:r.randint(0, max(0, n - 1))]          # truncation
        elif k < 0.78 and pool:
            other = r.choice(pool)
            data = data[:pos] + other[r.randint(0, len(other)):]   # splice
        elif k < 0.84 and pool:
            data = data + r.choice((b'', b' ', b'\n', b'\t')) + r.choice(pool)  # two texts
        elif k < 0.88:
            data = b'\xef\xbb\xbf' + data                       # a BOM
        elif k < 0.9:
            try:
                data = data.decode('utf-8').encode(r.choice(('utf-16-le', 'utf-16-be', 'utf-16',
                                                             'utf-32')))
            except UnicodeDecodeError:
                pass
        elif k < 0.95 and n:
            i = r.randrange(n)
            j = min(n, i + r.randint(1, 16))
            data = data[:j] + data[i:j] * r.randint(1, 3) + data[j:]   # repeat a slice
        elif n:
            swap = {ord('['): b'{', ord('{'): b'[', ord(']'): b'}', ord('}'): b']',
                    ord(','): b':', ord(':'): b','}
            idx = [i for i in range(n) if data[i] in swap]
            if idx:
                i = r.choice(idx)
                data = data[:i] + swap[data[i]] + data[i + 1:]
    return data


def generate(seed, batch_index, count):
    r = random.Random('json_diff/%s/%d' % (seed, batch_index))
    g = Gen(r)
    inputs, pool = [], []
    for _ in range(count):
        data = g.document()
        if r.random() < 0.5:
            data = mutate(r, data, pool)
        if len(pool) < 64:
            pool.append(data)
        else:
            pool[r.randrange(64)] = data
        inputs.append(data)
    return inputs


# ------------------------------------------------------------------ running

def records(inputs):
    return b''.join(struct.pack('<I', len(x)) + x for x in inputs)


def run_driver(driver, inputs, first_index=0, extra=()):
    """The driver's verdict lines (one per input it got through), its exit
    status and its stderr."""
    p = subprocess.run([driver, '--first-index', str(first_index)] + list(extra),
                       input=records(inputs), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = p.stdout.decode('utf-8', 'replace').splitlines()
    return lines, p.returncode, p.stderr.decode('utf-8', 'replace')


def accepted(line):
    return line.split(' ', 1)[0] == 'accept'


def minimize(data, first_failing, deadline):
    """Greedy delta debugging: drops chunks of halving size while the input
    still fails.  first_failing(candidates) -> index of the first candidate
    that fails, or None; candidates go in batches of 64 (one driver run
    each), and a pass goes on from where it removed something, so that a
    pass costs about one driver run per 64 positions."""
    chunk = max(1, len(data) // 2)
    while time.monotonic() < deadline:
        i, progress = 0, False
        while i < len(data) and time.monotonic() < deadline:
            starts = list(range(i, len(data) - chunk + 1, chunk))[:64]
            if not starts:
                break
            k = first_failing([data[:j] + data[j + chunk:] for j in starts])
            if k is None:
                i = starts[-1] + chunk
            else:
                data = data[:starts[k]] + data[starts[k] + chunk:]
                i, progress = starts[k], True
        if not progress:
            if chunk == 1:
                break
            chunk //= 2
    return data


def run_batch(args, batch_index, first, count):
    """Generates, runs and compares one batch.  Returns a dict of counts and
    problems (pickled back from a worker process with -j)."""
    inputs = generate(args.seed, batch_index, count)
    res = {'n': count, 'accepted': 0, 'rejected': 0, 'disagree': [], 'abort': None,
           'messages': collections.Counter()}
    extra = ['--break-split'] if args.break_split else []
    lines, rc, err = run_driver(args.driver, inputs, first, extra)
    if rc != 0 or len(lines) != count:
        # The verdicts before the failing record are still compared below.
        m = re.search(r'record (\d+)', err)
        bad = int(m.group(1)) - first if m else -1
        res['abort'] = {'rc': rc, 'stderr': err[-4000:], 'lines': len(lines),
                        'index': None, 'input': None}
        if 0 <= bad < count:
            res['abort'].update(index=first + bad, input=inputs[bad])

            def aborts_alone(c):
                # alone, but with the record's index: the same cut points
                _, code, _ = run_driver(args.driver, [c], first + bad, extra)
                return code != 0
            res['abort']['minimized'] = minimize(
                inputs[bad], lambda cands: next((k for k, c in enumerate(cands)
                                                 if aborts_alone(c)), None),
                time.monotonic() + args.minimize_seconds)
        lines = lines[:bad] if bad >= 0 else lines
    for k, (data, line) in enumerate(zip(inputs, lines)):
        scanner = accepted(line)
        oracle = json_oracle.verdict(data, args.weaken)
        if args.lie is not None and first + k == args.lie:
            oracle = not oracle               # the test switch: a lying oracle
        if args.stats and not scanner:
            res['messages'][re.sub(r'\d+', 'N', line.split(' ', 3)[-1])] += 1
        if oracle:
            res['accepted'] += 1
        else:
            res['rejected'] += 1
        if scanner != oracle:
            res['disagree'].append({'index': first + k, 'input': data, 'scanner': line,
                                    'oracle': 'accept' if oracle else 'reject'})
    # Minimize the first few (not the lie: it is tied to an index, not an input).
    for d in res['disagree'][:args.show]:
        if args.lie is not None and d['index'] == args.lie:
            continue

        def disagrees(cands):
            ls, code, _ = run_driver(args.driver, cands)
            for j, (c, ln) in enumerate(zip(cands, ls)):
                if accepted(ln) != json_oracle.verdict(c, args.weaken):
                    return j
            return None
        small = minimize(d['input'], disagrees, time.monotonic() + args.minimize_seconds)
        ls, _, _ = run_driver(args.driver, [small])
        d['minimized'] = (small, ls[0] if ls else '?',
                          'accept' if json_oracle.verdict(small, args.weaken) else 'reject')
    return res


def main():
    ap = argparse.ArgumentParser(usage='%(prog)s [options] SEED N', description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('seed')
    ap.add_argument('n', type=int)
    ap.add_argument('--driver', default=os.path.join(TOP, 'tests', 'fuzz', 'bin', 'json_diff'))
    ap.add_argument('-j', type=int, default=1)
    ap.add_argument('--show', type=int, default=3)
    ap.add_argument('--stats', action='store_true')
    ap.add_argument('--dump')
    ap.add_argument('--lie', type=int)
    ap.add_argument('--weaken', choices=sorted(json_oracle.WEAKENINGS))
    ap.add_argument('--break-split', action='store_true')
    ap.add_argument('--minimize-seconds', type=float, default=20)
    args = ap.parse_args()
    if not os.access(args.driver, os.X_OK):
        sys.exit('json_diff.py: no driver at %s (make unit builds it)' % args.driver)
    t0 = time.monotonic()
    batches = [(b, b * BATCH, min(BATCH, args.n - b * BATCH))
               for b in range((args.n + BATCH - 1) // BATCH)]
    if args.dump:
        with open(args.dump, 'wb') as f:
            for b, first, count in batches:
                f.write(records(generate(args.seed, b, count)))
    if args.j > 1 and len(batches) > 1:
        import concurrent.futures
        with concurrent.futures.ProcessPoolExecutor(args.j) as ex:
            results = ex.map(run_batch, [args] * len(batches), *zip(*batches))
            results = list(results)
    else:
        results = [run_batch(args, *b) for b in batches]

    total = collections.Counter()
    messages = collections.Counter()
    disagree, aborts = [], []
    for res in results:
        for key in ('n', 'accepted', 'rejected'):
            total[key] += res[key]
        disagree += res['disagree']
        messages.update(res['messages'])
        if res['abort']:
            aborts.append(res['abort'])
    for a in aborts:
        print('json_diff: DRIVER FAILED (exit %d after %d verdicts)' % (a['rc'], a['lines']))
        print(a['stderr'].rstrip())
        if a['input'] is not None:
            print('  input #%d: %r' % (a['index'], a['input']))
            if 'minimized' in a:
                print('  minimized: %r' % (a['minimized'],))
    for d in disagree[:args.show]:
        print('json_diff: DISAGREEMENT on input #%d (seed %s)' % (d['index'], args.seed))
        print('  input:   %r' % (d['input'],))
        print('  scanner: %s' % d['scanner'])
        print('  oracle:  %s%s' % (d['oracle'], ' (--weaken %s)' % args.weaken if args.weaken else
                                  ' (--lie)' if args.lie == d['index'] else ''))
        if 'minimized' in d:
            small, sv, ov = d['minimized']
            print('  minimized: %r' % (small,))
            print('    scanner: %s' % sv)
            print('    oracle:  %s' % ov)
    if len(disagree) > args.show:
        print('json_diff: ... %d more disagreements' % (len(disagree) - args.show))
    if args.stats:
        for msg, cnt in messages.most_common():
            print('%8d  %s' % (cnt, msg))
    print('json_diff: seed %s: %d inputs, %d accepted, %d rejected, %d disagreements, %.1f s'
          % (args.seed, args.n, total['accepted'], total['rejected'], len(disagree),
             time.monotonic() - t0))
    sys.exit(1 if disagree or aborts else 0)


if __name__ == '__main__':
    main()
