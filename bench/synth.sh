# bench/synth.sh — how fast `climrisk synth` writes DRIAS-format data, against
# nccopy re-compressing the same files (netCDF's own write + deflate path,
# zlib inside HDF5), and what that means for the demo's data
# (config/demo.ini). synth deflates its maps itself (ingest/rle_deflate.h
# at level 1) and stores them with H5Dwrite_chunk (ingest/h5chunk.h), so it
# runs below nccopy. The estimates scale the one-worker wall time (user and
# kernel) to model-years shared by two workers: the demo's 440 (historical
# 1976-2005, RCP4.5 and RCP8.5 2006-2100, two models) and issue 2's 380
# (scenarios from 2021). SYNTH_BENCH_DEMO=1 also generates the demo's data
# for real (15 GB, two workers) and times it.
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
if [ "${SYNTH_BENCH_DEMO:-0}" = 1 ]; then
    t0=$(date +%s.%N)
    "$CLIMRISK" -q synth --out "$out" --models CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63,MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009 \
        --scenarios historical,rcp45,rcp85 --years 1976-2005 --scenario-years 2006-2100 --jobs 2 --deflate 1
    t1=$(date +%s.%N)
    printf "%-48s %9.0fs\n" "demo data generated (440 model-years, 2 workers)" "$(echo "$t1 - $t0" | bc)"
    rm -rf "$out"
fi
