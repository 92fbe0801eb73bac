#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: aecat against its peers and against bare C programs doing the
# same work with no library (the machine's ceiling), all in this one run,
# printed side by side in one table with the ratios each case is held to
# (the target column).
# A benchmark, never a test: it always exits 0 unless it cannot run at all.
#
# Environment:
#   BENCH_SIZE_MB    raw relay size in MiB (default 4096)
#   BENCH_FRAMES     framed items (default 1000000, 64 bytes each)
#   BENCH_REPS       runs of aecat and the C ceilings, best kept (default 3)
#   BENCH_FRAMED_REPS  runs of aecat and the ceiling in the framed cases, the
#                    median kept (default 7: each run is short, so noise is larger)
#   BENCH_PEER_REPS  runs of nc/socat/AnyEvent/asyncio, best kept (default 1;
#                    the raw relay peers run BENCH_REPS times)
#   BENCH_PING_RUNS  one-shot PING runs per client (default 100)
#   BENCH_TLS_MB     TLS relay size in MiB (default 2048; aecat and socat
#                    run BENCH_REPS times each, best kept)
#   BENCH_TLS_PING_RUNS  one-shot TLS PING runs per client (default
#                    BENCH_PING_RUNS)
#   BENCH_SLOW_MB    data for the slow-reader RSS case (default 512; a second
#                    run with 1/8 of it shows whether RSS grows with the size)
#   BENCH_JSON_MB    size in MiB of the mixed JSON stream split and validated
#                    (default 1024; aecat over TCP best of BENCH_REPS, and
#                    libaeh's codec alone in memory)
#   BENCH_JSON_TEXTS 64-byte JSON texts turned into JSON Lines (default
#                    1000000; aecat median of BENCH_FRAMED_REPS, asyncio,
#                    AnyEvent and jq BENCH_PEER_REPS times, each tool's output
#                    checked once more in a separate run)
#   BENCH_INSTR_FRAMES  frames of the instruction count (default 100000):
#                    aecat and the ceiling run under callgrind with it and
#                    twice as many, and the difference per frame is the row
#   BENCH_IDLE_CONNS idle connections opened to aecat -l -k and ncat -lk
#                    (default 10000; the open files limit is raised to the
#                    hard one for the case, and fewer are opened when even
#                    that is too low, said under the table)
#   BENCH_IDLE_PEER_CONNS  the same for socat fork and tcpserver, a process
#                    each (default 200)
#   BENCH_FANIN_CLIENTS  fan-in clients at once (default 16)
#   BENCH_FANIN_MB   MiB of 64-byte lines each of them sends (default 32)
#   BENCH_FANIN_REPS fan-in runs of each tool, the median kept (default 5)
#   BENCH_CONNS      sequential short connections of the connection-rate
#                    case (default 5000), once per server
#   BENCH_STRACE=1   also count aecat's syscalls (strace -c -f) for the raw
#                    relay and the line decode, per MB, with the read sizes
#   BENCH_ONLY       comma-separated cases to run, the others skipped and
#                    left out of the table: raw, framed, ping, slow, tls, json, instr,
#                    idle, fanin, connrate (e.g.
#                    BENCH_ONLY=tls).  The table then goes to
#                    results/last-CASES.txt, leaving last.txt to full runs.
#   AECAT            the binary (default ./aecat)
#   AEH_LIB          the library json_split links (default lib/libaeh.a; the
#                    headers are taken from its directory)
# TLS cases: a throwaway ECDSA P-256 certificate is made per run (openssl, or
# certtool) in the work directory, used by every server (aecat included) and
# trusted by the clients through --ca/-CAfile.  Every tool is held to TLS 1.3
# TLS_AES_256_GCM_SHA384 (aecat: --tls-priority; OpenSSL tools: OPENSSL_CONF),
# and the suite each one negotiated is read back and printed under the table.
# JSON case (json): three targets of the JSON framing.  (1) A mixed stream of
# JSON texts (gen jsonmix: small objects, long strings with escapes and UTF-8,
# nesting 100-400 deep, numbers of every shape, back to back or separated by
# whitespace) sent to aecat -l --frame json --records raw, in MB/s of input;
# (2) BENCH_JSON_TEXTS texts of 64 bytes turned into JSON Lines by aecat
# (--frame json --records json), Python asyncio + json, AnyEvent::Handle's
# json read type and jq -c . (which cannot listen: it reads the same file on
# its stdin, with no TCP, which only favours jq), in M texts/s, every output
# checked (line count, md5 equal to the input's, which is already compact
# JSON Lines); (3) one 16 MiB text (an array of objects, a string) fed to the
# codec in 1-byte, 4 KiB and 1 MiB reads, in ns/byte.  The codec-alone figures
# come from json_split (tests/bench/json_split.c, linked with AEH_LIB), which
# drives aeh_codec_json in memory as lib/handle.c does, timed in CPU time.
# Helpers are built from tests/bench/*.c (sharing tests/bench/bench_util.h)
# into tests/bench/bin/ with cc -O2.
# Every process is started with a timeout and stopped by its PID (the timed
# one-shot TLS clients under a watchdog that kills them by PID after 10 s).
# The table is also written to tests/bench/results/last.txt.
# Many connections (issue 15's -k): idle (RSS per idle connection held by
# one listener), fanin (16 senders at once into one listener) and connrate
# (sequential short connections to a listener running cat for each), every
# client tests/bench/conns.c; aecat's connrate cells read n/a, with the
# reason under the table, while this aecat refuses -k with -e.
# Layout: this driver; lib.sh (settings, helper binaries, process control,
# result helpers); cases/CASE.sh, one per case, each running only when
# want CASE; strace.sh (BENCH_STRACE); table.sh (the table and its notes).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
BD=$ROOT/tests/bench

. "$BD/lib.sh"
# in this order: slow reuses raw_run, the table reads every case's R[...]
for bench_case in raw framed ping slow tls json instr idle fanin connrate; do
    . "$BD/cases/$bench_case.sh"
done
. "$BD/strace.sh"
. "$BD/table.sh"
exit 0
