#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Copy-paste in the product's C: every run of MIN_LINES lines that stands
identical in two places of lib/, cli/ or aecat.c (white space folded;
blank lines, comments, lone punctuation and #include lines passed over).
Other roots may be named as arguments.  One line an offence, "a.c:10-15 = b.c:40-45"; exit 1 when there is one.
Shapes alike but for names are not offences: tables and callback wiring
look like that by nature, and a reviewer judges them."""
import os
import re
import sys

MIN_LINES = 6
ROOTS = ["lib", "cli", "aecat.c"]
SKIP = re.compile(r"^([{}()\[\];,]*|#\s*include.*|break;|return;|else|default:)$")


def sources(root):
    if os.path.isfile(root):
        yield root
        return
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(d, f)


def code_lines(path):
    """(line number, folded text) of the lines that count."""
    text = open(path, encoding="utf-8", errors="replace").read()
    # comments out, newlines kept so that line numbers hold
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    out = []
    for no, line in enumerate(text.split("\n"), 1):
        folded = " ".join(line.split())
        if folded and not SKIP.match(folded):
            out.append((no, folded))
    return out


def main():
    seen = {}
    offences = []
    for root in sys.argv[1:] or ROOTS:
        for path in sources(root):
            lines = code_lines(path)
            last_end = {}
            for i in range(len(lines) - MIN_LINES + 1):
                run = tuple(t for _, t in lines[i:i + MIN_LINES])
                here = (path, lines[i][0], lines[i + MIN_LINES - 1][0])
                first = seen.setdefault(run, here)
                if first is here:
                    continue
                # one offence per pair of runs, not one per window
                key = (first[0], path)
                if last_end.get(key, -2) >= i - 1:
                    last_end[key] = i
                    continue
                last_end[key] = i
                offences.append("%s:%d-%d = %s:%d-%d" % (*first, *here))
    for o in offences:
        print(o)
    return 1 if offences else 0


if __name__ == "__main__":
    sys.exit(main())
