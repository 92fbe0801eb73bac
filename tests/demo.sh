#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make demo: aecat doing its main job on loopback with nothing else set up.
# A listener decodes netstrings off the wire and prints them as lines; a
# client turns lines from stdin into netstrings.  Then the same bytes as hex,
# a bad frame, TLS with a pinned key, and one listener for many clients.
set -eu
cd "$(dirname "$0")/.."
AECAT=./aecat
dir=$(mktemp -d)
trap 'kill $srv 2>/dev/null || true; rm -rf "$dir"' EXIT

# Bold headings on a terminal only, and never with NO_COLOR (no-color.org).
bold= plain=
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

say "listener: netstrings on the wire -> lines on stdout (port 0 = any free port)"
mkfifo "$dir/ready"
$AECAT -l 127.0.0.1 0 --frame netstring --ready=3 --stats </dev/null >"$dir/out" 3>"$dir/ready" &
srv=$!
read -r _ host port <"$dir/ready"
echo "aecat -l 127.0.0.1 0 --frame netstring --ready=3 --stats   # -> listening $host $port"

say "client: lines on stdin -> netstrings on the wire"
# Shown, then sent: `tee /dev/stderr` would reopen stderr and, when it is a
# file (make demo >log 2>&1), truncate what is already written there.
lines=$'hello\nframed world\n\n3:not,a:netstring\n'
printf '%s' "$lines"
printf '%s' "$lines" | $AECAT --frame netstring --stats "$host" "$port" >/dev/null
wait $srv
say "what the listener printed (one line per frame, the empty frame included)"
cat "$dir/out"

say "the wire bytes, seen by a listener that does not decode (raw)"
$AECAT -l 127.0.0.1 0 --ready=3 </dev/null >"$dir/wire" 3>"$dir/ready" &
srv=$!
read -r _ host port <"$dir/ready"
printf 'hello\nframed world\n' | $AECAT --frame netstring "$host" "$port" >/dev/null
wait $srv
cat "$dir/wire"; echo

say "a bad frame: good frames first, then one line naming the byte, exit 65"
$AECAT -l 127.0.0.1 0 --frame netstring --ready=3 </dev/null 3>"$dir/ready" &
srv=$!
read -r _ host port <"$dir/ready"
printf '2:ok,03:bad,' | $AECAT --frame raw "$host" "$port" >/dev/null
set +e; wait $srv; rc=$?; set -e
echo "exit status: $rc"
[ "$rc" -eq 65 ] || { echo "demo: expected exit status 65, got $rc" >&2; exit 1; }
say "TLS: an ephemeral certificate on the listener, its key pinned by the client"
$AECAT -l --tls --frame netstring --ready=3 127.0.0.1 0 </dev/null >"$dir/out" 2>/dev/null 3>"$dir/ready" &
srv=$!
read -r _ host port pin <"$dir/ready"
echo "aecat -l --tls --frame netstring --ready=3 127.0.0.1 0   # -> listening $host $port $pin"
printf 'over TLS\n' | $AECAT --tls --pin "$pin" --tls-info --frame netstring "$host" "$port" >/dev/null
wait $srv
cat "$dir/out"

say "TLS: a wrong pin is refused before any byte is sent, exit 76"
$AECAT -l --tls --ready=3 127.0.0.1 0 </dev/null >/dev/null 2>&1 3>"$dir/ready" &
srv=$!
read -r _ host port _ <"$dir/ready"
set +e; printf 'secret\n' | $AECAT --tls --pin "$pin" "$host" "$port"; rc=$?; set -e
wait $srv || true
echo "exit status: $rc"
[ "$rc" -eq 76 ] || { echo "demo: expected exit status 76, got $rc" >&2; exit 1; }
say "many clients at once (-k): each frame whole, tagged with its connection and peer"
$AECAT -l -k --frame line --tag --max-accepts 3 --ready=3 127.0.0.1 0 </dev/null >"$dir/out" 3>"$dir/ready" &
srv=$!
read -r _ host port <"$dir/ready"
echo "aecat -l -k --frame line --tag --max-accepts 3 --ready=3 127.0.0.1 0   # -> listening $host $port"
clients=()
for i in 1 2 3; do
    printf 'line one from client %d\nline two from client %d\n' "$i" "$i" |
        $AECAT --frame line "$host" "$port" >/dev/null &
    clients+=($!)
done
wait "${clients[@]}" $srv
cat "$dir/out"

say "demo done: see README.md and man/aecat.1 for more"
