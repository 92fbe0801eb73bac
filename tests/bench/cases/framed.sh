# SPDX-License-Identifier: MIT
# Framed decode and encode: aecat, AnyEvent::Handle, asyncio and the C ceiling.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).
# len:u32be is packstring:N's wire (a 4-byte big-endian length): aecat's
# generic length-field codec against the same ceiling loop; the peers have
# no such codec of their own and run in the packstring:N row only.
FRAMED_TYPES="line netstring packstring:N len:u32be"

# ------------------------------------------------------------ framed
# decode: blast pre-encoded frames --wire--> DECODER | sink
# encode: lines file | ENCODER --wire--> sink -L
# Sets RATE in M frames/s ("" on failure).  VG: a command aecat and the
# ceiling run under (the instr case's callgrind), empty otherwise.
VG=()
frames_run() {
    local dir=$1 tool=$2 type=$3 to=$4 port lp kp st rc=0 expect
    local res=$WORK/res out=$WORK/f.out
    RATE="" LAG=""
    rm -f "$res" "$WORK/ready"
    : >"$WORK/ready"
    if [ "$dir" = decode ]; then
        expect=$((FRAMES * (ITEM + 1)))
        fifo "$out"
        spawn "$out" /dev/null "$to" "$BIN/sink" -n "$expect" -o "$res"
        kp=$LAST
        case $tool in
        aecat)   spawn "rw:$HOLD" "$out" "$to" "${VG[@]}" "$AECAT" -l 127.0.0.1 0 --peer-eof-grace 0 --ready=3 --recv-frame "$type" --records lines 3>"$WORK/ready";;
        ae)      spawn /dev/null "$out" "$to" perl "$PEERS/ae_decode.pl" "$type" "$WORK/ready";;
        asyncio) spawn /dev/null "$out" "$to" env -u PYTHONUNBUFFERED "$PY" "$PEERS/asyncio_decode.py" "$type" "$WORK/ready";;
        ceiling) spawn /dev/null "$out" "$to" "${VG[@]}" "$BIN/ceiling" decode "$type" -L "$WORK/ready";;
        esac
        lp=$LAST
        if port=$(wait_ready "$WORK/ready" "$lp"); then
            st=$(timeout "$to" "$BIN/blast" "$WORK/frames.$type" 127.0.0.1 "$port" 2>>"$LOG")
        else
            say "bench: $tool ($type decode) did not get ready"
            kill "$lp" "$kp" 2>/dev/null
            rc=1
        fi
        wait "$lp" 2>/dev/null; wait "$kp" 2>/dev/null
        rm -f "$out"
    else
        case $type in line) expect=$((FRAMES * (ITEM + 1)));; *) expect=$((FRAMES * (ITEM + 4)));; esac
        spawn /dev/null /dev/null "$to" "$BIN/sink" -L "$WORK/ready" -n "$expect" -o "$res"
        kp=$LAST
        if port=$(wait_ready "$WORK/ready" "$kp"); then
            case $tool in
            aecat)   spawn "$WORK/lines" /dev/null "$to" "${VG[@]}" "$AECAT" --send-frame "$type" 127.0.0.1 "$port";;
            ae)      spawn "$WORK/lines" /dev/null "$to" perl "$PEERS/ae_encode.pl" "$type" 127.0.0.1 "$port";;
            asyncio) spawn "$WORK/lines" /dev/null "$to" env -u PYTHONUNBUFFERED "$PY" "$PEERS/asyncio_encode.py" "$type" 127.0.0.1 "$port";;
            ceiling) spawn "$WORK/lines" /dev/null "$to" "${VG[@]}" "$BIN/ceiling" encode "$type" 127.0.0.1 "$port";;
            esac
            lp=$LAST
            wait "$kp"; wait "$lp"
        else
            kill "$kp" 2>/dev/null; wait "$kp" 2>/dev/null
            rc=1
        fi
    fi
    [ $rc = 0 ] && [ -s "$res" ] || return 1
    local bytes secs acc last eof
    read -r bytes secs acc last eof <"$res"
    if [ "$bytes" != "$expect" ]; then
        say "bench: $tool $dir $type: $bytes bytes, expected $expect"
        return 1
    fi
    if [ "$dir" = decode ]; then
        RATE=$(calc "$FRAMES / ($last - $st) / 1e6")  # from blast's connect to the last byte out
    else
        RATE=$(calc "$FRAMES / $acc / 1e6")           # from the accepted connection to the last byte
    fi
    LAG=$(calc "($eof - $last) * 1000")
}


if want framed; then
    say "bench: framed, $FRAMES items of $ITEM bytes"
    "$BIN/gen" lines "$FRAMES" "$ITEM" >"$WORK/lines"
    FR_TO=$((30 + FRAMES / 20000))
    for type in $FRAMED_TYPES; do
        "$BIN/gen" frames "$type" "$FRAMES" "$ITEM" >"$WORK/frames.$type"
        for dir in decode encode; do
            # aecat and the ceiling alternate, so that a change in the machine's
            # load hits both alike; the slow peers run PEER_REPS times
            for ((rep = 1; rep <= FRAMED_REPS; rep++)); do
                for tool in aecat ceiling ae asyncio; do
                    have $tool || continue
                    case $tool in ae|asyncio) [ $rep -le "$PEER_REPS" ] && [[ $type != len:* ]] || continue;; esac
                    if frames_run $dir $tool "$type" "$FR_TO"; then
                        say "  $dir $type $tool: $RATE M frames/s (EOF $LAG ms after the last byte)"
                        ALL["$dir $type,$tool"]+="$RATE "
                        [ $dir = decode ] && lowest "R[lag,$tool]" "$LAG"
                    else
                        say "  $dir $type $tool: failed"
                    fi
                done
            done
        done
        rm -f "$WORK/frames.$type"
    done
    # framed: the median of the runs (a best-of would follow single lucky runs of
    # the short C ceiling; the spread is in the log above)
    for k in "${!ALL[@]}"; do
        R[$k]=$(printf '%s\n' ${ALL[$k]} | sort -g | awk '{ a[NR] = $1 } END { printf "%s", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    done
fi
