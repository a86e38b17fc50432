# bench/fetch.sh — what `climrisk fetch` costs over what a user would
# otherwise run: `curl -o` then `sha256sum` for a download, `cp` then
# `sha256sum` for a local copy, `xargs -P` of curls for several files.
# Served over loopback by tests/tools/httpfault (the same server for both),
# so the numbers measure the client side: streaming SHA-256, fsync, rename,
# index. Sizes: FETCH_BENCH_MB (default 256) for the big file, 8 files of a
# quarter of that for the parallel case.
set -eu
mb=${FETCH_BENCH_MB:-256}
d="$BENCH_DATA/fetch-bench"
rm -rf "$d"
mkdir -p "$d/root" "$d/out"
head -c $((mb * 1048576)) /dev/urandom >"$d/root/big.nc"
for i in 1 2 3 4 5 6 7 8; do head -c $((mb * 1048576 / 4)) /dev/urandom >"$d/root/part$i.nc"; done
make -s "$BUILD/tests/tools/httpfault" >/dev/null
"$BUILD/tests/tools/httpfault" --root "$d/root" --port-file "$d/port" 2>/dev/null &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$d"' EXIT
for _ in $(seq 1 100); do [ -s "$d/port" ] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$d/port")"
now() { date +%s.%N; }
meta="model=A_B scenario=rcp85 variable=tasAdjust"
fetch() { "$CLIMRISK" -q fetch --manifest "$1" --cache "$d/cache" --jobs "${2:-4}" >/dev/null; }

# one big download
t0=$(now); curl -s -o "$d/out/big.nc" "$url/big.nc"; sha256sum "$d/out/big.nc" >/dev/null; t1=$(now)
echo "$url/big.nc $meta" >"$d/m1.tsv"
rm -rf "$d/cache"; t2=$(now); fetch "$d/m1.tsv"; t3=$(now)
# eight files, four at a time
t4=$(now)
printf '%s\n' 1 2 3 4 5 6 7 8 | xargs -P 4 -I{} sh -c "curl -s -o '$d/out/p{}.nc' '$url/part{}.nc' && sha256sum '$d/out/p{}.nc' >/dev/null"
t5=$(now)
for i in 1 2 3 4 5 6 7 8; do echo "$url/part$i.nc $meta name=p$i.nc"; done >"$d/m8.tsv"
rm -rf "$d/cache"; t6=$(now); fetch "$d/m8.tsv" 4; t7=$(now)
# the same again: everything is cached
t12=$(now); fetch "$d/m8.tsv"; t13=$(now)
# local copy
t8=$(now); cp "$d/root/big.nc" "$d/out/copy.nc"; sha256sum "$d/out/copy.nc" >/dev/null; t9=$(now)
echo "$d/root/big.nc $meta" >"$d/ml.tsv"
rm -rf "$d/cache"; t10=$(now); fetch "$d/ml.tsv"; t11=$(now)

awk -v mb="$mb" -v a="$(echo "$t1-$t0" | bc)" -v b="$(echo "$t3-$t2" | bc)" \
    -v c="$(echo "$t5-$t4" | bc)" -v e="$(echo "$t7-$t6" | bc)" \
    -v f="$(echo "$t9-$t8" | bc)" -v g="$(echo "$t11-$t10" | bc)" -v h="$(echo "$t13-$t12" | bc)" '
BEGIN {
    printf "%-52s %9s %9s %7s\n", "case (" mb " MB; 8 x " mb / 4 " MB)", "seconds", "MB/s", "ratio"
    printf "%-52s %9.2f %9.0f %7s\n", "curl -o + sha256sum, 1 file", a, mb / a, "1.00"
    printf "%-52s %9.2f %9.0f %7.2f\n", "climrisk fetch, 1 file", b, mb / b, b / a
    printf "%-52s %9.2f %9.0f %7s\n", "xargs -P4 curl -o + sha256sum, 8 files", c, 2 * mb / c, "1.00"
    printf "%-52s %9.2f %9.0f %7.2f\n", "climrisk fetch --jobs 4, 8 files", e, 2 * mb / e, e / c
    printf "%-52s %9.2f %9.0f %7s\n", "cp + sha256sum, 1 local file", f, mb / f, "1.00"
    printf "%-52s %9.2f %9.0f %7.2f\n", "climrisk fetch, 1 local file", g, mb / g, g / f
    printf "%-52s %9.2f %9s %7s\n", "climrisk fetch rerun, 8 files already cached", h, "-", "-"
    printf "(fetch also fsyncs each file before publishing it; curl and cp do not)\n"
}'
