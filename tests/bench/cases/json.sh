# SPDX-License-Identifier: MIT
# JSON framing: split + validate, texts to JSON Lines, the codec alone.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory).

# ------------------------------------------------------------ JSON
# (1) split + validate: blast FILE --wire--> aecat -l --frame json --records
# raw | sink.  The texts come out back to back, without the whitespace between
# them: sink waits for the TEXT_BYTES gen counted.  Sets RATE in MB/s of input
# (blast's connect to the last byte out).
json_mix_run() {
    local to=$1 port lp kp st rc=0
    local res=$WORK/res out=$WORK/j.out
    RATE=""
    rm -f "$res" "$WORK/ready"
    : >"$WORK/ready"
    fifo "$out"
    spawn "$out" /dev/null "$to" "$BIN/sink" -n "$MIX_TEXT_BYTES" -o "$res"
    kp=$LAST
    spawn "rw:$HOLD" "$out" "$to" "$AECAT" -l 127.0.0.1 0 --peer-eof-grace 0 --ready=3 --frame json --records raw 3>"$WORK/ready"
    lp=$LAST
    if port=$(wait_ready "$WORK/ready" "$lp"); then
        st=$(timeout "$to" "$BIN/blast" "$WORK/jsonmix" 127.0.0.1 "$port" 2>>"$LOG")
    else
        say "bench: aecat -l --frame json did not get ready"
        kill "$lp" "$kp" 2>/dev/null
        rc=1
    fi
    wait "$lp" 2>/dev/null; wait "$kp" 2>/dev/null
    rm -f "$out"
    [ $rc = 0 ] && [ -s "$res" ] || return 1
    local bytes secs acc last eof
    read -r bytes secs acc last eof <"$res"
    if [ "$bytes" != "$MIX_TEXT_BYTES" ]; then
        say "bench: aecat json split: $bytes bytes out, expected $MIX_TEXT_BYTES"
        return 1
    fi
    RATE=$(calc "$MIX_BYTES / ($last - $st) / 1e6")
}

# (2) json_texts_run TOOL MODE: 64-byte texts to JSON Lines.  The listeners
# get blast FILE --wire-->; jq -c . reads FILE on its stdin.  MODE time: into
# sink, sets RATE in M texts/s, from blast's connect (for jq: from sink's
# start, which waits for jq to open the fifo) to the last byte out.  MODE
# check: into $WORK/jt.TOOL, for the line count and checksum; sets nothing.
json_texts_run() {
    local tool=$1 mode=$2 to=$3 port lp kp="" st rc=0
    local res=$WORK/res out=$WORK/jt.out expect=$((JSON_TEXTS * 64))
    RATE=""
    rm -f "$res" "$WORK/ready"
    : >"$WORK/ready"
    if [ "$mode" = time ]; then
        fifo "$out"
        spawn "$out" /dev/null "$to" "$BIN/sink" -n "$expect" -o "$res"
        kp=$LAST
    else
        out=$WORK/jt.$tool
        rm -f "$out"
    fi
    case $tool in
    aecat)   spawn "rw:$HOLD" "$out" "$to" "$AECAT" -l 127.0.0.1 0 --peer-eof-grace 0 --ready=3 --frame json --records json 3>"$WORK/ready";;
    ae)      spawn /dev/null "$out" "$to" perl "$PEERS/ae_decode.pl" json "$WORK/ready";;
    asyncio) spawn /dev/null "$out" "$to" env -u PYTHONUNBUFFERED "$PY" "$PEERS/asyncio_decode.py" json "$WORK/ready";;
    jq)      spawn "$WORK/texts.json" "$out" "$to" jq -c .;;
    esac
    lp=$LAST
    if [ $tool != jq ]; then
        if port=$(wait_ready "$WORK/ready" "$lp"); then
            st=$(timeout "$to" "$BIN/blast" "$WORK/texts.json" 127.0.0.1 "$port" 2>>"$LOG")
        else
            say "bench: $tool (json) did not get ready"
            kill "$lp" $kp 2>/dev/null
            rc=1
        fi
    fi
    wait "$lp" 2>/dev/null || { [ $mode = check ] && rc=1 && say "bench: $tool (json) failed"; }
    [ -n "$kp" ] && wait "$kp" 2>/dev/null
    [ "$mode" = time ] && rm -f "$out"
    [ "$mode" = check ] && return $rc
    [ $rc = 0 ] && [ -s "$res" ] || return 1
    local bytes secs acc last eof
    read -r bytes secs acc last eof <"$res"
    if [ "$bytes" != "$expect" ]; then
        say "bench: $tool json: $bytes bytes out, expected $expect"
        return 1
    fi
    if [ $tool = jq ]; then
        RATE=$(calc "$JSON_TEXTS / $acc / 1e6")
    else
        RATE=$(calc "$JSON_TEXTS / ($last - $st) / 1e6")
    fi
}

JSON_NOTE=""
if want json; then
    JSON_TO=$((60 + JSON_MB / 10))
    HAVE_AEJSON=$HAVE_AE; perl -MJSON::XS -e1 2>/dev/null || HAVE_AEJSON=0
    # (1) split + validate a mixed stream
    say "bench: json split + validate, $JSON_MB MiB of mixed texts, best of $REPS"
    MIX_BYTES="" MIX_TEXTS="" MIX_TEXT_BYTES=""
    "$BIN/gen" jsonmix "$JSON_MB" >"$WORK/jsonmix" 2>"$WORK/jsonmix.info" &&
        read -r _ MIX_BYTES MIX_TEXTS MIX_TEXT_BYTES < <(grep '^jsonmix [0-9]' "$WORK/jsonmix.info")
    if [ -n "$MIX_TEXT_BYTES" ]; then
        say "  $(grep '^jsonmix pattern' "$WORK/jsonmix.info")"
        say "  stream: $MIX_BYTES bytes, $MIX_TEXTS texts, $MIX_TEXT_BYTES bytes of texts"
    else
        say "  gen jsonmix failed: $(head -c 300 "$WORK/jsonmix.info")"
    fi
    # no more runs once 60 s went into them: a slow aecat must not make the
    # case run for minutes (the table says how many runs were made)
    JMIX_RUNS=0 t0=$EPOCHSECONDS
    for ((rep = 1; rep <= REPS; rep++)); do
        have aecat && [ -n "$MIX_TEXT_BYTES" ] || break
        [ $rep = 1 ] || [ $((EPOCHSECONDS - t0)) -lt 60 ] || { say "  (no run $rep: 60 s spent)"; break; }
        JMIX_RUNS=$rep
        if json_mix_run "$JSON_TO"; then
            say "  run $rep: aecat $RATE MB/s"
            best "R[jmix,aecat]" "$RATE"
        else
            say "  run $rep: aecat failed"
        fi
    done
    if have split && [ -n "$MIX_TEXT_BYTES" ]; then
        if line=$("$BIN/json_split" -w 0 -n "$REPS" "$WORK/jsonmix" 2>>"$LOG"); then
            read -r b t tb secs nspb <<<"$line"
            if [ "$t" = "$MIX_TEXTS" ] && [ "$tb" = "$MIX_TEXT_BYTES" ]; then
                R[jmix,split]=$(calc "$b / $secs / 1e6")
                say "  codec alone (json_split, 256 KiB reads): ${R[jmix,split]} MB/s"
            else
                say "  codec alone: $t texts, $tb bytes, expected $MIX_TEXTS, $MIX_TEXT_BYTES"
            fi
        else
            say "  codec alone: json_split failed"
        fi
    fi
    rm -f "$WORK/jsonmix"

    # (2) 64-byte texts to JSON Lines
    say "bench: json texts to JSON Lines, $JSON_TEXTS texts of 64 bytes"
    "$BIN/gen" frames json "$JSON_TEXTS" 64 >"$WORK/texts.json"
    JT_TO=$((60 + JSON_TEXTS / 10000))
    JT_TOOLS=()
    for tool in aecat asyncio ae jq; do
        case $tool in ae) [ $HAVE_AEJSON = 1 ];; *) have $tool;; esac || continue
        JT_TOOLS+=("$tool")
    done
    for ((rep = 1; rep <= FRAMED_REPS; rep++)); do
        for tool in "${JT_TOOLS[@]}"; do
            [ $tool = aecat ] || [ $rep -le "$PEER_REPS" ] || continue
            if json_texts_run $tool time "$JT_TO"; then
                say "  $tool: $RATE M texts/s"
                ALL["jtexts,$tool"]+="$RATE "
            else
                say "  $tool: failed"
            fi
        done
    done
    # every tool's output once more, into a file: N lines, and the input's
    # bytes exactly (it is compact JSON Lines already)
    sum_in=$(md5sum <"$WORK/texts.json" | cut -d' ' -f1)
    for tool in "${JT_TOOLS[@]}"; do
        if json_texts_run $tool check "$JT_TO"; then
            lines=$(wc -l <"$WORK/jt.$tool")
            sum=$(md5sum <"$WORK/jt.$tool" | cut -d' ' -f1)
        else
            lines=0 sum=none
        fi
        if [ "$lines" = "$JSON_TEXTS" ] && [ "$sum" = "$sum_in" ]; then
            JSON_NOTE+="$tool ok, "
            [ -n "${ALL[jtexts,$tool]:-}" ] && R[jtexts,$tool]=$(printf '%s\n' ${ALL[jtexts,$tool]} | sort -g | awk '{ a[NR] = $1 } END { printf "%s", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
        else
            JSON_NOTE+="$tool WRONG ($lines lines, md5 $sum: its cell reads n/a), "
            say "  $tool: output check failed: $lines lines of $JSON_TEXTS, md5 $sum (input $sum_in)"
            [ -s "$WORK/jt.$tool" ] && { echo "$tool json output, first lines:"; head -3 "$WORK/jt.$tool"; } >>"$LOG"
        fi
        rm -f "$WORK/jt.$tool"
    done
    JSON_NOTE=${JSON_NOTE%, }
    if have split; then
        if line=$("$BIN/json_split" -n "$FRAMED_REPS" "$WORK/texts.json" 2>>"$LOG"); then
            read -r b t tb secs nspb <<<"$line"
            if [ "$t" = "$JSON_TEXTS" ]; then
                R[jtexts,split]=$(calc "$t / $secs / 1e6")
                say "  codec alone (json_split, 256 KiB reads): ${R[jtexts,split]} M texts/s"
            fi
        fi
    fi
    rm -f "$WORK/texts.json"

    # (3) one 16 MiB text in reads of 1 byte, 4 KiB and 1 MiB, in memory:
    # 1-byte read(2)s on a socket would measure the kernel, not the scanner.
    # The texts and read sizes take turns, 5 rounds of 2 runs each, so that a
    # change in the machine's load hits them alike; the fastest run is kept.
    # "base": 1-byte reads with json_split -b's null decoder, what feeding the
    # bytes costs (aeh_buf_reserve, a 1-byte memcpy, an empty decode call).
    if have split; then
        say "bench: json read-size independence, 16 MiB texts, codec alone, best of 10"
        for kind in array string; do
            "$BIN/gen" jsonbig $kind 16 >"$WORK/big.$kind"
        done
        for ((rep = 1; rep <= 5; rep++)); do
            for kind in array string; do
                for rs in 1048576 4096 1 base; do
                    if [ $rs = base ]; then
                        line=$("$BIN/json_split" -b -n 2 -r 1 "$WORK/big.$kind" 2>>"$LOG")
                    else
                        line=$("$BIN/json_split" -n 2 -r "$rs" "$WORK/big.$kind" 2>>"$LOG")
                    fi && read -r b t tb secs nspb <<<"$line" && lowest "R[jbig$kind$rs,split]" "$nspb"
                done
            done
        done
        for kind in array string; do
            lo="" hi=""
            for rs in 1048576 4096 1; do
                say "  $kind, $rs-byte reads: ${R[jbig$kind$rs,split]:-n/a} ns/byte"
                lowest lo "${R[jbig$kind$rs,split]:-}"
                best hi "${R[jbig$kind$rs,split]:-}"
            done
            say "  $kind, 1-byte reads, feeding alone (null decoder): ${R[jbig${kind}base,split]:-n/a} ns/byte"
            [ -n "${R[jbig${kind}1,split]:-}" ] && [ -n "${R[jbig${kind}4096,split]:-}" ] &&
                [ -n "${R[jbig${kind}1048576,split]:-}" ] && R[jbig$kind,spread]=$(calc "$hi / $lo") &&
                [ -n "${R[jbig${kind}base,split]:-}" ] &&
                R[jbig${kind}scan,split]=$(calc "${R[jbig${kind}1,split]} - ${R[jbig${kind}base,split]}") &&
                R[jbig$kind,scanspread]=$(calc "${R[jbig${kind}scan,split]} / $lo")
            rm -f "$WORK/big.$kind"
        done
    fi
fi
