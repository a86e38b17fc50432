# reader_inspect.sh — `climrisk inspect` shows what the reader understood,
# checked against ncdump (another reader of the same files): dates, values
# in degC (K - 273.15 computed here), 2-D latitudes; on generated DRIAS
# files: 8981 land cells, EPSG:27572, SAFRAN latitudes, split files equal to
# one file; and bad inputs exit with code 2 and say why.
set -u
fail() { echo "FAIL: $*"; exit 1; }
EC="$SRC/../shared/data/climate_nc/euro-cordex"
GRID="$SRC/../shared/data/safran_grid/grilleSafran_utile_drias2021.csv"
T=$TMPDIR
json() { # file expression: evaluate a Python expression on the JSON in file
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}

# ---- real EURO-CORDEX files ------------------------------------------------
"$CLIMRISK" inspect --json "$EC/test1.nc" >"$T/t1.json" || fail "inspect test1.nc"
[ "$(json "$T/t1.json" 'd[0]["calendar"]')" = proleptic_gregorian ] || fail "test1 calendar"
[ "$(json "$T/t1.json" 'd[0]["first"], d[0]["last"], d[0]["days"]')" = "('1950-01-01', '1950-12-31', 365)" ] ||
    fail "test1 period: $(json "$T/t1.json" 'd[0]["first"], d[0]["last"], d[0]["days"]')"
[ "$(json "$T/t1.json" 'd[0]["crs"]["name"], d[0]["layout"], d[0]["grid"]["cells"]')" = \
    "('rotated_latitude_longitude', 'time,rlat,rlon', 70)" ] || fail "test1 grid"
[ "$(json "$T/t1.json" 'd[0]["file_units"], d[0]["units"], d[0]["variable"]')" = "('K', 'degC', 'tasmin')" ] ||
    fail "test1 units"
[ "$(json "$T/t1.json" 'd[0]["simulation"]["model"], d[0]["simulation"]["experiment"]')" = \
    "('CNRM-CERFACS-CNRM-CM5_CLMcom-CCLM4-8-17', 'historical')" ] || fail "test1 simulation"

# Values and dates of one cell (row 3, column 5 = index 26 of 10 x 7) against
# ncdump: every value in K minus 273.15, every date from `ncdump -t`.
check_cell() { # file ncells
    local f=$1 name; name=$(basename "$f" .nc)
    "$CLIMRISK" inspect --values 3,5 "$f" >"$T/$name.tsv" || fail "inspect --values $f"
    ncdump -v tasmin -p 9,17 "$f" | sed -n '/^ tasmin =/,/;/p' | tr -s ' ,;\n' '\n' |
        grep -E '^-?[0-9]' >"$T/$name.raw"
    ncdump -t -v time "$f" | sed -n '/^ time =/,/;/p' | grep -oE '"[0-9]{4}-[0-9]{2}-[0-9]{2}' | tr -d '"' >"$T/$name.dates"
    ncdump -v lat -p 9,17 "$f" | sed -n '/^ lat =/,/;/p' | tr -s ' ,;\n' '\n' |
        grep -E '^-?[0-9]' | sed -n 27p >"$T/$name.lat"
    awk -v lat="$(cat "$T/$name.lat")" -F'\t' '
        FILENAME == ARGV[1] { n++; if ((n - 1) % 70 == 26) raw[++k] = $1; next }
        FILENAME == ARGV[2] { date[++m] = $1; next }
        /^# lat/ { if ($2 - lat > 1e-6 || lat - $2 > 1e-6) { print "lat " $2 " vs " lat; bad++ } next }
        /^#/ || /^date/ { next }
        { r++; want = raw[r] - 273.15
          if ($1 != date[r]) { print "day " r ": date " $1 " vs ncdump " date[r]; bad++ }
          if ($3 - want > 1e-4 || want - $3 > 1e-4) { print "day " r ": " $3 " vs " want; bad++ } }
        END { if (r != k || r != m) { print r " rows, " k " raw values, " m " dates"; bad++ }
              exit bad > 0 }' "$T/$name.raw" "$T/$name.dates" "$T/$name.tsv" ||
        fail "values of $name differ from ncdump"
    echo "$name: $(grep -vc '^#\|^date' "$T/$name.tsv") days match ncdump"
}
check_cell "$EC/test1.nc"
check_cell "$EC/test2.nc" # 360_day, 1949-12-01 .. 1950-12-30
grep -q '^1950-02-30' "$T/test2.tsv" || fail "360_day February 30 missing"

# ---- generated DRIAS files ---------------------------------------------------
"$CLIMRISK" -q synth --out "$T/one" --models A_B --scenarios rcp45 --years 2021-2022 \
    -V tasmaxAdjust --jobs 1 || fail synth
"$CLIMRISK" -q synth --out "$T/split" --models A_B --scenarios rcp45 --years 2021-2022 \
    -V tasmaxAdjust --jobs 1 --years-per-file 1 || fail "synth split"
one=$(ls "$T"/one/*.nc)
"$CLIMRISK" -q inspect --json "$one" >"$T/one.json" || fail "inspect DRIAS"
[ "$(json "$T/one.json" 'd[0]["land_cells"], d[0]["crs"]["epsg"], d[0]["grid"]["ny"], d[0]["grid"]["nx"]')" = \
    "(8981, 27572, 134, 143)" ] || fail "DRIAS grid: $(json "$T/one.json" 'd[0]["land_cells"], d[0]["crs"]')"
[ "$(json "$T/one.json" 'd[0]["simulation"]["model"], d[0]["simulation"]["experiment"], d[0]["variable"]')" = \
    "('A_B', 'rcp45', 'tasmax')" ] || fail "DRIAS identity"
"$CLIMRISK" -q inspect --json "$T"/split/*.nc >"$T/split.json" || fail "inspect split"
[ "$(json "$T/split.json" 'len(d), len(d[0]["files"]), d[0]["days"], d[0]["gaps"], d[0]["overlaps"]')" = \
    "(1, 2, 730, 0, 0)" ] || fail "split files are not one series"
# SAFRAN point 13510 (column 68, row 94): latitude from the grid table.
"$CLIMRISK" -q inspect --values 94,68 "$one" >"$T/p1.tsv" || fail "values one"
"$CLIMRISK" -q inspect --values 94,68 "$T"/split/*.nc >"$T/p2.tsv" || fail "values split"
want=$(awk -F';' '$1 == 13510 { gsub(/ /, "", $9); print $9 }' "$GRID")
awk -F'\t' -v want="$want" '/^# lat/ { d = $2 - want; exit !(d < 0.01 && d > -0.01) }' "$T/p1.tsv" ||
    fail "latitude of point 13510: $(grep '^# lat' "$T/p1.tsv") vs $want"
diff <(grep -v '^# file' "$T/p1.tsv") <(grep -v '^# file' "$T/p2.tsv") >/dev/null ||
    fail "split files read differently from one file"
[ "$(grep -vc '^#\|^date' "$T/p1.tsv")" -eq 730 ] || fail "730 days expected"
grep -v '^#\|^date' "$T/p1.tsv" | grep -q NaN && fail "NaN on a land point"

# Calendars of the generator.
"$CLIMRISK" -q synth --out "$T/c360" --models A_B --scenarios rcp45 --years 2021-2021 \
    -V tasmaxAdjust --jobs 1 --calendar 360_day || fail "synth 360"
"$CLIMRISK" -q inspect --quick --json "$T"/c360/*.nc >"$T/c360.json" || fail "inspect 360"
[ "$(json "$T/c360.json" 'd[0]["calendar"], d[0]["last"], d[0]["days"]')" = "('360_day', '2021-12-30', 360)" ] ||
    fail "360_day file"

# Gaps and overlaps between files are shown.
"$CLIMRISK" -q synth --out "$T/gap" --models A_B --scenarios rcp45 --years 2021-2023 \
    -V tasmaxAdjust --jobs 1 --years-per-file 1 || fail "synth gap"
rm "$T"/gap/*_20220101-20221231.nc
"$CLIMRISK" -q inspect --quick "$T"/gap/*.nc >"$T/gap.txt" 2>"$T/gap.err" || fail "inspect gap"
grep -q 'gap      2022-01-01 to 2022-12-31 (365 days)' "$T/gap.txt" || { cat "$T/gap.txt"; fail "gap not shown"; }
grep -q '365 day(s) missing' "$T/gap.err" || fail "gap not logged"
cp "$T"/split/*_20220101-20221231.nc "$T/one/"
"$CLIMRISK" -q inspect --quick "$T"/one/*.nc >"$T/ov.txt" 2>/dev/null || fail "inspect overlap"
grep -q 'overlaps     365 day(s)' "$T/ov.txt" || { cat "$T/ov.txt"; fail "overlap not counted"; }
grep -q 'overlap  2022-01-01 to 2022-12-31' "$T/ov.txt" || fail "overlap not shown"

# ---- bad inputs: exit code 2 and a message that names the problem --------------
expect2() { # what needle command...
    local what=$1 needle=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; local rc=$?
    [ $rc -eq 2 ] || { cat "$T/err"; fail "$what: exit $rc, expected 2"; }
    grep -q -- "$needle" "$T/err" || { cat "$T/err"; fail "$what: no '$needle' in the message"; }
}
head -c 100000 "$EC/test1.nc" >"$T/truncated.nc"
expect2 truncated "truncated.nc" "$CLIMRISK" inspect "$T/truncated.nc"
echo '<html>Service unavailable</html>' >"$T/error-page.nc"
expect2 "text file" "not a NetCDF file" "$CLIMRISK" inspect "$T/error-page.nc"
expect2 "missing variable" "has no pr variable" "$CLIMRISK" inspect -V pr "$EC/test1.nc"
expect2 "missing variable list" "tasmin" "$CLIMRISK" inspect -V pr "$EC/test1.nc"
# A good file and a bad one: the good one is still shown, the exit code is 2.
"$CLIMRISK" inspect --quick "$EC/test2.nc" "$T/error-page.nc" >"$T/mixed" 2>/dev/null
[ $? -eq 2 ] || fail "mixed good and bad: exit code"
grep -q '360_day' "$T/mixed" || fail "mixed: good file not shown"

cdl() { # name cdl-body: write a small file with ncgen
    printf 'netcdf %s {\n%s\n}\n' "$(basename "$1")" "$2" >"$T/$1.cdl"
    ncgen -4 -o "$T/$1.nc" "$T/$1.cdl" || fail "ncgen $1"
}
head='dimensions: time = 3 ; y = 2 ; x = 2 ;
variables:
  double time(time) ; time:units = "days since 2000-01-01" ; time:calendar = "CAL" ;
  double y(y) ; y:units = "m" ; y:standard_name = "projection_y_coordinate" ;
  double x(x) ; x:units = "m" ; x:standard_name = "projection_x_coordinate" ;'
cdl furlong "${head/CAL/standard}
  float tas(time, y, x) ; tas:units = \"furlongs\" ;
data: time = 0.5, 1.5, 2.5 ; y = 0, 8000 ; x = 0, 8000 ; tas = 1,2,3,4,5,6,7,8,9,10,11,12 ;"
expect2 "unknown units" "units 'furlongs'" "$CLIMRISK" inspect "$T/furlong.nc"
cdl julian "${head/CAL/julian}
  float tas(time, y, x) ; tas:units = \"K\" ;
data: time = 0.5, 1.5, 2.5 ; y = 0, 8000 ; x = 0, 8000 ; tas = 1,2,3,4,5,6,7,8,9,10,11,12 ;"
expect2 "unknown calendar" "calendar 'julian'" "$CLIMRISK" inspect "$T/julian.nc"
# Out of physical range: 1 value of 12 above 60 degC. Refused at the default
# threshold, a warning when the config allows 10 %.
cdl hot "${head/CAL/standard}
  float tas(time, y, x) ; tas:units = \"degC\" ;
data: time = 0.5, 1.5, 2.5 ; y = 0, 8000 ; x = 0, 8000 ; tas = 1,2,3,4,5,6,75,8,9,10,11,12 ;"
expect2 "out of range" "max_invalid_fraction" "$CLIMRISK" inspect "$T/hot.nc"
grep -q '1 tas values above 60 degC' "$T/err" || fail "range message"
printf '[inputs]\nmax_invalid_fraction = 0.1\n' >"$T/lenient.ini"
"$CLIMRISK" inspect -c "$T/lenient.ini" "$T/hot.nc" >/dev/null 2>"$T/err" || fail "lenient threshold"
grep -q 'values out of physical range (counted' "$T/err" || fail "warning under the threshold"
# tasmax below tasmin, and variables of one simulation on different grids.
sim='tas%s_France_G-CM_R-CM_rcp4.5_METEO-FRANCE_ADAMONT-France_SAFRAN_day_20000101-20000103'
cdl "$(printf "$sim" minAdjust)" "${head/CAL/standard}
  float tasminAdjust(time, y, x) ; tasminAdjust:units = \"degC\" ;
data: time = 0.5, 1.5, 2.5 ; y = 0, 8000 ; x = 0, 8000 ; tasminAdjust = 1,2,3,4,5,6,7,8,9,10,11,12 ;"
cdl "$(printf "$sim" maxAdjust)" "${head/CAL/standard}
  float tasmaxAdjust(time, y, x) ; tasmaxAdjust:units = \"degC\" ;
data: time = 0.5, 1.5, 2.5 ; y = 0, 8000 ; x = 0, 8000 ; tasmaxAdjust = 9,9,9,9,9,9,0,9,12,12,12,12 ;"
expect2 "tasmax < tasmin" "tasmax < tasmin" "$CLIMRISK" inspect "$T/$(printf "$sim" minAdjust).nc" \
    "$T/$(printf "$sim" maxAdjust).nc"
# tasAdjust of the same simulation, one column east.
mkdir -p "$T/sim" && cp "$T/$(printf "$sim" minAdjust).nc" "$T/sim/"
cdl "sim/$(printf "$sim" Adjust)" "${head/CAL/standard}
  float tasAdjust(time, y, x) ; tasAdjust:units = \"degC\" ;
data: time = 0.5, 1.5, 2.5 ; y = 0, 8000 ; x = 8000, 16000 ; tasAdjust = 1,2,3,4,5,6,7,8,9,10,11,12 ;"
expect2 "grid mismatch" "not on the same grid" "$CLIMRISK" inspect --quick "$T"/sim/*.nc
echo "reader_inspect: all checks passed"
