# datamart_load.sh — `climrisk load` on fixture files with known values
# (tests/unit/support/nc_fixture.h): row counts and values recomputed here
# with awk from the fixture formulas and the DRIAS grid file; reload gives
# identical data; unchanged files are skipped; a file replaces only its own
# (scenario, model); a file with one indicator changed is patched (only that
# indicator's maps replaced) and equals a whole reload; indicator_at, exposure, area_stat (constant field), the
# per-category views and warming-level horizons answer the README questions.
. "$SRC/tests/integration/lib/dm_common.sh"
dm_setup load

F="$TMPDIR/fx"
mkdir -p "$F/annual" "$F/stats"
M1=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
M2=MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009
IND=spring_frost,r20mm,rx1day,tg_mean
dm_fixture annual "$F/annual/${M1}_rcp45.nc" --experiment rcp45 --model $M1 --years 2030-2034 --indicators $IND
dm_fixture annual "$F/annual/${M2}_rcp45.nc" --experiment rcp4.5 --model $M2 --years 2030-2034 --indicators $IND --variant 1
dm_fixture stats "$F/stats/rcp45.nc" --experiment rcp45 --models $M1,$M2 --horizons REF,H1,H2,H3 --indicators $IND,huglin
dm_fixture stats "$F/stats/rcp85.nc" --experiment rcp85 --models $M1,$M2 --horizons REF,H2,RWL20,RWL27,RWL40 \
    --indicators $IND --constant r20mm=7.25

"$CLIMRISK" load --annual "$F/annual" --stats "$F/stats" >"$TMPDIR/load1.out" || fail "load"
cat "$TMPDIR/load1.out"

# ---- expected row counts, from the formulas and the DRIAS land cells
dm_land_ids >"$TMPDIR/land"
k_sf=$(dm_indicator_index spring_frost); k_r20=$(dm_indicator_index r20mm)
k_rx=$(dm_indicator_index rx1day); k_tg=$(dm_indicator_index tg_mean); k_hu=$(dm_indicator_index huglin)
# cnt(k, h): land cells c with (c + k + h) mod 53 != 0 (the fixture's holes)
cnt() { awk -v s="$1" '($1 + s) % 53 != 0 { n++ } END { print n }' "$TMPDIR/land"; }
# annual: 4 indicators x 5 years per file, holes at (c + k) mod 53 = 0
want_annual=0
for k in $k_sf $k_r20 $k_rx $k_tg; do want_annual=$((want_annual + 2 * 5 * $(cnt $k))); done
# stats rcp45, 2 models, 6 statistics, horizons h = 0..3. Per indicator:
# model variables mean, anom (+ ratio when the catalogue says so; all here
# but tg_mean) (+ rl20, rl20_anom for rx1day); ensemble variables mean, anom
# (+ ratio) (+ rl20), minus the map of 'agreement' of the mean (NaN).
stats_rows() { # k ratio rx nmodels_of_h... (one per horizon)
    local k=$1 ratio=$2 rx=$3; shift 3
    local h=0 total=0 nm
    for nm in "$@"; do
        local vm=$((2 + ratio + 2 * rx)) ve=$((2 + ratio + rx))
        local maps=$((vm * nm + ve * 6 - 1))
        total=$((total + maps * $(cnt $((k + h)))))
        h=$((h + 1))
    done
    echo $total
}
want_stats45=$(( $(stats_rows $k_sf 1 0 2 2 2 2) + $(stats_rows $k_r20 1 0 2 2 2 2) + $(stats_rows $k_rx 1 1 2 2 2 2) \
               + $(stats_rows $k_tg 0 0 2 2 2 2) + $(stats_rows $k_hu 1 0 2 2 2 2) ))
# rcp85: horizons REF, H2, RWL20, RWL27, RWL40; model 2 never reaches the
# levels; r20mm is the constant 7.25 everywhere (no holes)
r20_85=$(( (3 * 2 + 3 * 6 - 1) * 8981 * 2 + (3 * 1 + 3 * 6 - 1) * 8981 * 3 ))
want_stats85=$(( $(stats_rows $k_sf 1 0 2 2 1 1 1) + r20_85 + $(stats_rows $k_rx 1 1 2 2 1 1 1) \
               + $(stats_rows $k_tg 0 0 2 2 1 1 1) ))
have_annual=$(dm_psql "select count(*) from datamart.annual_value")
have45=$(dm_psql "select count(*) from datamart.cell_stat where scenario = 'rcp45'")
have85=$(dm_psql "select count(*) from datamart.cell_stat where scenario = 'rcp85'")
[ "$have_annual" = "$want_annual" ] || fail "annual rows $have_annual, want $want_annual"
[ "$have45" = "$want_stats45" ] || fail "rcp45 statistic rows $have45, want $want_stats45"
[ "$have85" = "$want_stats85" ] || fail "rcp85 statistic rows $have85, want $want_stats85"
grep -q "$((want_annual + want_stats45 + want_stats85)) rows" "$TMPDIR/load1.out" || fail "printed total"

# ---- values: every annual row and a sample of statistic rows against the formulas
check_annual() {
    dm_psql "select indicator, model, year, cell_id, value from datamart.annual_value" |
        awk -F'|' -v sf=$k_sf -v r20=$k_r20 -v rx=$k_rx -v tg=$k_tg -v m1=$M1 '
            BEGIN { k["spring_frost"] = sf; k["r20mm"] = r20; k["rx1day"] = rx; k["tg_mean"] = tg }
            { v = ($2 == m1) ? '"${1:-0}"' : 1
              want = 1000 * k[$1] + ($3 - 1900) + ($4 % 61) / 8 + v / 2
              if ($5 + 0 != want) { print "annual " $0 " want " want; bad++ } n++ }
            END { if (bad || n == 0) exit 1 }' || fail "annual values differ from the fixture formula"
}
check_annual 0
dm_psql "select indicator, horizon, model, statistic, quantity, cell_id, value, coalesce(nmodels, -1)
         from datamart.cell_stat where scenario = 'rcp45' and (cell_id % 7 = 0 or indicator = 'huglin')" |
    awk -F'|' -v sf=$k_sf -v r20=$k_r20 -v rx=$k_rx -v tg=$k_tg -v hu=$k_hu -v m1=$M1 -v m2=$M2 '
        BEGIN { k["spring_frost"] = sf; k["r20mm"] = r20; k["rx1day"] = rx; k["tg_mean"] = tg; k["huglin"] = hu
                h["REF"] = 0; h["H1"] = 1; h["H2"] = 2; h["H3"] = 3
                q["mean"] = 0; q["anom"] = 1; q["ratio"] = 2; q["rl20"] = 3; q["rl20_anom"] = 4
                o[m1 "|value"] = 0; o[m2 "|value"] = 1
                split("median p05 p95 min max agreement", st, " ")
                for (i = 1; i <= 6; i++) o["ensemble|" st[i]] = 49 + i }
        { want = 1000 * k[$1] + 100 * q[$5] + 10 * h[$2] + o[$3 "|" $4] + ($6 % 61) / 8
          if ($7 + 0 != want) { print "stat " $0 " want " want; bad++ }
          if (($3 == "ensemble") != ($8 == 2)) { print "nmodels " $0; bad++ }
          n++ }
        END { if (bad || n < 100000) { print n " rows checked"; exit 1 } }' ||
    fail "statistic values differ from the fixture formula"

# ---- indicator_at at the centres of 25 land cells (DRIAS lon/lat)
tail -n +2 "$SRC/ingest/data/grilleSafran_utile_drias2021.csv" | tr -d ' ' |
    awk -F';' 'NR % 359 == 1 { print $1, $8, $9 }' | head -25 >"$TMPDIR/points"
[ "$(wc -l <"$TMPDIR/points")" = 25 ] || fail "sample points"
while read -r c lon lat; do
    got=$(dm_psql "select concat_ws(' ', cell_id, value, unit, p05, p95, min, max, nmodels, coalesce(agreement::text, '-'))
                   from datamart.indicator_at($lon, $lat, 'spring_frost', 'rcp45', 'H2')")
    if [ $(((c + k_sf + 2) % 53)) = 0 ]; then
        [ -z "$got" ] || fail "indicator_at at a hole of cell $c: '$got'"
        continue
    fi
    want=$(awk -v c=$c -v k=$k_sf 'BEGIN { b = 1000 * k + 20 + (c % 61) / 8
        printf "%d %.10g days %.10g %.10g %.10g %.10g 2 -", c, b + 50, b + 51, b + 52, b + 53, b + 54 }')
    [ "$got" = "$want" ] || fail "indicator_at cell $c: '$got', want '$want'"
    # the change vs 1976-2005 carries the sign agreement
    got=$(dm_psql "select value || ' ' || agreement from datamart.indicator_at($lon, $lat, 'spring_frost', 'rcp45', 'H2', 'anom')")
    want=$(awk -v c=$c -v k=$k_sf 'BEGIN { b = 1000 * k + 100 + 20 + (c % 61) / 8; printf "%.10g %.10g", b + 50, b + 55 }')
    [ "$got" = "$want" ] || fail "indicator_at anom cell $c: '$got', want '$want'"
done <"$TMPDIR/points"
# warming level TRACC +2.7 degC: asked exactly like a period; one model of two reached it
while read -r c lon lat; do [ $(((c + k_sf + 3) % 53)) != 0 ] && break; done <"$TMPDIR/points"
got=$(dm_psql "select value || ' ' || nmodels from datamart.indicator_at($lon, $lat, 'spring_frost', 'rcp85', 'RWL27')")
want=$(awk -v c=$c -v k=$k_sf 'BEGIN { printf "%.10g 1", 1000 * k + 30 + 50 + (c % 61) / 8 }')
[ "$got" = "$want" ] || fail "indicator_at RWL27: '$got', want '$want'"
[ "$(dm_psql "select count(*) from datamart.indicator_at(-30, 10, 'spring_frost', 'rcp45', 'H2')")" = 0 ] ||
    fail "indicator_at off the grid returns rows"
[ "$(dm_psql "select string_agg(model || ':' || reached, ' ' order by model) from datamart.model_horizon where scenario = 'rcp85' and horizon = 'RWL27'")" = \
  "$M1:true $M2:false" ] || fail "model_horizon RWL27"

# ---- area aggregates of a constant field equal the constant, at every level
bad=$(dm_psql "select count(*) from datamart.area_stat where indicator = 'r20mm' and scenario = 'rcp85'
               and horizon = 'H2' and model = 'ensemble' and statistic = 'median' and quantity = 'mean'
               and (abs(mean - 7.25) > 1e-5 or min <> 7.25 or max <> 7.25)")
[ "$bad" = 0 ] || fail "$bad area aggregates of the constant 7.25 differ"
n=$(dm_psql "select count(*) from datamart.area_stat where indicator = 'r20mm' and scenario = 'rcp85'
             and horizon = 'RWL27' and model = '$M1' and quantity = 'anom' and level = 'commune' and mean = 7.25")
[ "$n" -gt 35000 ] || fail "only $n communes aggregated"
# a weighted mean lies between the min and max of its cells; a commune on one cell has that cell's value
dm_psql "select count(*) from datamart.area_stat where indicator = 'tg_mean' and scenario = 'rcp45' and horizon = 'H1'
         and model = 'ensemble' and statistic = 'median' and quantity = 'mean' and level = 'commune'
         and parent_code = '33' and (mean < min - 1e-3 or mean > max + 1e-3)" | grep -qx 0 || fail "mean outside [min, max]"
got=$(dm_psql "select count(*) from datamart.area_stat s join datamart.admin_area a on a.level = s.level and a.code = s.code
               join datamart.cell_stat c on c.cell_id = datamart.cell_of(ST_X(ST_Transform(ST_PointOnSurface(a.geom_l93), 4326)),
                                                                      ST_Y(ST_Transform(ST_PointOnSurface(a.geom_l93), 4326)))
                and c.indicator = s.indicator and c.scenario = s.scenario and c.horizon = s.horizon and c.model = s.model
                and c.statistic = s.statistic and c.quantity = s.quantity
               where s.indicator = 'tg_mean' and s.scenario = 'rcp45' and s.horizon = 'H1' and s.model = 'ensemble'
                 and s.statistic = 'median' and s.quantity = 'mean' and s.level = 'commune' and s.parent_code = '33'
                 and s.ncells = 1 and c.value = s.mean")
[ "$got" -gt 20 ] || fail "one-cell communes do not carry their cell's value ($got)"

# ---- the README questions, in plain SQL
# "which communes of Gironde lose most vine frost days by 2050 under RCP4.5?"
top=$(dm_psql "select code || ' ' || name from datamart.vine_risk_commune
               where departement = '33' and scenario = 'rcp45' and horizon = 'H2' and statistic = 'median'
               order by spring_frost_anom desc limit 3")
[ "$(echo "$top" | wc -l)" = 3 ] || fail "Gironde frost question: '$top'"
# same through area_stat, and at +2.7 degC (TRACC 2050) by changing only the scenario/horizon
a=$(dm_psql "select code from datamart.area_stat where level = 'commune' and parent_code = '33' and indicator = 'spring_frost'
             and scenario = 'rcp45' and horizon = 'H2' and model = 'ensemble' and statistic = 'median' and quantity = 'anom'
             order by mean desc, code limit 3")
b=$(dm_psql "select code from datamart.vine_risk_commune where departement = '33' and scenario = 'rcp45' and horizon = 'H2'
             and statistic = 'median' order by spring_frost_anom desc, code limit 3")
[ "$a" = "$b" ] || fail "area_stat and vine_risk_commune disagree: $a / $b"
n=$(dm_psql "select count(*) from datamart.vine_risk_commune where departement = '33' and scenario = 'rcp85' and horizon = 'RWL27'
             and statistic = 'median' and spring_frost_anom is not null")
[ "$n" -gt 500 ] || fail "Gironde at RWL27: $n communes"
[ "$(dm_psql "select count(*) from datamart.flood_risk where scenario = 'rcp85' and horizon = 'H2' and statistic = 'median' and r20mm = 7.25")" = 8981 ] ||
    fail "flood_risk per cell"
# "heavy-rain exposure of these 1000 farm locations" (random points over Gironde, some at sea)
dm_psql "create table public.farms as select g as id, -1.3 + 1.3 * ((g * 7919) % 1000) / 1000.0 as lon,
         44.2 + 1.2 * ((g * 104729) % 997) / 997.0 as lat from generate_series(1, 1000) g" >/dev/null
dm_psql "select asset_id, indicator, cell_id, value, unit, coalesce(nmodels, -1)
         from datamart.exposure('farms', 'rcp45', 'H2') where indicator in ('r20mm', 'rx1day')" >"$TMPDIR/exposure"
awk -F'|' -v r20=$k_r20 -v rx=$k_rx '
    BEGIN { k["r20mm"] = r20; k["rx1day"] = rx }
    { want = 1000 * k[$2] + 20 + 50 + ($3 % 61) / 8
      if ($4 + 0 != want || ($2 == "r20mm" && $5 != "days") || ($2 == "rx1day" && $5 != "mm") || $6 != 2) { print; bad++ }
      assets[$1] = 1 }
    END { for (a in assets) n++; print n; exit bad > 0 }' "$TMPDIR/exposure" >"$TMPDIR/exposure.n" ||
    fail "exposure values: $(head -3 "$TMPDIR/exposure.n")"
on_land=$(dm_psql "select count(*) from public.farms f join datamart.grid_cell g on g.cell_id = datamart.cell_of(f.lon, f.lat)")
[ "$(tail -1 "$TMPDIR/exposure.n")" = "$on_land" ] || fail "exposure covers $(tail -1 "$TMPDIR/exposure.n") farms, $on_land on land"
[ "$on_land" -gt 600 ] || fail "too few farms on land ($on_land)"
# the table name cannot inject SQL; odd names work when quoted
out=$(psql "$DM_DSN" -XAtq -c "select count(*) from datamart.exposure('farms; drop table datamart.indicator', 'rcp45', 'H2')" 2>&1) &&
    fail "injection attempt accepted: $out"
echo "$out" | grep -Eq 'invalid name syntax|does not exist' || fail "injection message: $out"
[ "$(dm_psql "select to_regclass('datamart.indicator') is not null")" = t ] || fail "indicator table dropped"
dm_psql "create table public.\"Farms \"\"x\"\"\" as select * from public.farms limit 10" >/dev/null
[ "$(dm_psql "select count(distinct asset_id) > 0 from datamart.exposure('public.\"Farms \"\"x\"\"\"', 'rcp45', 'H2')")" = t ] ||
    fail "quoted table name"
dm_psql "create table public.nolonlat (id int, x float8)" >/dev/null
out=$(psql "$DM_DSN" -XAtq -c "select * from datamart.exposure('nolonlat', 'rcp45', 'H2')" 2>&1) && fail "missing columns accepted"
echo "$out" | grep -q 'has no column(s) lon, lat' || fail "missing column message: $out"

# ---- every SQL example of sql/README.md runs on this datamart (one session,
# with the farms of the README in a temporary table, as a reader would)
{
    echo '\set ON_ERROR_STOP on'
    echo 'CREATE TEMP TABLE farms AS SELECT id::text AS id, lon, lat FROM public.farms;'
    awk '/^```sql$/ { on = 1; next } /^```/ { on = 0 } on' "$SRC/sql/README.md"
} >"$TMPDIR/readme.sql"
[ "$(grep -c 'datamart\.' "$TMPDIR/readme.sql")" -gt 15 ] || fail "README SQL blocks not found"
t0=$(date +%s)
psql "$DM_DSN" -X -f "$TMPDIR/readme.sql" >"$TMPDIR/readme.out" 2>&1 || fail "sql/README.md example failed: $(tail -5 "$TMPDIR/readme.out")"
[ $(($(date +%s) - t0)) -lt 60 ] || fail "sql/README.md examples took more than a minute"
grep -q "change_days_median" "$TMPDIR/readme.out" || fail "README frost question printed nothing"

# ---- reload: identical data; unchanged files skipped; lineage
fingerprint() {
    dm_psql "select (select count(*) || ':' || sum(value::float8) || ':' || sum(value::float8 * cell_id) || ':' || sum(slice::bigint * cell_id) from datamart.stat_fact),
                    (select count(*) || ':' || sum(value::float8) || ':' || sum(value::float8 * cell_id) || ':' || sum(slice::bigint * cell_id) from datamart.annual_fact),
                    (select md5(string_agg(concat_ws(',', part, slice, ind, hor, mdl, stat, qty, nmodels), ';' order by part, slice)) from datamart.stat_slice),
                    (select md5(string_agg(concat_ws(',', a.part, a.slice, a.ind, a.year), ';' order by a.part, a.slice)) from datamart.annual_slice a)"
}
fp1=$(fingerprint)
[ "$("$CLIMRISK" load --check --annual "$F/annual" --stats "$F/stats")" = current ] || fail "load --check after a load"
"$CLIMRISK" load --annual "$F/annual" --stats "$F/stats" >"$TMPDIR/load2.out" || fail "second load"
[ "$(grep -c unchanged "$TMPDIR/load2.out")" = 4 ] || fail "unchanged files were not skipped: $(cat "$TMPDIR/load2.out")"
"$CLIMRISK" load --force --annual "$F/annual" --stats "$F/stats" >"$TMPDIR/load3.out" || fail "forced reload"
[ "$(grep -c ' loaded$' "$TMPDIR/load3.out")" = 4 ] || fail "forced reload did not reload: $(cat "$TMPDIR/load3.out")"
[ "$(fingerprint)" = "$fp1" ] || fail "reload changed the datamart: $fp1 / $(fingerprint)"
check_annual 0
[ "$(dm_psql "select string_agg(status, ',' order by run_id) from datamart.load_run")" = ok,ok,ok ] || fail "load_run statuses"
sha=$(sha256sum "$F/stats/rcp85.nc" | cut -c1-64)
[ "$(dm_psql "select count(*) from datamart.load_run r, jsonb_array_elements(r.inputs) i
              where r.run_id = (select max(run_id) from datamart.load_run) and i->>'sha256' = '$sha'
              and i->>'kind' = 'stats' and i->>'scenario' = 'rcp85'")" = 1 ] || fail "load_run inputs sha256"
[ "$(dm_psql "select (row_counts->>'annual_value')::bigint from datamart.load_run order by run_id desc limit 1")" = "$want_annual" ] ||
    fail "load_run row_counts"
[ "$(dm_psql "select climrisk_version like '$("$CLIMRISK" --version | awk '{ print $2 }')%' from datamart.load_run order by run_id desc limit 1")" = t ] ||
    fail "load_run climrisk_version"
[ "$(dm_psql "select count(*) from datamart.loaded where sha256 = '$sha' and kind = 'stats' and scenario = 'rcp85'")" = 1 ] ||
    fail "datamart.loaded"

# ---- a file replaces only its own (scenario, model)
dm_fixture annual "$F/annual/${M1}_rcp45.nc" --experiment rcp45 --model $M1 --years 2030-2034 --indicators $IND --variant 6
[ "$("$CLIMRISK" load --check --annual "$F/annual" --no-stats)" = stale ] || fail "load --check after a change"
"$CLIMRISK" load --annual "$F/annual" --no-stats >"$TMPDIR/load4.out" || fail "load of a changed file"
[ "$(grep -c ' loaded$' "$TMPDIR/load4.out")" = 1 ] || fail "only the changed file should load: $(cat "$TMPDIR/load4.out")"
check_annual 6
[ "$have45" = "$(dm_psql "select count(*) from datamart.cell_stat where scenario = 'rcp45'")" ] || fail "statistics touched"

# ---- one indicator changed in a file: only its maps are replaced (patch),
#      in place; the result equals a whole reload of the same files
content() { # what a user sees, by codes (slice numbers differ after a patch)
    dm_psql "select count(*), sum(hashtext(concat_ws(',', indicator, scenario, model, year, cell_id, value))::bigint)
             from datamart.annual_value"
    dm_psql "select count(*), sum(hashtext(concat_ws(',', indicator, scenario, horizon, model, statistic, quantity,
                    cell_id, value, nmodels))::bigint) from datamart.cell_stat"
    dm_psql "select string_agg(concat_ws(',', part, nrows, nslices), ';' order by part) from datamart.stat_part"
    dm_psql "select string_agg(concat_ws(',', part, nrows, nslices), ';' order by part) from datamart.annual_part"
}
others_before=$(dm_psql "select md5(string_agg(concat_ws(',', indicator, year, cell_id, value), ';'
                         order by indicator, year, cell_id)) from datamart.annual_value
                         where model = '$M2' and indicator <> 'r20mm'")
dm_fixture annual "$F/annual/${M2}_rcp45.nc" --experiment rcp4.5 --model $M2 --years 2030-2034 --indicators $IND \
    --variant 1 --constant r20mm=3.5
dm_fixture stats "$F/stats/rcp85.nc" --experiment rcp85 --models $M1,$M2 --horizons REF,H2,RWL20,RWL27,RWL40 \
    --indicators $IND --constant r20mm=8.5
"$CLIMRISK" load --annual "$F/annual" --stats "$F/stats" >"$TMPDIR/load5.out" || fail "load of a one-indicator change"
cat "$TMPDIR/load5.out"
grep -q "rcp45 .*$M2 .*patched (1 of 4 indicators)" "$TMPDIR/load5.out" || fail "annual file not patched"
grep -q "stats .*rcp85 .*patched (1 of 4 indicators)" "$TMPDIR/load5.out" || fail "statistics file not patched"
[ "$(grep -c unchanged "$TMPDIR/load5.out")" = 2 ] || fail "unchanged files were not skipped"
[ "$(dm_psql "select count(*), min(value), max(value) from datamart.annual_value where model = '$M2' and indicator = 'r20mm'")" = \
  "$((8981 * 5))|3.5|3.5" ] || fail "patched annual maps: $(dm_psql "select count(*), min(value), max(value) from datamart.annual_value where model = '$M2' and indicator = 'r20mm'")"
[ "$(dm_psql "select md5(string_agg(concat_ws(',', indicator, year, cell_id, value), ';'
               order by indicator, year, cell_id)) from datamart.annual_value
               where model = '$M2' and indicator <> 'r20mm'")" = "$others_before" ] || fail "a patch changed other indicators"
[ "$(dm_psql "select count(*) from datamart.cell_stat where scenario = 'rcp85' and indicator = 'r20mm' and value <> 8.5
               and statistic <> 'agreement'")" = 0 ] || fail "patched statistics maps"
[ "$(dm_psql "select (u->'patched'->>'indicators_replaced')::int from datamart.load_run r, jsonb_array_elements(r.row_counts->'units') u
              where r.run_id = (select max(run_id) from datamart.load_run) and u->>'kind' = 'stats'
              and u->>'scenario' = 'rcp85'")" = 1 ] ||
    fail "load_run row_counts lacks the patch"
[ "$("$CLIMRISK" load --check --annual "$F/annual" --stats "$F/stats")" = current ] || fail "load --check after a patch"
patched=$(content)
"$CLIMRISK" load --force --annual "$F/annual" --stats "$F/stats" >"$TMPDIR/load6.out" || fail "forced reload after a patch"
[ "$(content)" = "$patched" ] || fail "a patched datamart differs from a whole reload of the same files"
# and back (a patch of a partition whole-loaded, then of a patched one)
dm_fixture annual "$F/annual/${M2}_rcp45.nc" --experiment rcp4.5 --model $M2 --years 2030-2034 --indicators $IND --variant 1
"$CLIMRISK" load --annual "$F/annual" --no-stats >"$TMPDIR/load7.out" || fail "load back"
grep -q "patched (1 of 4 indicators)" "$TMPDIR/load7.out" || fail "restored annual file not patched"
dm_fixture annual "$F/annual/${M2}_rcp45.nc" --experiment rcp4.5 --model $M2 --years 2030-2034 --indicators $IND \
    --variant 1 --constant r20mm=3.5
"$CLIMRISK" load --annual "$F/annual" --no-stats >/dev/null || fail "load of a change again"
dm_fixture annual "$F/annual/${M2}_rcp45.nc" --experiment rcp4.5 --model $M2 --years 2030-2034 --indicators $IND --variant 1
"$CLIMRISK" load --annual "$F/annual" --no-stats >"$TMPDIR/load8.out" || fail "load back again"
grep -q "patched (1 of 4 indicators)" "$TMPDIR/load8.out" || fail "twice-patched annual file not patched"
check_annual 6

# ---- bad inputs: clear errors, exit codes, nothing changed
echo "not netcdf" >"$TMPDIR/bad.nc"
out=$("$CLIMRISK" load --annual "$TMPDIR/bad.nc" 2>&1); rc=$?
[ $rc -eq 2 ] || fail "bad file: exit $rc ($out)"
echo "$out" | grep -q "bad.nc" || fail "bad file message: $out"
out=$("$CLIMRISK" load --annual "$F/stats/rcp45.nc" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "statistics file but was given with --annual" || fail "kind mismatch: $rc $out"
out=$("$CLIMRISK" load --annual "$TMPDIR/nothing-here" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "missing input: exit $rc"
check_annual 6
echo "datamart load ok"
