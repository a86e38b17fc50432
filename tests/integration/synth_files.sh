# synth_files.sh — generated files open like DRIAS files would, in the
# netCDF tools and in GDAL, with the Lambert II étendu CRS.
set -u
fail() { echo "FAIL: $*"; exit 1; }
out="$TMPDIR/synth"
"$CLIMRISK" synth --out "$out" --models CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63 \
    --scenarios historical,rcp85 --historical-years 2001-2001 --scenario-years 2031-2032 \
    --jobs 2 --deflate 1 || fail "synth"
[ "$(ls "$out"/*.nc | wc -l)" -eq 10 ] || fail "expected 10 files"
ls "$out" | grep -q '\.part-' && fail "temporary files left behind"
f="$out/tasmaxAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_rcp8.5_METEO-FRANCE_ADAMONT-France_SAFRAN_day_20310101-20321231.nc"
[ -f "$f" ] || fail "DRIAS file name not found: $f"
ncdump -h "$f" >"$TMPDIR/h" || fail "ncdump -h"
grep -q 'time = UNLIMITED ; // (731 currently)' "$TMPDIR/h" || fail "time axis length"
grep -q 'float tasmaxAdjust(time, y, x)' "$TMPDIR/h" || fail "variable layout"
grep -q 'tasmaxAdjust:_DeflateLevel = 1' <(ncdump -hs "$f") || fail "deflate"
grep -q 'tasmaxAdjust:_ChunkSizes = 1, 134, 143' <(ncdump -hs "$f") || fail "chunking"
gdalinfo "NETCDF:$f:tasmaxAdjust" >"$TMPDIR/g" 2>&1 || { cat "$TMPDIR/g"; fail "gdalinfo"; }
grep -q 'Size is 143, 134' "$TMPDIR/g" || fail "GDAL size"
grep -q 'NTF (Paris) / Lambert zone II' "$TMPDIR/g" || fail "GDAL CRS name"
# GDAL must place the grid where DRIAS puts it: origin at the SW corner edge
# (60000 - 4000, 1617000 - 4000) and 8 km pixels (GDAL lists the NW corner).
grep -Eq 'Origin = \(56000\.0+,2685000\.0+\)' "$TMPDIR/g" || { grep Origin "$TMPDIR/g"; fail "GDAL origin"; }
grep -Eq 'Pixel Size = \(8000\.0+,-8000\.0+\)' "$TMPDIR/g" || fail "GDAL pixel size"
# Paris (lon 2.35, lat 48.85) falls on the right cell through GDAL's CRS:
# gdallocationinfo with WGS84 input must report a value, not nodata.
gdallocationinfo -valonly -wgs84 "NETCDF:$f:tasmaxAdjust" 2.35 48.85 >"$TMPDIR/v" 2>/dev/null
v=$(head -n 1 "$TMPDIR/v")
awk -v v="$v" 'BEGIN { exit !(v > 250 && v < 320) }' || fail "value at Paris is '$v'"
# and a sea point (Bay of Biscay) is nodata
v=$(gdallocationinfo -valonly -wgs84 "NETCDF:$f:tasmaxAdjust" -4.0 45.5 2>/dev/null | head -n 1)
awk -v v="$v" 'BEGIN { exit !(v == "" || v > 1e19) }' || fail "sea value is '$v'"
"$CLIMRISK" inspect "$f" >"$TMPDIR/i" || fail "inspect"
grep -q "2031-01-01 to 2032-12-31" "$TMPDIR/i" || { cat "$TMPDIR/i"; fail "inspect period"; }
echo "synth files ok"
