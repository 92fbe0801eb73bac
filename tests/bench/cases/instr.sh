# SPDX-License-Identifier: MIT
# Instructions per frame: aecat and the C ceiling under callgrind, the
# framed cases' runs with INSTR_FRAMES and twice as many 64-byte frames;
# the difference divided by INSTR_FRAMES is what one more frame costs,
# start-up and teardown cancelled.  A count, not a time: the same on any
# machine of the kind, whatever its load.
# Sourced by tests/bench/run.sh (set -u, in the tree's top directory), after
# framed.sh (its frames_run).

# instructions RUN_ARGS...: frames_run under callgrind; prints the total Ir
instructions() {
    local cg=$WORK/callgrind.out
    rm -f "$cg"
    VG=(valgrind --tool=callgrind --callgrind-out-file="$cg")
    frames_run "$@" >/dev/null 2>&1
    VG=()
    [ -s "$cg" ] && awk '/^(summary|totals):/ { print $2; exit }' "$cg"
}

if want instr; then
    if ! command -v valgrind >/dev/null; then
        say "bench: instr: valgrind is not installed (make deps): the instruction rows read n/a"
    else
        say "bench: instructions per frame, $INSTR_FRAMES and $((2 * INSTR_FRAMES)) frames"
        saved_frames=$FRAMES
        for type in $FRAMED_TYPES; do
            for dir in decode encode; do
                for tool in aecat ceiling; do
                    have $tool || continue
                    declare -A IR=()
                    for n in "$INSTR_FRAMES" "$((2 * INSTR_FRAMES))"; do
                        FRAMES=$n
                        "$BIN/gen" lines "$n" "$ITEM" >"$WORK/lines"
                        "$BIN/gen" frames "$type" "$n" "$ITEM" >"$WORK/frames.$type"
                        IR[$n]=$(instructions "$dir" "$tool" "$type" $((60 + n / 1000)))
                    done
                    if [ -n "${IR[$INSTR_FRAMES]}" ] && [ -n "${IR[$((2 * INSTR_FRAMES))]}" ]; then
                        R[instr $dir $type,$tool]=$(( (IR[$((2 * INSTR_FRAMES))] - IR[$INSTR_FRAMES]) / INSTR_FRAMES ))
                        say "  $dir $type $tool: ${R[instr $dir $type,$tool]} instructions per frame"
                    else
                        say "  $dir $type $tool: failed under callgrind"
                    fi
                done
            done
            rm -f "$WORK/frames.$type"
        done
        FRAMES=$saved_frames
    fi
fi
