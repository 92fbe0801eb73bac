#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# -e / -c: a program per connection (framed child I/O, the UCSPI, ncat and
# mod_ssl environment, the ends and the exit status) and --inetd, against
# real peers: Python clients and servers, tcpserver, systemd-socket-activate
# and aecat.

load helpers
load tls_helpers
# shellcheck source=servers/common.bash
source "$BATS_TEST_DIRNAME/servers/common.bash"   # srv_free_port

setup_file() { make_test_certs; }

# client PORT SEND [hold]: a Python client that sends SEND (C escapes),
# half-closes (or with hold keeps its write side open), reads until the
# server's EOF (at most 10 s) and prints what it got.  Its own port goes
# to $T/client.port.
client() {
    "$PYTHON" - "$@" <<'EOF' 3>&-
import codecs, os, socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
open(os.environ['T'] + '/client.port', 'w').write('%d\n' % s.getsockname()[1])
s.settimeout(10)
s.sendall(codecs.escape_decode(sys.argv[2])[0])
if sys.argv[3:] != ['hold']:
    s.shutdown(socket.SHUT_WR)
data = b''
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
sys.stdout.buffer.write(data)
EOF
}
export T

# gone PID: no such process any more (a zombie counts as there).
gone() { ! kill -0 "$1" 2>/dev/null; }

# wait_file FILE: until FILE is not empty (10 s at most).
wait_file() {
    local end=$(( $(now_us) + 10000000 ))
    until [ -s "$1" ]; do
        [ "$(now_us)" -lt "$end" ] || fail "$1 still empty after 10 s"
        sleep 0.02
    done
}

@test "exec: -l -c serves lines from a shell loop; aecat's stdin is not read; -v tells the child's life" {
    printf 'secret\n' >"$T/stdin"
    start_aecat_listener -i "$T/stdin" ae -v -c 'while read l; do echo "got:$l"; done; echo bye'
    run -0 client "$LPORT" 'one\ntwo\n'
    assert_output $'got:one\ngot:two\nbye'
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
    [ ! -s "$T/ae.out" ] || fail "aecat wrote on its own stdout: $(cat "$T/ae.out")"
    grep -Eq '^aecat: child [0-9]+ started: /bin/sh$' "$T/ae.err" || fail "$(cat "$T/ae.err")"
    grep -Eq '^aecat: child [0-9]+ exited with 0$' "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

@test "exec: netstrings on the wire, lines for the program (--frame netstring --records lines)" {
    start_aecat_listener ae --frame netstring --records lines -c 'while read l; do echo "got:$l"; done'
    run -0 client "$LPORT" '3:abc,5:hello,0:,'
    assert_output '7:got:abc,9:got:hello,4:got:,'
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
}

@test "exec: a record the program writes badly is the program's stdout's error (65), with its offset" {
    start_aecat_listener ae --frame netstring --records netstring -c 'printf "3:abc,x"'
    run -0 client "$LPORT" '' hold
    assert_output '3:abc,'
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 65 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
    grep -q "^aecat: child's stdout: malformed data at byte 6: " "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

@test "exec: -e over --tls with a client certificate: mod_ssl's variables" {
    start_aecat_listener ae --tls --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" --ca "$CERTS/ca.pem" --verify-client \
        -c 'env | grep -E "^SSL_(PROTOCOL|CIPHER|TLS_SNI|CLIENT_S_DN|CLIENT_VERIFY)=" | sort'
    run -0 --separate-stderr ae --tls --ca "$CERTS/ca.pem" --cert "$CERTS/client.pem" --key "$CERTS/client.key" --servername localhost \
        127.0.0.1 "$LPORT" </dev/null
    assert_line --regexp '^SSL_CIPHER=TLS_[A-Z0-9_]+$'
    assert_line 'SSL_CLIENT_VERIFY=SUCCESS'
    assert_line --regexp '^SSL_CLIENT_S_DN=.*CN=aecat test client'
    assert_line --regexp '^SSL_PROTOCOL=TLSv1\.[23]$'
    assert_line 'SSL_TLS_SNI=localhost'
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
}

@test "exec: -e over --tls with an ephemeral certificate and a pinned client: no client certificate" {
    start_aecat_listener ae --tls -c \
        'echo "verify=$SSL_CLIENT_VERIFY dn=${SSL_CLIENT_S_DN-unset} conn=$AECAT_CONN"'
    local port pin
    read -r _ _ port pin <<<"$READY_LINE"
    run -0 --separate-stderr ae --tls --pin "$pin" 127.0.0.1 "$port" </dev/null
    assert_output 'verify=NONE dn=unset conn=1'
}

@test "exec: -l --starttls smtp -c: aecat serves the STARTTLS part, the program the plaintext over TLS" {
    start_aecat_listener ae --starttls smtp --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" \
        -c 'read l; echo "got $l over $SSL_PROTOCOL"'
    printf 'hello\n' >"$T/in"
    ae_files "$T/in" "$T/out" --starttls smtp --then-relay --ca "$CERTS/ca.pem" --servername localhost \
        127.0.0.1 "$LPORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "got hello over TLSv1.3"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
}

@test "exec: -e as a client runs the program against a Python server" {
    start_peer peer --send 'hello\nworld\n' --recv "$T/recv"
    ae_files /dev/null "$T/out" -e 'sed -u s/^/echo:/' 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/recv")" $'echo:hello\necho:world'
    [ ! -s "$T/out" ] || fail "aecat wrote on its own stdout: $(cat "$T/out")"
}

@test "exec: the UCSPI variables are tcpserver's (names, addresses, the client's real port)" {
    printf '#!/bin/sh\nenv | grep -E "^(PROTO|TCP(LOCAL|REMOTE)(IP|PORT))=" | sort\n' >"$T/handler"
    chmod +x "$T/handler"
    spawn ts tcpserver -HRl0 127.0.0.1 0 "$T/handler"
    wait_listen "$SPAWN_PID"
    run -0 client "$PORT" ''
    output+=$'\n'
    local theirs=${output//=$PORT$'\n'/=LISTENPORT$'\n'}
    theirs=${theirs//=$(cat "$T/client.port")$'\n'/=CLIENTPORT$'\n'}
    start_aecat_listener ae -e "$T/handler"
    run -0 client "$LPORT" ''
    output+=$'\n'
    local ours=${output//=$LPORT$'\n'/=LISTENPORT$'\n'}
    ours=${ours//=$(cat "$T/client.port")$'\n'/=CLIENTPORT$'\n'}
    assert_equal "$ours" "$theirs"
    assert_equal "$ours" $'PROTO=TCP\nTCPLOCALIP=127.0.0.1\nTCPLOCALPORT=LISTENPORT\nTCPREMOTEIP=127.0.0.1\nTCPREMOTEPORT=CLIENTPORT\n'
}

@test "exec: ncat's variables, and PROTO=TCP6 with ucspi-tcp6's names over IPv6" {
    start_aecat_ready ae -l ::1 0 -c 'env | grep -E "^(PROTO|TCP6|NCAT_)" | sort'
    run -0 --separate-stderr ae ::1 "$LPORT" </dev/null
    assert_line 'PROTO=TCP6'
    assert_line 'NCAT_PROTO=TCP'
    assert_line 'TCP6LOCALIP=::1'
    assert_line "TCP6LOCALPORT=$LPORT"
    assert_line 'TCP6REMOTEIP=::1'
    assert_line 'NCAT_REMOTE_ADDR=::1'
    assert_line 'NCAT_LOCAL_ADDR=::1'
    assert_line "NCAT_LOCAL_PORT=$LPORT"
    assert_line --regexp '^NCAT_REMOTE_PORT=[0-9]+$'
}

@test "exec: an IPv4 client of a dual-stack listener is PROTO=TCP with its IPv4 address, as ucspi-tcp6 says" {
    start_aecat_ready ae -l 0 -c 'echo "$PROTO $TCPLOCALIP $TCPREMOTEIP ${TCP6REMOTEIP-unset}"'
    run -0 client "$LPORT" ''
    assert_output 'TCP 127.0.0.1 127.0.0.1 unset'
}

@test "exec: over a Unix socket, PROTO=UNIX and the client's credentials" {
    start_aecat_ready ae -l -U "$T/sock" -c 'echo "$PROTO $UNIXREMOTEPID $UNIXREMOTEEUID $UNIXREMOTEEGID"'
    run -0 "$PYTHON" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(4096)
    if not b: break
    got += b
print(os.getpid(), got.decode().strip())' "$T/sock"
    read -r pid proto rpid ruid rgid <<<"$output"
    assert_equal "$proto $rpid $ruid $rgid" "UNIX $pid $(id -u) $(id -g)"
}

@test "exec: the program exits 3 mid-connection: the peer sees the close, aecat exits 3, the log says so" {
    start_aecat_listener ae --json-log "$T/log" -c 'read l; echo "bye $l"; exit 3'
    run -0 client "$LPORT" 'x\n' hold
    assert_output 'bye x'
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 3 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
    grep -q '"event":"close".*"child_exit":3' "$T/log" || fail "$(cat "$T/log")"
    grep -q '"event":"result".*"exit":3' "$T/log" || fail "$(cat "$T/log")"
}

@test "exec: a program killed by a signal: 128+N" {
    start_aecat_listener ae -c 'kill -USR1 $$'
    run -0 client "$LPORT" ''
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq $((128 + 10)) ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
}

@test "exec: the peer's EOF closes the program's stdin; its output still goes to the wire after it" {
    start_aecat_listener ae -c 'cat >/dev/null; sleep 0.3; echo late'
    run -0 client "$LPORT" 'data\n'
    assert_output 'late'
}

@test "exec: raw wire, raw bytes both ways: 4 MB through -e cat intact" {
    head -c 4000000 /dev/urandom >"$T/data"
    start_aecat_listener ae -e cat
    "$PYTHON" - "$LPORT" "$T/data" "$T/back" <<'EOF' 3>&-
import socket, sys, threading
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
data = open(sys.argv[2], 'rb').read()
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
with open(sys.argv[3], 'wb') as f:
    while True:
        b = s.recv(65536)
        if not b:
            break
        f.write(b)
t.join()
EOF
    [ "$(sha "$T/back")" = "$(sha "$T/data")" ] || fail "$(stat -c %s "$T/back") bytes came back, not the same"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
}

@test "exec: a program that closes its stdin early: the peer's bytes are dropped, its output still sent" {
    # more than a widened pipe holds: some of it meets the closed pipe
    head -c 4000000 /dev/zero >"$T/data"
    start_aecat_listener ae -v -c 'exec 0<&-; sleep 0.2; echo done'
    run -0 "$PYTHON" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
try:
    s.sendall(open(sys.argv[2], "rb").read())
    s.shutdown(socket.SHUT_WR)
except OSError:
    pass
got = b""
while True:
    b = s.recv(4096)
    if not b: break
    got += b
print(got.decode().strip())' "$LPORT" "$T/data"
    assert_output done
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 0 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
    grep -q "closed its stdin: what 127.0.0.1 port [0-9]* sends is dropped" "$T/ae.err" || fail "$(cat "$T/ae.err")"
}

@test "exec: a peer's reset terminates the program (no orphan) and aecat exits 74" {
    start_aecat_listener ae -c "echo \$\$ >'$T/child.pid'; exec sleep 30"
    run -0 "$PYTHON" -c '
import os, socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
end = time.time() + 10
while time.time() < end and not (os.path.exists(sys.argv[2]) and os.path.getsize(sys.argv[2])):
    time.sleep(0.02)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()' "$LPORT" "$T/child.pid"
    local t0; t0=$(now_us)
    wait_pid "$AE_PID"
    elapsed_from "$t0"
    [ "$WAIT_RC" -eq 74 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
    gone "$(cat "$T/child.pid")" || fail "the program is still running"
    assert_elapsed 0 0.9              # SIGTERM did it: no grace needed
}

@test "exec: -w ends an idle connection; a program that ignores SIGTERM gets SIGKILL after 1 s" {
    start_aecat_listener ae -v -w 0.3 -c "trap '' TERM; echo \$\$ >'$T/child.pid'; while :; do sleep 0.05; done"
    spawn cl "$PYTHON" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
while s.recv(4096): pass' "$LPORT"
    wait_file "$T/child.pid"
    local t0; t0=$(now_us)
    wait_pid "$AE_PID"
    elapsed_from "$t0"
    [ "$WAIT_RC" -eq 75 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
    gone "$(cat "$T/child.pid")" || fail "the program is still running"
    grep -q "still running 1 s after SIGTERM: SIGKILL" "$T/ae.err" || fail "$(cat "$T/ae.err")"
    assert_elapsed 1 4
    local left; left=$(ps -e -o pgid=,stat=,pid=,args= | awk -v g="$(cat "$T/child.pid")" '$1 == g && $2 !~ /^Z/')
    [ -z "$left" ] || fail "its process group lives on: $left"
}

@test "exec: aecat interrupted (SIGTERM) terminates the program and exits 143" {
    start_aecat_listener ae -c "echo \$\$ >'$T/child.pid'; exec sleep 30"
    spawn cl "$PYTHON" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
while s.recv(4096): pass' "$LPORT"
    wait_file "$T/child.pid"
    kill -TERM "$AE_PID"
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 143 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
    gone "$(cat "$T/child.pid")" || fail "the program is still running"
}

@test "exec: a program that cannot be run: one line, 69" {
    start_aecat_listener ae -e "$T/no-such-program arg"
    run -0 client "$LPORT" '' hold
    assert_output ''
    wait_pid "$AE_PID"
    [ "$WAIT_RC" -eq 69 ] || fail "aecat exited $WAIT_RC: $(cat "$T/ae.err")"
    assert_equal "$(cat "$T/ae.err")" "aecat: -e: cannot run '$T/no-such-program': No such file or directory"
}

@test "exec: --inetd under systemd-socket-activate, netstrings on the wire" {
    local port; srv_free_port port
    spawn sa systemd-socket-activate --inetd --accept -l "127.0.0.1:$port" \
        "$AECAT" --inetd --frame netstring --records lines -c 'while read l; do echo "got:$l $TCPLOCALPORT"; done'
    wait_listen "$SPAWN_PID"
    run -0 client "$port" '3:abc,'
    assert_output "$(printf '%d:got:abc %d,' $((8 + ${#port})) "$port")"
}

@test "exec: --inetd --tls under tcpserver, a client verifying the certificate" {
    spawn ts tcpserver -HRl0 127.0.0.1 0 "$AECAT" --inetd --tls --cert "$CERTS/srv.pem" --key "$CERTS/srv.key" \
        -c 'read l; echo "$l over $PROTO $SSL_PROTOCOL"'
    wait_listen "$SPAWN_PID"
    printf 'ping\n' >"$T/ping"
    ae_files "$T/ping" "$T/out" --tls --ca "$CERTS/ca.pem" --servername localhost 127.0.0.1 "$PORT"
    assert_status 0
    assert_equal "$(cat "$T/out")" "ping over TCP TLSv1.3"
}

@test "exec: the usage errors, one line each" {
    local -a cases=(
        "-e and -c exclude each other|-e cat -c cat -l 0"
        "-e is about stdin, stdout or the relay: -z has none|-z -e cat 127.0.0.1 1"
        "-e: aecat's stdin is not read: not --send-file /dev/stdin|-e cat --send-file /dev/stdin 127.0.0.1 1"
        "--inetd needs -e or -c|--inetd"
        "--inetd serves the connection on stdin: not with -l|--inetd -e cat -l 0"
        "--inetd serves the connection on stdin: not with -z|--inetd -e cat -z 127.0.0.1 1"
        "--inetd serves the connection on stdin: no HOST or PORT operand|--inetd -e cat 127.0.0.1 1"
        "--inetd: stdin is not a socket|--inetd -e cat"
    )
    local c msg args
    for c in "${cases[@]}"; do
        msg=${c%%|*}
        read -ra args <<<"${c#*|}"
        run --separate-stderr ae "${args[@]}" </dev/null
        assert_status 64
        assert_one_error "^aecat: usage: ${msg//./\\.}"
    done
    run --separate-stderr ae -e '' -l 0 </dev/null
    assert_status 64
    assert_one_error '^aecat: usage: -e: empty program'
    run --separate-stderr ae -c ' ' -l 0 </dev/null
    assert_status 64
    assert_one_error '^aecat: usage: -c: empty command'
}
