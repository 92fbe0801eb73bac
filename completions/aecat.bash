# SPDX-License-Identifier: MIT
# bash completion for aecat(1)                                -*- shell-script -*-
# Install as $(pkg-config --variable=completionsdir bash-completion)/aecat.

_aecat_frame_types()
{
    local cur=$1 f
    local -a words=(raw line line: regex: netstring packstring: len: chunk: json json: cbor cbor: resp resp: smtp http)
    if [[ $cur == packstring:* ]]; then
        words=()
        for f in c C s S l L q Q i I n N v V j J w; do
            words+=("packstring:$f")
        done
        for f in 's!' 'S!' 'l!' 'L!' 'i!' 'I!' 'n!' 'N!' 'v!' 'V!' \
                 's<' 's>' 'S<' 'S>' 'l<' 'l>' 'L<' 'L>' 'q<' 'q>' 'Q<' 'Q>' \
                 'i<' 'i>' 'I<' 'I>' 'j<' 'j>' 'J<' 'J>'; do
            words+=("packstring:$f")
        done
        words+=(packstring:varint packstring:grpc)
    elif [[ $cur == len:* ]]; then
        words=()
        for f in u8 u16be u16le u24be u24le u32be u32le u64be u64le varint varint4 ber \
                 pg pg-startup mysql dns tls h2 amqp mongo kafka thrift modbus mqtt rpc; do
            words+=("len:$f")
        done
    fi
    COMPREPLY=($(compgen -W '"${words[@]}"' -- "$cur"))
    # a prefix such as "line:", "chunk:", "json:", "cbor:" or "resp:" wants more typed after it
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]]; then
        compopt -o nospace 2>/dev/null
    fi
}

# A comma-separated list: complete the item after the last comma.
_aecat_list()
{
    local cur=$1 words=$2 prefix=
    [[ $cur == *,* ]] && prefix=${cur%,*},
    COMPREPLY=($(compgen -P "$prefix" -W "$words" -- "${cur##*,}"))
}

_aecat()
{
    local cur prev words cword split
    _init_completion -s -n := || return

    case $prev in
        --frame | --recv-frame | --send-frame)
            _aecat_frame_types "$cur"
            __ltrim_colon_completions "$cur"
            return
            ;;
        --records | --send-records | --recv-records)
            COMPREPLY=($(compgen -W 'lines nul netstring hex base64 json raw' -- "$cur"))
            return
            ;;
        --slow)
            COMPREPLY=($(compgen -W 'block drop close' -- "$cur"))
            return
            ;;
        -s | --source)
            _ip_addresses 2>/dev/null || _known_hosts_real -- "$cur"
            return
            ;;
        --ca | --cert | --key)
            _filedir
            return
            ;;
        --servername)
            _known_hosts_real -- "$cur"
            return
            ;;
        --alpn)
            _aecat_list "$cur" 'h2 http/1.1'
            return
            ;;
        --tls-priority)
            COMPREPLY=($(compgen -W 'NORMAL SECURE128 SECURE256 PERFORMANCE' -- "$cur"))
            return
            ;;
        --send-file | --json-log)
            _filedir
            return
            ;;
        -e | --exec)
            COMPREPLY=($(compgen -c -- "$cur"))
            return
            ;;
        --hexdump)
            if [[ $split == true ]]; then     # --hexdump=FILE (the file is optional)
                _filedir
                return
            fi
            ;;
        --starttls)
            COMPREPLY=($(compgen -W 'now smtp lmtp pop3 imap ftp xmpp xmpp-server nntp sieve
                ldap postgres mysql irc telnet submission imap2 postgresql' -- "$cur"))
            return
            ;;
        -p | --source-port | --max-frame | --count | --until | -q | --peer-eof-grace | -w | \
            --timeout | --connect-timeout | --rtimeout | --wtimeout | --deadline | --pin | --send | \
            --expect | --reject | --sleep | --step-timeout | --starttls-name | --retry-until | \
            -c | --sh-exec | --max-conns | --max-accepts)
            return          # a value of the user's own: nothing to offer
            ;;
    esac
    [[ $split == true ]] && return      # --opt=VALUE of an option without values (--ready=FD)

    if [[ $cur == -* ]]; then
        local opts='-l --listen -U --unix -4 -6 -s --source -p --source-port --ready --ready= -z --zero-io
            -k --keep-open --tag --broker --slow --max-conns --max-accepts
            --frame --recv-frame --send-frame --records --send-records --recv-records --strict-lines
            --http-lenient --max-frame --count --until -C --crlf
            -q --peer-eof-grace -N --no-shutdown -w --timeout --connect-timeout --rtimeout --wtimeout --deadline
            --tls --tls-auto --ca --cert --key --insecure --servername --alpn --pin
            --tls-priority --verify-client --tls-allow-truncation --tls-strict-close --tls-info
            --send --send-file --expect --reject --sleep --starttls --starttls-name --starttls-reissue
            --step-timeout --then-relay --retry-until --json-log
            -e --exec -c --sh-exec --inetd --listen-fds
            -v --verbose --stats --hexdump --hexdump= --hexdump-wire --hexdump-time
            -h --help -V --version'
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi

    # Operands: a socket path with -U, else HOST (first) and PORT (second).
    local i w nops=0 unix=false
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        case $w in
            -U | --unix) unix=true ;;
            -[!-]*U*) [[ $w != -[spqw]* ]] && unix=true ;;
            --frame | --recv-frame | --send-frame | --records | --send-records | --recv-records | \
                -s | --source | -p | \
                --source-port | --max-frame | --count | --until | -q | -w | --timeout | \
                --connect-timeout | --rtimeout | --wtimeout | --deadline | --ca | --cert | \
                --key | --servername | --alpn | --pin | --tls-priority | --send | --send-file | \
                --expect | --reject | --sleep | --starttls | --starttls-name | --step-timeout | \
                --retry-until | --json-log | -e | --exec | -c | --sh-exec | --slow | --max-conns | \
                --max-accepts)
                ((i++)) ;;
            -*) ;;
            *) ((nops++)) ;;
        esac
    done
    if $unix; then
        _filedir
    elif ((nops == 0)); then
        _known_hosts_real -- "$cur"
    fi
} &&
    complete -F _aecat aecat

# ex: filetype=sh
