#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# -k with -e/-c: every accepted connection runs its own program (framed
# child I/O, its environment, its end and exit status), the loop serving
# the others while one program takes its time to exit; and --listen-fds,
# the listening socket systemd passes.  Real peers: concurrent Python
# clients, tcpserver and ncat -lk running the same handler, aecat TLS
# clients, systemd-socket-activate.

load helpers
load tls_helpers
# shellcheck source=servers/common.bash
source "$BATS_TEST_DIRNAME/servers/common.bash"   # srv_free_port

setup_file() { make_test_certs; }

# keepexec ARGS...: aecat -l -k 127.0.0.1 0 -v ARGS in the background as
# "srv" (AE_PID, LPORT; $T/srv.out, $T/srv.err), stdin /dev/null.
keepexec() { start_aecat_listener srv -k -v "$@"; }

# many PORT N SEND [hold]: N clients connect at once (all connected before
# any sends); client I sends SEND (C escapes, %d: I in two digits) and
# half-closes (hold:
# keeps its write side open), then reads until EOF (10 s at most) into
# $T/c/I.recv.  Exits 1 naming a client that failed.
many() {
    mkdir -p "$T/c"
    "$PYTHON" - "$@" <<'EOF' 3>&-
import codecs, os, socket, sys, threading
port, n, send = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
hold = sys.argv[4:] == ['hold']
socks = [socket.create_connection(('127.0.0.1', port)) for _ in range(n)]
failed = []
def run(i, s):
    try:
        s.settimeout(10)
        s.sendall(codecs.escape_decode(send.replace('%d', '%02d' % i))[0])
        if not hold:
            s.shutdown(socket.SHUT_WR)
        data = b''
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        open('%s/c/%d.recv' % (os.environ['T'], i), 'wb').write(data)
    except OSError as e:
        failed.append('client %d: %s' % (i, e))
ts = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(socks)]
for t in ts: t.start()
for t in ts: t.join()
if failed:
    sys.exit('\n'.join(failed))
EOF
}
export T

# gone PID: no such process any more.
gone() { ! kill -0 "$1" 2>/dev/null; }

# children_of PID: the processes whose parent is PID (zombies included).
children_of() { ps -o pid=,stat=,args= --ppid "$1" || true; }

# wait_count N GLOB: until N files match GLOB and none is empty (10 s at most).
wait_count() {
    local n=$1 glob=$2 end=$(( $(now_us) + 10000000 )) f c
    while :; do
        c=0
        for f in $glob; do [ -s "$f" ] && c=$((c + 1)); done
        [ "$c" -ge "$n" ] && return 0
        [ "$(now_us)" -lt "$end" ] || fail "$c of $n files $glob after 10 s"
        sleep 0.02
    done
}

@test "keepexec: 20 concurrent clients, netstrings on the wire, lines for each one's own program" {
    keepexec --max-accepts 20 --frame netstring --records lines \
        -c 'echo "conn $AECAT_CONN"; while read l; do echo "got:$l"; done; echo "bye $AECAT_CONN"'
    run -0 many "$LPORT" 20 '3:a%d,5:hello,'
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    local i r n conns=()
    for i in $(seq 0 19); do
        r=$(cat "$T/c/$i.recv")
        [[ $r =~ ^[0-9]+:conn\ ([0-9]+),7:got:a$(printf %02d "$i"),9:got:hello,[0-9]+:bye\ ([0-9]+),$ ]] ||
            fail "client $i got '$r'"
        [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || fail "client $i: two programs: $r"
        n=${BASH_REMATCH[1]}
        conns+=("$n")
    done
    # each connection its own program, numbered 1..20
    assert_equal "$(printf '%s\n' "${conns[@]}" | sort -n | tr '\n' ' ')" "$(seq 1 20 | tr '\n' ' ')"
    [ "$(grep -c ': closed: ok$' "$T/srv.err")" -eq 20 ] || fail "$(cat "$T/srv.err")"
    [ "$(grep -Ec ': child [0-9]+ exited with 0$' "$T/srv.err")" -eq 20 ] || fail "$(cat "$T/srv.err")"
    [ ! -s "$T/srv.out" ] || fail "aecat wrote on its stdout: $(cat "$T/srv.out")"
}

@test "keepexec: the same handler under aecat -k -c, tcpserver and ncat -lk --sh-exec: the same replies" {
    local handler='read l; echo "got:$l"; read m; echo "then:$m"'
    keepexec -c "$handler"
    run -0 many "$LPORT" 5 'x%d\ny%d\n' hold
    mv "$T/c" "$T/aecat"
    spawn ts tcpserver -HRl0 127.0.0.1 0 /bin/sh -c "$handler"
    wait_listen "$SPAWN_PID"
    run -0 many "$PORT" 5 'x%d\ny%d\n' hold
    mv "$T/c" "$T/tcpserver"
    local port; srv_free_port port
    spawn nc ncat -lk 127.0.0.1 "$port" --sh-exec "$handler"
    wait_listen "$SPAWN_PID"
    run -0 many "$port" 5 'x%d\ny%d\n' hold
    mv "$T/c" "$T/ncat"
    local i
    for i in 0 1 2 3 4; do
        assert_equal "$(cat "$T/aecat/$i.recv")" $'got:x0'"$i"$'\nthen:y0'"$i"
        cmp "$T/aecat/$i.recv" "$T/tcpserver/$i.recv" || fail "tcpserver differs for client $i"
        cmp "$T/aecat/$i.recv" "$T/ncat/$i.recv" || fail "ncat differs for client $i"
    done
}

@test "keepexec: a TLS -k -e server: each client its handshake, its program, mod_ssl's variables" {
    # the program exits before the client's end (its close_notify) is in:
    # the lingering close reads it, the client sees no reset
    keepexec --max-accepts 3 --tls --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" \
        -c 'read l; echo "$l conn $AECAT_CONN $SSL_PROTOCOL"'
    local i
    for i in 1 2 3; do
        printf 'ping%d\n' "$i" >"$T/ping$i"
        ae_files "$T/ping$i" "$T/out$i" --tls --ca "$CERTS/ca.pem" --servername localhost 127.0.0.1 "$LPORT"
        [ "$status" -eq 0 ] || fail "client $i exited $status: $stderr; the server: $(cat "$T/srv.err")"
        assert_equal "$(cat "$T/out$i")" "ping$i conn $i TLSv1.3"
    done
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
}

@test "keepexec: a program's exit 3, a peer's reset: those connections end, the listener serves on, --max-accepts exits 3" {
    keepexec --max-accepts 3 --json-log "$T/log" \
        -c "read l; case \$l in exit) echo bye; exit 3;; reset) echo \$\$ >'$T/child.pid'; exec sleep 30;; *) echo \"ok \$l\";; esac"
    run -0 many "$LPORT" 1 'exit\n' hold
    assert_equal "$(cat "$T/c/0.recv")" bye
    "$PYTHON" - "$LPORT" "$T/child.pid" <<'EOF' 3>&-
import os, socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"reset\n")
end = time.time() + 10
while time.time() < end and not (os.path.exists(sys.argv[2]) and os.path.getsize(sys.argv[2])):
    time.sleep(0.02)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
EOF
    run -0 many "$LPORT" 1 'third\n'
    assert_equal "$(cat "$T/c/0.recv")" 'ok third'
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 3 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    gone "$(cat "$T/child.pid")" || fail "the reset connection's program still runs"
    grep -q '"event":"close","conn":1,.*"child_exit":3' "$T/log" || fail "$(cat "$T/log")"
    grep -q '"event":"close","conn":2,.*"child_exit":143' "$T/log" || fail "$(cat "$T/log")"
    grep -q '"event":"close","conn":3,.*"child_exit":0' "$T/log" || fail "$(cat "$T/log")"
    grep -Eq '^aecat: conn 1 [^:]*: closed: ' "$T/srv.err" || fail "$(cat "$T/srv.err")"
    grep -Eq '^aecat: conn 3 [^:]*: closed: ok$' "$T/srv.err" || fail "$(cat "$T/srv.err")"
}

@test "keepexec: a program slow to exit does not stall the others: they are served meanwhile" {
    keepexec -c 'read l; echo "got:$l"; if [ "$l" = slow ]; then exec >&-; sleep 2; fi'
    run -0 many "$LPORT" 1 'slow\n'
    assert_equal "$(cat "$T/c/0.recv")" got:slow
    local t0; t0=$(now_us)
    run -0 many "$LPORT" 10 'fast%d\n'
    elapsed_from "$t0"
    assert_equal "$(cat "$T/c/7.recv")" got:fast07
    assert_elapsed 0 1.5
    # the slow one is still there (its end waits for its exit), not a zombie
    [ "$(children_of "$AE_PID" | awk '$2 ~ /^Z/' | wc -l)" -eq 0 ] || fail "$(children_of "$AE_PID")"
    wait_for_match "$T/srv.err" '^aecat: conn 1 [^:]*: closed: ok$' 5
}

@test "keepexec: 20 idle connections under -w whose programs ignore SIGTERM: all killed together after 1 s, none left" {
    keepexec -w 0.3 --max-accepts 20 -c "trap '' TERM; echo \$\$ >'$T/pids/'\$AECAT_CONN; while :; do sleep 0.05; done"
    mkdir "$T/pids"
    local t0; t0=$(now_us)
    run -0 many "$LPORT" 20 '' hold
    wait_pid "$AE_PID"
    elapsed_from "$t0"
    [ "$WAIT_RC" -eq 75 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    assert_elapsed 1 4                # one grace for all, not one each
    [ "$(grep -c 'still running 1 s after SIGTERM: SIGKILL' "$T/srv.err")" -eq 20 ] || fail "$(cat "$T/srv.err")"
    local p left
    for p in "$T"/pids/*; do
        left=$(ps -e -o pgid=,stat=,pid=,args= | awk -v g="$(cat "$p")" '$1 == g && $2 !~ /^Z/')
        [ -z "$left" ] || fail "a program's process group lives on: $left"
    done
}

@test "keepexec: SIGTERM with programs alive (some ignoring it): each gets TERM, then KILL; exit 143 once all are reaped" {
    mkdir "$T/pids"
    keepexec -c "read l; echo \$\$ >'$T/pids/'\$AECAT_CONN; [ \"\$l\" = stubborn ] && trap '' TERM; while :; do sleep 0.05; done"
    spawn cl1 "$PYTHON" -c '
import socket, sys
ss = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(6)]
for i, s in enumerate(ss):
    s.sendall(b"stubborn\n" if i % 2 else b"meek\n")
for s in ss:
    while s.recv(4096): pass' "$LPORT"
    wait_count 6 "$T/pids/*"
    local t0; t0=$(now_us)
    kill -TERM "$AE_PID"
    wait_pid "$AE_PID"
    elapsed_from "$t0"
    [ "$WAIT_RC" -eq 143 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
    assert_elapsed 0.9 4
    local p
    for p in "$T"/pids/*; do gone "$(cat "$p")" || fail "program $(cat "$p") still runs"; done
    [ "$(grep -c 'still running 1 s after SIGTERM: SIGKILL' "$T/srv.err")" -eq 3 ] || fail "$(cat "$T/srv.err")"
}

@test "keepexec: the open files limit is raised for a program's pipes too: 60 connections at once under ulimit -n 40" {
    local soft; soft=$(ulimit -Sn)
    ulimit -Sn 40                 # aecat's (the clients need more)
    keepexec --max-conns 60 --max-accepts 60 -c 'read l; sleep 0.5; echo "got:$l"'
    ulimit -Sn "$soft"
    run -0 many "$LPORT" 60 'x%d\n'
    local i
    for i in $(seq 0 59); do
        assert_equal "$(cat "$T/c/$i.recv")" "got:x$(printf %02d "$i")"
    done
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/srv.err")"
}

@test "keepexec: --listen-fds -k under systemd-socket-activate: netstrings, a program per client, no LISTEN_ variables for it" {
    local port; srv_free_port port
    spawn sa systemd-socket-activate -l "127.0.0.1:$port" "$AECAT" --listen-fds -k -v --frame netstring \
        -c 'read l; echo "conn $AECAT_CONN: $l ${LISTEN_FDS-none} ${LISTEN_PID-none}"'
    wait_listen "$SPAWN_PID"
    run -0 many "$port" 3 '3:a%d,'
    local i
    for i in 0 1 2; do
        [[ $(cat "$T/c/$i.recv") =~ ^[0-9]+:conn\ [123]:\ a0$i\ none\ none,$ ]] || fail "$(cat "$T/c/$i.recv")"
    done
    grep -q "^aecat: listening 127.0.0.1 $port$" "$T/sa.err" || fail "$(cat "$T/sa.err")"
}

@test "keepexec: --listen-fds -k on two sockets (IPv4 and IPv6): clients of both served, --ready tells each" {
    local p4 p6; srv_free_port p4; srv_free_port p6
    # fds 3 and 4 are systemd's: --ready writes to 9
    spawn sa systemd-socket-activate -l "127.0.0.1:$p4" -l "[::1]:$p6" /bin/sh -c \
        'exec "$0" --listen-fds -k --ready=9 -c "read l; echo got:\$l:\$PROTO" 9>"$1"' "$AECAT" "$T/ready"
    wait_listen "$SPAWN_PID"
    run -0 many "$p4" 2 'four%d\n'
    assert_equal "$(cat "$T/c/0.recv" "$T/c/1.recv")" "$(printf 'got:four00:TCP\ngot:four01:TCP')"
    run -0 "$PYTHON" -c '
import socket, sys
s = socket.create_connection(("::1", int(sys.argv[1])))
s.sendall(b"six\n")
s.shutdown(socket.SHUT_WR)
print(s.makefile("rb").read().decode(), end="")' "$p6"
    assert_output "got:six:TCP6"
    wait_for_match "$T/ready" "^listening ::1 $p6\$"
    assert_equal "$(cat "$T/ready")" "$(printf 'listening 127.0.0.1 %s\nlistening ::1 %s' "$p4" "$p6")"
}

@test "keepexec: --listen-fds without -k serves one connection and exits with it; --ready tells the socket" {
    local port; srv_free_port port
    spawn sa systemd-socket-activate -l "127.0.0.1:$port" /bin/sh -c \
        'exec "$0" --listen-fds --ready=4 -c "read l; echo got:\$l" 4>"$1"' "$AECAT" "$T/ready"
    wait_listen "$SPAWN_PID"
    run -0 many "$port" 1 'one\n'
    assert_equal "$(cat "$T/c/0.recv")" got:one
    assert_equal "$(head -n1 "$T/ready")" "listening 127.0.0.1 $port"
    wait_pid "$SPAWN_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "exit $WAIT_RC: $(cat "$T/sa.err")"
}

@test "keepexec: --listen-fds errors: LISTEN_PID not ours, no LISTEN_FDS, fd 3 not a listener or a datagram socket, two sockets without -k (64, one line)" {
    run --separate-stderr env LISTEN_FDS=1 LISTEN_PID=1 "$AECAT" --listen-fds -k -e cat </dev/null 3</dev/null
    assert_status 64
    assert_one_error '^aecat: usage: --listen-fds: LISTEN_PID=1 is not this process \([0-9]+\): the sockets are another.s$'
    run --separate-stderr env -u LISTEN_FDS -u LISTEN_PID "$AECAT" --listen-fds -k -e cat </dev/null
    assert_status 64
    assert_one_error '^aecat: usage: --listen-fds: LISTEN_FDS and LISTEN_PID are not set'
    run --separate-stderr /bin/sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --listen-fds -e cat 3</dev/null' "$AECAT" </dev/null
    assert_status 64
    assert_one_error '^aecat: usage: --listen-fds: fd 3 is not a listening stream socket$'
    local pd; srv_free_port pd
    spawn sd systemd-socket-activate --datagram -l "127.0.0.1:$pd" "$AECAT" --listen-fds -k -e cat
    wait_for_match "$T/sd.err" '^Listening on '
    "$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", int(sys.argv[1])))' "$pd"
    wait_pid "$SPAWN_PID"
    [ "$WAIT_RC" -eq 64 ] || fail "exit $WAIT_RC: $(cat "$T/sd.err")"
    grep -qx 'aecat: usage: --listen-fds: fd 3 is not a listening stream socket' "$T/sd.err" || fail "$(cat "$T/sd.err")"
    local p1 p2; srv_free_port p1; srv_free_port p2
    spawn sa systemd-socket-activate -l "127.0.0.1:$p1" -l "127.0.0.1:$p2" "$AECAT" --listen-fds -e cat
    wait_listen "$SPAWN_PID"
    run many "$p1" 1 ''        # refused: aecat does not take the sockets
    wait_pid "$SPAWN_PID"
    [ "$WAIT_RC" -eq 64 ] || fail "exit $WAIT_RC: $(cat "$T/sa.err")"
    grep -qx 'aecat: usage: --listen-fds: LISTEN_FDS=2: without -k aecat serves one connection, on one socket (one ListenStream=)' "$T/sa.err" ||
        fail "$(cat "$T/sa.err")"
}

@test "keepexec: the usage errors, one line each" {
    local -a cases=(
        "-c: each connection talks to its own program, not to stdin/stdout: not with --tag|-l -k --tag -c cat 0"
        "-e: each connection talks to its own program, not to stdin/stdout: not with --broker|-l -k --broker -e cat 0"
        "-e: each connection talks to its own program, not to stdin/stdout: not with --slow|-l -k --slow drop -e cat 0"
        "--listen-fds listens on systemd's socket: no HOST or PORT operand, no -s or -p|--listen-fds -k -e cat 127.0.0.1 80"
        "--listen-fds listens on systemd's socket: no HOST or PORT operand, no -s or -p|--listen-fds -p 80 -e cat"
        "--listen-fds listens on systemd's socket: not with --inetd|--listen-fds --inetd -e cat"
        "--listen-fds listens on systemd's socket: not with -U|--listen-fds -U -e cat"
    )
    local c msg args
    for c in "${cases[@]}"; do
        msg=${c%%|*}
        read -ra args <<<"${c#*|}"
        run --separate-stderr "$AECAT" "${args[@]}" </dev/null
        assert_status 64
        assert_one_error "^aecat: usage: $(printf '%s' "$msg" | sed 's/[][\.*^$()+?{}|]/\\&/g')"
    done
}
