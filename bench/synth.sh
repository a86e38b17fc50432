# bench/synth.sh — how fast `climrisk synth` writes DRIAS-format data, against
# nccopy re-compressing the same files (netCDF's own write + deflate path,
# zlib inside HDF5), and what that means for the demo's data
# (config/demo.ini). synth deflates its maps itself (ingest/rle_deflate.h
# at level 1) and stores them with H5Dwrite_chunk (ingest/h5chunk.h), so it
# runs below nccopy. The estimates scale the one-worker wall time (user and
# kernel) to model-years shared by two workers: the demo's 440 (historical
# 1976-2005, RCP4.5 and RCP8.5 2006-2100, two models) and issue 2's 380
# (scenarios from 2021). Then the page cache (core/dropbehind.h): two
# models x two scenarios x 40 years (5.7 GB; the cost shows once the cache
# outgrows the memory the VM has recently used) generated and computed by
# two workers, with written and
# read files dropped from the cache (the default) and kept
# (CLIMRISK_KEEP_CACHE=1), as the pipeline runs them: compute reads what
# synth just wrote. SYNTH_BENCH_DEMO=1 also generates the demo's data for
# real (15 GB, two workers) both ways and times it.
set -eu
out="$BENCH_DATA/synth-bench"
rm -rf "$out"
years=${SYNTH_BENCH_YEARS:-3}
t0=$(date +%s.%N)
"$CLIMRISK" -q synth --out "$out" --models CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63 --scenarios rcp85 \
    --years 2031-$((2030 + years)) --jobs 1 --deflate 1
t1=$(date +%s.%N)
# The floor: nccopy reading those files and writing them again with the same
# deflate level and chunking (decompression + compression, no generation).
t2=$(date +%s.%N)
for f in "$out"/*.nc; do nccopy -d1 -s -c time/1,y/134,x/143 "$f" "$f.copy"; done
t3=$(date +%s.%N)
rm -f "$out"/*.copy
awk -v g="$(echo "$t1 - $t0" | bc)" -v c="$(echo "$t3 - $t2" | bc)" -v y="$years" \
    -v mb="$(du -sm "$out" | cut -f1)" '
BEGIN {
    per = g / y;                 # seconds per model-year, five variables, one core
    demo_years = 2 * (30 + 95 + 95);
    printf "%-48s %10s\n", "measure", "value"
    printf "%-48s %9.1fs\n", "climrisk synth, 1 model x " y " years x 5 variables", g
    printf "%-48s %9.1fs\n", "nccopy -d1 of the same files (write floor)", c
    printf "%-48s %9.2fx\n", "ratio synth / nccopy", g / c
    printf "%-48s %9.2fs\n", "per model-year (5 variables, 1 core)", per
    printf "%-48s %9.0fMB\n", "output size", mb
    printf "%-48s %9.0fs\n", "estimated demo data (440 model-years, 2 cores)", per * demo_years / 2
    printf "%-48s %9.0fs\n", "estimated issue 2 set (380 model-years, 2 cores)", per * 380 / 2
    printf "%-48s %10s\n", "target (issue 2)", "~60s"
}'
rm -rf "$out"

# "wall user kernel" seconds of a command (its own output discarded).
timed() {
    local TIMEFORMAT='%R %U %S'
    { time "$@" >/dev/null 2>&1; } 2>&1
}
# Freed memory goes back to the hypervisor about two seconds after it is
# freed; each run starts from that state, as a fresh run would.
settle() { rm -rf "$out" "$BENCH_DATA/synth-bench-annual"; sync; sleep 5; }
models=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63,MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009
printf "\n%-48s %8s %8s %8s\n" "page cache (160 model-years, 2 workers)" wall user kernel
for keep in 0 1; do
    label=$([ $keep = 0 ] && echo "dropped behind" || echo "kept")
    settle
    read -r w u k < <(CLIMRISK_KEEP_CACHE=$keep timed "$CLIMRISK" -q synth --out "$out" \
        --models "$models" --scenarios rcp45,rcp85 --years 2031-2070 --jobs 2 --deflate 1)
    printf "%-48s %7.1fs %7.1fs %7.1fs\n" "synth, $label" "$w" "$u" "$k"
    read -r w u k < <(CLIMRISK_KEEP_CACHE=$keep timed "$CLIMRISK" -q compute --dir "$out" \
        --out "$BENCH_DATA/synth-bench-annual" -i all -j 2)
    printf "%-48s %7.1fs %7.1fs %7.1fs\n" "compute of those files, $label" "$w" "$u" "$k"
done
settle

if [ "${SYNTH_BENCH_DEMO:-0}" = 1 ]; then
    printf "\n%-48s %8s %8s %8s\n" "demo data (440 model-years, 2 workers)" wall user kernel
    for keep in 0 1; do
        label=$([ $keep = 0 ] && echo "dropped behind" || echo "kept")
        settle
        read -r w u k < <(CLIMRISK_KEEP_CACHE=$keep timed "$CLIMRISK" -q synth --out "$out" \
            --models "$models" --scenarios historical,rcp45,rcp85 --years 1976-2005 \
            --scenario-years 2006-2100 --jobs 2 --deflate 1)
        printf "%-48s %7.0fs %7.0fs %7.0fs\n" "generated, $label" "$w" "$u" "$k"
    done
    settle
fi
