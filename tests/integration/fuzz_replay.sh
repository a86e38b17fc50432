# fuzz_replay.sh — every input of fuzz/corpus (seeds and past crashes) goes
# through its fuzz target without a crash or an abort.
set -u
for dir in "$SRC"/fuzz/corpus/*/; do
    name=$(basename "$dir")
    bin="$BUILD/fuzz/fuzz_$name"
    [ -x "$bin" ] || { echo "missing $bin (make test builds it)"; exit 1; }
    files=("$dir"*)
    [ -e "${files[0]}" ] || continue
    "$bin" "${files[@]}" || { echo "fuzz target $name failed on its corpus"; exit 1; }
done
