# indicators_e2e.sh — synth -> compute -> aggregate on a small run, checking
# the outputs' structure (docs/formats.md) and that indicator values equal
# the same indicators recomputed independently by CDO from the same files:
#   su      = yearsum(gtc(tasmax, 298.15))        (TX > 25 degC, strict)
#   fd      = yearsum(ltc(tasmin, 273.15))        (TN < 0 degC)
#   r20mm   = yearsum(gec(pr * 86400, 20))        (PR >= 20 mm)
#   rx1day  = yearmax(pr * 86400)
#   prcptot = yearsum(pr*86400 * gec(pr*86400, 1))
#   txx     = yearmax(tasmax) - 273.15
#   tg_mean = yearmean(tas) - 273.15
# (CDO's eca_* operators aggregate the whole file unless given freq=year, and
# eca_gsl/eca_cdd/runsum follow other conventions: ../shared/research
# /indicators-science.md §2.2; the plain year* forms above are exact.)
# Also: sha256 of the inputs in the provenance, CSV output, parallel
# simulations, warming levels with a level no model reaches, GeoTIFFs
# georeferenced like the NetCDF (a pixel's value through GDAL).
set -u
fail() { echo "FAIL: $*"; exit 1; }
W="$TMPDIR/work"
mkdir -p "$W" "$TMPDIR/scn/ensembles"

# A tiny scenarios/ folder whose horizons fit a 2 + 3-year run.
cp "$SRC/scenarios/experiments.ini" "$SRC/scenarios/statistics.ini" "$TMPDIR/scn/"
cp "$SRC/scenarios/ensembles/"*.ini "$TMPDIR/scn/ensembles/"
cat >"$TMPDIR/scn/periods.ini" <<'EOF'
[REF]
years = 2000-2001
experiments = historical
reference = yes
label_en = Reference 2000-2001
label_fr = Référence 2000-2001

[H1]
years = 2030-2031
experiments = rcp85
label_en = Test horizon 2030-2031
label_fr = Horizon de test 2030-2031
EOF
cat >"$TMPDIR/scn/warming_levels.ini" <<'EOF'
[reference]
period = REF
preindustrial_to_reference = 0.6

[RWL06]
france_warming = 0.6
experiment = rcp85
tracc_year = 2030
label_en = +0 degC above REF (test)
label_fr = +0 °C au-dessus de REF (test)

[RWL99]
france_warming = 99
experiment = rcp85
tracc_year = 2100
label_en = never reached (test)
label_fr = jamais atteint (test)
EOF
M1=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
M2=MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009
cat >"$TMPDIR/run.ini" <<EOF
[run]
workdir = $W
jobs = 2
[inputs]
source = synth
[synth]
models = $M1, $M2
scenarios = historical, rcp85
historical_years = 2000-2001
scenario_years = 2030-2032
[scenarios]
dir = $TMPDIR/scn
warming_window = 1
warming_horizon = 1
EOF

"$CLIMRISK" synth --config "$TMPDIR/run.ini" --out "$W/data" >/dev/null 2>&1 || fail "synth"
"$CLIMRISK" compute --config "$TMPDIR/run.ini" --jobs 2 2>"$TMPDIR/compute.log" ||
    { cat "$TMPDIR/compute.log"; fail "compute"; }
grep -q "compute: 4 of 4 simulations done" "$TMPDIR/compute.log" || fail "compute summary line"
for s in ${M1}_historical ${M1}_rcp85 ${M2}_historical ${M2}_rcp85; do
    [ -f "$W/annual/$s.nc" ] || fail "missing annual/$s.nc"
done
ls "$W/annual" | grep -q '\.part-' && fail "temporary files left behind"

A="$W/annual/${M1}_rcp85.nc"
ncdump -h "$A" >"$TMPDIR/h" || fail "ncdump"
grep -q 'year = 3 ;' "$TMPDIR/h" || fail "year dimension"
grep -q 'float su(year, y, x)' "$TMPDIR/h" || fail "su layout"
grep -q 'float tas_france(year)' "$TMPDIR/h" || fail "tas_france"
grep -q 'int LambertParisII' "$TMPDIR/h" || fail "grid mapping copied"
grep -q 'double lat(y, x)' "$TMPDIR/h" || fail "lat copied"
grep -q 'su:units = "days"' "$TMPDIR/h" || fail "units"
grep -q 'su:grid_mapping = "LambertParisII"' "$TMPDIR/h" || fail "grid_mapping attribute"
grep -q ':climrisk_kind = "annual"' "$TMPDIR/h" || fail "climrisk_kind"
grep -q ':experiment = "rcp85"' "$TMPDIR/h" || fail "experiment attribute"
grep -q ':tg_source = "tas"' "$TMPDIR/h" || fail "tg_source"
n=$(grep -cE '^\s+float [a-z0-9_]+\(year, y, x\)' "$TMPDIR/h")
[ "$n" -eq 22 ] || fail "expected 22 indicator variables, found $n"
# provenance: every input with its sha256, as sha256sum computes it
for f in "$W"/data/*${M1}*rcp8.5*.nc; do
    sum=$(sha256sum "$f" | cut -d' ' -f1)
    grep -q "$sum $(basename "$f")" "$TMPDIR/h" || fail "sha256 of $(basename "$f") not in input_files"
done

# Values of an annual variable and of a CDO result, one per line, in the
# same (year, y, x) order; ncdump prints NaN (the fill value) as "_".
ncvals() { ncdump -v "$2" -p 9,17 "$1" | awk -v v="$2" '
    $0 ~ "^ "v" =" { on = 1; sub(/^[^=]*=/, "") }
    on { gsub(/[;,]/, " "); for (i = 1; i <= NF; i++) print $i; if ($0 ~ /;/) on = 0 }' ; }
cdovals() { cdo -s outputf,%.9g,1 "$1" 2>>"$C/cdo.log"; }
# compare FILE_A FILE_B TOL NAME [MIN]: every cell both define must agree,
# and at least MIN (default 8000) cells must be compared
compare() {
    paste "$1" "$2" | awk -v tol="$3" -v name="$4" -v min="${5:-8000}" '
        $1 != "_" && $1 != "NaN" && ($2 < 1e19 && $2 > -1e19) {
            n++; d = $1 - $2; if (d < 0) d = -d
            if (d > tol * (1 + ($2 < 0 ? -$2 : $2))) { bad++; if (bad < 4) print name": climrisk "$1", cdo "$2 }
        }
        END { printf "%s: %d cells compared, %d differ\n", name, n, bad; exit !(n >= min && bad == 0) }'
}
command -v cdo >/dev/null || { echo "cdo not installed"; exit 77; }
C="$TMPDIR/cdo"; mkdir -p "$C"
D="$W/data"
tx=$(ls "$D"/tasmaxAdjust*${M1}*rcp8.5*.nc); tn=$(ls "$D"/tasminAdjust*${M1}*rcp8.5*.nc)
tg=$(ls "$D"/tasAdjust*${M1}*rcp8.5*.nc); pr=$(ls "$D"/prtotAdjust*${M1}*rcp8.5*.nc)
cdo -s -O yearsum -gtc,298.15 "$tx" "$C/su.nc" 2>>"$C/cdo.log" || fail "cdo su"
cdo -s -O yearsum -ltc,273.15 "$tn" "$C/fd.nc" 2>>"$C/cdo.log" || fail "cdo fd"
cdo -s -O yearsum -gec,20 -mulc,86400 "$pr" "$C/r20mm.nc" 2>>"$C/cdo.log" || fail "cdo r20mm"
cdo -s -O yearmax -mulc,86400 "$pr" "$C/rx1day.nc" 2>>"$C/cdo.log" || fail "cdo rx1day"
cdo -s -O yearsum -mul -mulc,86400 "$pr" -gec,1 -mulc,86400 "$pr" "$C/prcptot.nc" 2>>"$C/cdo.log" || fail "cdo prcptot"
cdo -s -O subc,273.15 -yearmax "$tx" "$C/txx.nc" 2>>"$C/cdo.log" || fail "cdo txx"
cdo -s -O subc,273.15 -yearmean "$tg" "$C/tg_mean.nc" 2>>"$C/cdo.log" || fail "cdo tg_mean"
for v in su fd r20mm; do
    ncvals "$A" $v >"$C/$v.mine"; cdovals "$C/$v.nc" >"$C/$v.cdo"
    compare "$C/$v.mine" "$C/$v.cdo" 0 $v || fail "$v differs from CDO"
done
for v in rx1day prcptot txx tg_mean; do
    ncvals "$A" $v >"$C/$v.mine"; cdovals "$C/$v.nc" >"$C/$v.cdo"
    compare "$C/$v.mine" "$C/$v.cdo" 2e-5 $v || fail "$v differs from CDO"
done
# tas_france: the mean of CDO's annual mean over the land cells
ncvals "$A" tas_france >"$C/tf.mine"
awk -v ny=19162 '
    { y = int((NR - 1) / ny); if ($1 < 1e19) { s[y] += $1; n[y]++ } }
    END { for (i = 0; i < 3; i++) printf "%.9g\n", s[i] / n[i] }' "$C/tg_mean.cdo" >"$C/tf.cdo"
compare "$C/tf.mine" "$C/tf.cdo" 1e-5 tas_france 3 ||
    { paste "$C/tf.mine" "$C/tf.cdo"; fail "tas_france"; }

# CSV output of one simulation, and --indicators
"$CLIMRISK" -q compute --tasmax "$tx" --pr "$pr" --indicators su,rx1day --out "$TMPDIR/one.csv" ||
    fail "compute --out csv"
head -n 1 "$TMPDIR/one.csv" | grep -qx 'indicator,year,cell,value' || fail "CSV header"
rows=$(grep -c '^su,2030,' "$TMPDIR/one.csv")
[ "$rows" -eq 8981 ] || fail "CSV: $rows su rows for 2030, want the 8981 land cells"
# the CSV value of a cell equals the NetCDF one (cell = j * 143 + i)
cell=$(awk -F, '$1 == "su" && $2 == 2031 { print $3; exit }' "$TMPDIR/one.csv")
want=$(sed -n "$((19162 + cell + 1))p" "$C/su.mine")
got=$(awk -F, -v c="$cell" '$1 == "su" && $2 == 2031 && $3 == c { print $4 }' "$TMPDIR/one.csv")
[ "$got" = "$want" ] || fail "CSV su 2031 cell $cell: $got, NetCDF $want"
# an indicator that needs an absent input is refused by name
"$CLIMRISK" -q compute --tasmax "$tx" --indicators fd --out "$TMPDIR/x.nc" 2>"$TMPDIR/e" && fail "fd without tasmin"
grep -q "fd needs tasmin" "$TMPDIR/e" || { cat "$TMPDIR/e"; fail "error message"; }

# aggregate
"$CLIMRISK" aggregate --config "$TMPDIR/run.ini" 2>"$TMPDIR/agg.log" || { cat "$TMPDIR/agg.log"; fail "aggregate"; }
S="$W/stats/rcp85.nc"
[ -f "$S" ] && [ -f "$W/stats/historical.nc" ] || fail "stats files"
ncdump -h "$S" >"$TMPDIR/sh"
grep -q 'model = 2 ;' "$TMPDIR/sh" || fail "model dimension"
grep -q 'horizon = 4 ;' "$TMPDIR/sh" || fail "horizon dimension (REF, H1, RWL06, RWL99)"
grep -q 'stat = 6 ;' "$TMPDIR/sh" || fail "stat dimension"
grep -q 'float su_anom(model, horizon, y, x)' "$TMPDIR/sh" || fail "su_anom"
grep -q 'float su_ens_anom(stat, horizon, y, x)' "$TMPDIR/sh" || fail "su_ens_anom"
grep -q 'float rx1day_rl20(model, horizon, y, x)' "$TMPDIR/sh" || fail "rx1day_rl20"
grep -q 'float tg_mean_ratio' "$TMPDIR/sh" && fail "no ratio for a temperature"
ncdump -v ensemble_nmodels,horizon,warming_pivot_year "$S" >"$TMPDIR/sv"
grep -q 'ensemble_nmodels = 2, 2, 2, 0 ;' "$TMPDIR/sv" || { grep -A1 ensemble_nmodels "$TMPDIR/sv"; fail "ensemble_nmodels"; }
grep -q 'RWL99 .*not reached' <(ncdump -h "$S" | grep -A3 warming_levels_not_reached) ||
    fail "not-reached level reported"
grep -q "RWL99 $M1: not reached" "$TMPDIR/agg.log" || fail "not-reached level logged"
# REF mean of su for model 1 (horizon 0) = mean of its 2000-2001 annual values
ncvals "$W/annual/${M1}_historical.nc" su >"$C/suh"
ncvals "$S" su_mean >"$C/sum"
awk -v ny=19162 'NR <= ny { a[NR] = $1 } NR > ny && NR <= 2 * ny { if (a[NR - ny] != "_") printf "%.9g\n", (a[NR - ny] + $1) / 2; else print "_" }' "$C/suh" >"$C/ref.awk"
head -n 19162 "$C/sum" >"$C/ref.mine"
compare "$C/ref.mine" "$C/ref.awk" 1e-6 su_ref_mean || fail "REF mean"
# GeoTIFF: same value as the NetCDF at a land cell (i, j) -> pixel (i, 133 - j)
T="$W/stats/cog/su_rcp85_H1_anom_median.tif"
[ -f "$T" ] || fail "COG $T"
gdalinfo "$T" >"$TMPDIR/g" 2>&1 || fail "gdalinfo"
grep -q 'Size is 143, 134' "$TMPDIR/g" || fail "COG size"
grep -q 'LAYOUT=COG' "$TMPDIR/g" || fail "not a COG"
grep -q 'Lambert zone II' "$TMPDIR/g" || fail "COG CRS"
grep -Eq 'Origin = \(56000\.0+,2685000\.0+\)' "$TMPDIR/g" || fail "COG origin"
ncvals "$S" su_ens_anom >"$C/ens"
# stat 0 = median, horizon 1 = H1: offset (0 * 4 + 1) * 19162; Paris cell
for ij in "70 80" "40 60" "100 30"; do
    set -- $ij
    v=$(sed -n "$((19162 + $2 * 143 + $1 + 1))p" "$C/ens")
    g=$(gdallocationinfo -valonly "$T" "$1" $((133 - $2)))
    if [ "$v" = "_" ]; then
        [ "$g" = "nan" ] || [ "$g" = "-nan" ] || [ -z "$g" ] || fail "COG ($1,$2) '$g' where NetCDF has none"
    else
        awk -v a="$v" -v b="$g" 'BEGIN { d = a - b; exit !(d < 1e-4 && d > -1e-4) }' ||
            fail "COG ($1,$2) = $g, NetCDF $v"
    fi
done
ls "$W/stats/cog" | grep -q 'rx1day_rl20_rcp85_RWL06_anom_agreement.tif' || fail "RL20 COG"

# climrisk scenarios: the declarations and the models' pivot years
"$CLIMRISK" scenarios --config "$TMPDIR/run.ini" --annual "$W/annual" >"$TMPDIR/scn.out" || fail "scenarios"
grep -q 'DRIAS-2020 .*12 pairs' "$TMPDIR/scn.out" || fail "ensembles listed"
grep -q 'RWL99' "$TMPDIR/scn.out" || fail "levels listed"
grep -Eq "^$M1 +RWL99 +rcp85 .*never" "$TMPDIR/scn.out" || { cat "$TMPDIR/scn.out"; fail "pivot table"; }
grep -Eq "^$M1 +RWL06 +rcp85 .* 20[0-9][0-9] \(" "$TMPDIR/scn.out" || fail "pivot year"
echo "indicators end to end ok"
