# SPDX-License-Identifier: MIT
# fish completion for aecat(1).  Install as vendor_completions.d/aecat.fish.
# It completes every option of `aecat --help` (tests/completion.bats checks):
#   --listen --unix --source --source-port --ready --zero-io --keep-open --tag
#   --broker --slow --max-conns --max-accepts --frame --recv-frame
#   --send-frame --records --send-records --recv-records --strict-lines
#   --http-lenient
#   --max-frame --count --until --crlf --no-shutdown --peer-eof-grace
#   --timeout --connect-timeout --rtimeout --wtimeout --deadline --tls
#   --tls-auto --ca --cert --key --insecure --servername --alpn --pin
#   --tls-priority --verify-client --tls-allow-truncation --tls-strict-close
#   --tls-info
#   --send --send-file --expect --reject --sleep --starttls --starttls-name
#   --starttls-reissue --step-timeout --then-relay --retry-until --json-log
#   --exec --sh-exec --inetd --listen-fds
#   --verbose --stats --hexdump --hexdump-wire --hexdump-time --help
#   --version, and -4 -6 -q -N -z -e -c.

# Options that take a value in the next word (for counting operands).
set -g __aecat_valued -s --source -p --source-port --frame --recv-frame --send-frame \
    --records --send-records --recv-records --max-frame --count --until -q --peer-eof-grace \
    -w --timeout --connect-timeout --rtimeout \
    --wtimeout --deadline --ca --cert --key --servername --alpn --pin --tls-priority \
    --send --send-file --expect --reject --sleep --starttls --starttls-name --step-timeout \
    --retry-until --json-log -e --exec -c --sh-exec --slow --max-conns --max-accepts

function __aecat_unix --description 'aecat: -U given'
    for w in (commandline -opc)[2..-1]
        switch $w
            case -U --unix
                return 0
            case '--*'
            case '-*U*'
                string match -qr -- '^-[spqw]' $w; or return 0
        end
    end
    return 1
end

function __aecat_operands --description 'aecat: number of operands typed so far'
    set -l n 0
    set -l skip 0
    for w in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        if contains -- $w $__aecat_valued
            set skip 1
        else if not string match -q -- '-*' $w
            set n (math $n + 1)
        end
    end
    echo $n
end

function __aecat_frame_types --description 'aecat: framing types'
    printf '%s\t%s\n' raw 'byte stream, no framing' \
        line 'lines ending in \r?\n' \
        line: 'line with a given end marker or /RE/' \
        regex: 'frame up to and including a regex match' \
        netstring 'LEN:BYTES,' \
        packstring: 'length prefix in a Perl pack format' \
        len: 'length field in a header, or a protocol preset' \
        chunk: 'fixed-size frames of N bytes' \
        json 'JSON texts, validated; sent compact, one per line' \
        json: 'JSON texts nested at most DEPTH deep (default 512)' \
        cbor 'CBOR data items, checked well-formed; sent as they are' \
        cbor: 'CBOR data items nested at most DEPTH deep (default 512)' \
        resp 'Redis values (RESP2, RESP3); records JSON, commands in redis-cli syntax' \
        resp: 'Redis values nested at most DEPTH deep (default 512)' \
        smtp 'whole SMTP, LMTP or FTP replies; commands sent with CRLF' \
        http 'whole HTTP/1.1 messages (Content-Length, chunked, until close)'
    if string match -q -- 'packstring:*' (commandline -ct)
        for f in c C s S l L q Q i I n N v V j J w \
                's!' 'S!' 'l!' 'L!' 'i!' 'I!' 'n!' 'N!' 'v!' 'V!' \
                's<' 's>' 'S<' 'S>' 'l<' 'l>' 'L<' 'L>' 'q<' 'q>' 'Q<' 'Q>' \
                'i<' 'i>' 'I<' 'I>' 'j<' 'j>' 'J<' 'J>' varint grpc
            echo packstring:$f
        end
    end
    if string match -q -- 'len:*' (commandline -ct)
        for f in u8 u16be u16le u24be u24le u32be u32le u64be u64le varint varint4 ber \
                pg pg-startup mysql dns tls h2 amqp mongo kafka thrift modbus mqtt rpc
            echo len:$f
        end
    end
end

function __aecat_alpn --description 'aecat: ALPN protocols, comma-separated'
    set -l prefix (string match -r -- '^.*,' (commandline -ct); or echo)
    printf '%s\n' $prefix'h2' $prefix'http/1.1'
end

complete -c aecat -f -n 'not __aecat_unix'
complete -c aecat -n '__aecat_unix' -F
complete -c aecat -f -n 'not __aecat_unix; and test (__aecat_operands) = 0' -a '(__fish_print_hostnames)' -d host

# Connection
complete -c aecat -s l -l listen -d 'Listen instead of connecting'
complete -c aecat -s U -l unix -d 'The operand is a Unix-domain socket path'
complete -c aecat -s 4 -d 'IPv4 only'
complete -c aecat -s 6 -d 'IPv6 only'
complete -c aecat -s s -l source -x -a '(__fish_print_addresses; __fish_print_hostnames)' -d 'Local address to connect from'
complete -c aecat -s p -l source-port -x -d 'Local port to connect from'
complete -c aecat -l ready -f -d 'Once listening, print "listening HOST PORT" on stderr (or --ready=FD)'
complete -c aecat -s z -l zero-io -d 'Probe each port of PORT,LO-HI,...: connect, TLS, steps, close'
complete -c aecat -s k -l keep-open -d 'With -l: serve many connections at once until stopped'
complete -c aecat -l tag -d '-k: records on stdout say the connection and peer'
complete -c aecat -l broker -d "-k: a client's frames go to the other clients too"
complete -c aecat -l slow -x -a 'block\t"hold stdin back (default)" drop\t"it misses frames" close\t"close it"' -d '-k: a connection that reads too slowly'
complete -c aecat -l max-conns -x -d '-k: connections at once (default 1000)'
complete -c aecat -l max-accepts -x -d '-k: accept N connections, exit when they ended'
# Framing
complete -c aecat -l frame -x -a '(__aecat_frame_types)' -d 'Framing of the wire, both directions'
complete -c aecat -l recv-frame -x -a '(__aecat_frame_types)' -d 'Framing of what is received'
complete -c aecat -l send-frame -x -a '(__aecat_frame_types)' -d 'Framing of what is sent'
# The records formats, for --records, --send-records and --recv-records.
set -g __aecat_records 'lines\t"one line per frame" nul\t"NUL-terminated" netstring\t"netstrings" hex\t"a line of hex per frame" base64\t"a line of base64 per frame" json\t"JSON Lines" raw\t"no separator"'
complete -c aecat -l records -x -a "$__aecat_records" -d 'Frames on stdin/stdout'
complete -c aecat -l send-records -x -a "$__aecat_records" -d 'Frames on stdin only'
complete -c aecat -l recv-records -x -a "$__aecat_records" -d 'Frames on stdout only'
complete -c aecat -l strict-lines -d 'A last line without its end marker is an error (65)'
complete -c aecat -l http-lenient -d 'http: Transfer-Encoding wins over Content-Length, not error 65'
complete -c aecat -l max-frame -x -d 'Largest frame, with K/M/G suffix'
complete -c aecat -l count -x -d 'Stop after N frames received'
complete -c aecat -l until -x -d 'Stop after the first received frame that matches RE'
complete -c aecat -s C -l crlf -d 'Send "\n" as "\r\n"'
# End of stream
complete -c aecat -s q -x -d 'After EOF on stdin, wait at most SECS for the peer'
complete -c aecat -s N -d 'Accepted for netcat habits (half-close is the default)'
complete -c aecat -l peer-eof-grace -x -d 'After the peer closes, exit 0 once stdin is idle SECS'
complete -c aecat -l no-shutdown -d 'Keep the write side open after EOF on stdin'
# Timeouts
complete -c aecat -s w -l timeout -x -d 'Connect timeout and idle timeout (SECS)'
complete -c aecat -l connect-timeout -x -d 'Resolve + connect (SECS)'
complete -c aecat -l rtimeout -x -d 'Nothing received for SECS'
complete -c aecat -l wtimeout -x -d 'Queued data not written for SECS'
complete -c aecat -l deadline -x -d 'The whole run (SECS)'
# TLS
complete -c aecat -l tls -d 'TLS after connecting; with -l, accept TLS'
complete -c aecat -l tls-auto -d 'With -l: TLS or plaintext, decided by the first bytes'
complete -c aecat -l ca -r -F -d 'PEM trust anchors (instead of the system store)'
complete -c aecat -l cert -r -F -d 'PEM certificate (chain): of the server, or of the client'
complete -c aecat -l key -r -F -d 'PEM private key of --cert (default: in the --cert file)'
complete -c aecat -l insecure -d 'No chain or host-name verification (pins still checked)'
complete -c aecat -l servername -x -a '(__fish_print_hostnames)' -d 'Name sent as SNI and verified (default: HOST)'
complete -c aecat -l alpn -x -a '(__aecat_alpn)' -d 'Comma-separated ALPN protocols'
complete -c aecat -l pin -x -d 'pin-sha256:BASE64 of the server key (repeatable)'
complete -c aecat -l tls-priority -x -a 'NORMAL SECURE128 SECURE256 PERFORMANCE' -d 'GnuTLS priority string'
complete -c aecat -l verify-client -d 'With -l: require a client certificate verified against --ca'
complete -c aecat -l tls-allow-truncation -d 'A close without close_notify is a normal end'
complete -c aecat -l tls-strict-close -d 'A close without close_notify is 76, even after ours'
complete -c aecat -l tls-info -d 'After the handshake, describe the session on stderr'
# Dialog
complete -c aecat -l send -x -d 'Dialog step: send DATA (C escapes)'
complete -c aecat -l send-file -r -F -d 'Dialog step: send the bytes of FILE'
complete -c aecat -l expect -x -d 'Dialog step: wait for a frame (raw: bytes) matching RE'
complete -c aecat -l reject -x -d 'Fail if RE matches while the next --expect waits'
complete -c aecat -l sleep -x -d 'Dialog step: pause SECS'
complete -c aecat -l starttls -x -a 'now\t"a bare TLS handshake" smtp lmtp pop3 imap ftp xmpp xmpp-server nntp sieve ldap postgres mysql irc telnet submission imap2 postgresql' -d 'Dialog step: TLS at this point, after the protocol upgrade'
complete -c aecat -l starttls-name -x -a '(__fish_print_hostnames)' -d 'Our name in the STARTTLS dialog (EHLO, XMPP to=)'
complete -c aecat -l starttls-reissue -d 'smtp, lmtp: EHLO/LHLO again over TLS'
complete -c aecat -l step-timeout -x -d 'Bound for each --expect and --starttls (SECS, default 10)'
complete -c aecat -l then-relay -d 'After the dialog steps, relay stdin/stdout'
complete -c aecat -l retry-until -x -d 'Repeat connect + TLS + steps with backoff until they succeed (SECS)'
complete -c aecat -l json-log -r -F -d 'JSON Lines events to FILE (- stderr, &N a descriptor)'
# Program
complete -c aecat -s e -l exec -x -a '(__fish_complete_command)' -d 'Run PROG ARGS (no shell) in place of stdin/stdout'
complete -c aecat -s c -l sh-exec -x -d 'Run /bin/sh -c COMMAND in place of stdin/stdout'
complete -c aecat -l inetd -d 'The connection is stdin/stdout (inetd, tcpserver, systemd Accept=yes)'
complete -c aecat -l listen-fds -d 'Listen on the socket systemd passes (LISTEN_FDS, Accept=no)'
# Output
complete -c aecat -s v -l verbose -d 'Events on stderr (repeat for more)'
complete -c aecat -l stats -d 'Bytes, frames, duration and rate at exit'
complete -c aecat -l hexdump -F -d 'The bytes both ways as hexdump -C lines on stderr (--hexdump=FILE: to FILE)'
complete -c aecat -l hexdump-wire -d 'Dump TLS records as sent, not the plaintext (implies --hexdump)'
complete -c aecat -l hexdump-time -d 'Seconds since the start before each dump line (implies --hexdump)'
complete -c aecat -s h -l help -d 'Print help'
complete -c aecat -s V -l version -d 'Print the versions of aecat, libev, PCRE2 and GnuTLS'
