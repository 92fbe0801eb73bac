#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The examples of README.md (its "## Examples" shell blocks) and of
man/aecat.1 (every .EX block of EXAMPLES and of PROTOCOLS, whose examples
are written for each len: preset's server), for tests/examples.bats.

Prints each example as "SOURCE:LINE\\n", its text, then a NUL.  README
examples are the lines after a comment up to the next comment or blank line;
a man example is one .EX/.EE block with the roff escapes undone ("$ " lines
of a transcript are kept as they are; the test runs them).
"""
import re, sys

def readme(path):
    lines = open(path, encoding='utf-8').read().split('\n')
    out, in_section, in_sh, cur, start = [], False, False, [], 0
    def flush():
        nonlocal cur
        text = '\n'.join(l for l in cur if not l.startswith('#')).strip('\n')
        if text:
            out.append((f'README.md:{start}', text))
        cur = []
    for n, l in enumerate(lines, 1):
        if l.startswith('## '):
            in_section = l == '## Examples'
        if not in_section:
            continue
        if l.startswith('```sh'):
            in_sh, cur = True, []
            continue
        if in_sh and l.startswith('```'):
            flush()
            in_sh = False
            continue
        if not in_sh:
            continue
        if not l.strip():
            flush()
        elif l.startswith('#') and cur and not cur[-1].startswith('#'):
            flush()
            cur, start = [l], n
        else:
            if not cur:
                start = n
            cur.append(l)
    return out

def unroff(l):
    l = re.sub(r'\\f[BIRP]', '', l)
    for a, b in ((r'\(aq', "'"), (r'\(dq', '"'), (r'\-', '-'), (r'\e', '\\'), (r'\ ', ' ')):
        l = l.replace(a, b)
    return l

def man(path):
    lines = open(path, encoding='utf-8').read().split('\n')
    out, in_section, block, start = [], False, None, 0
    for n, l in enumerate(lines, 1):
        if l.startswith('.SH'):
            in_section = l in ('.SH EXAMPLES', '.SH PROTOCOLS')
        if not in_section:
            continue
        if l == '.EX':
            block, start = [], n + 1
        elif l == '.EE':
            out.append((f'aecat.1:{start}', '\n'.join(block)))
            block = None
        elif block is not None:
            block.append(unroff(l))
    return out

for src, text in readme(sys.argv[1]) + man(sys.argv[2]):
    sys.stdout.write(f'{src}\n{text}\0')
