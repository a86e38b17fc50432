# datamart_e2e.sh — real pipeline outputs into the datamart: synthetic
# DRIAS-format inputs, `climrisk compute` writing the annual NetCDF file and,
# separately, its CSV variant (indicator,year,cell,value, docs/formats.md);
# `climrisk load` of the NetCDF file must give exactly the CSV's rows and
# values in datamart.annual_value (float32 vs the CSV's 7 significant
# digits), and the value at a point must be the CSV value of the cell under
# it. (Horizon statistics join this test once `climrisk aggregate` exists.)
. "$SRC/tests/integration/lib/dm_common.sh"
"$CLIMRISK" compute --help >/dev/null 2>&1 || { echo "climrisk compute is not built in this tree"; exit 77; }
dm_setup e2e

W="$TMPDIR/run"
M=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
"$CLIMRISK" -q synth --out "$W/data" --models $M --scenarios rcp45 --years 2031-2032 --jobs 1 ||
    fail "synth"
"$CLIMRISK" -q compute --dir "$W/data" --out "$W/annual" || fail "compute (NetCDF)"
"$CLIMRISK" -q compute --dir "$W/data" --out "$W/reference.csv" || fail "compute (CSV)"
"$CLIMRISK" load --annual "$W/annual" >"$TMPDIR/load.out" || fail "load"
cat "$TMPDIR/load.out"

dm_psql "create table public.ref (indicator text, year int, cell int, value double precision)" >/dev/null
psql "$DM_DSN" -XAtq -c "\\copy public.ref from '$W/reference.csv' csv header" >/dev/null || fail "copy the CSV"
n_ref=$(dm_psql "select count(*) from public.ref")
[ "$n_ref" -gt 300000 ] || fail "reference CSV has only $n_ref rows"
[ "$(dm_psql "select count(*) from datamart.annual_value where scenario = 'rcp45' and model = '$M'")" = "$n_ref" ] ||
    fail "loaded rows differ from the CSV's $n_ref"
# every CSV row has its loaded value (same indicator, year, cell)
bad=$(dm_psql "select count(*) from public.ref r left join datamart.annual_value a
               on a.indicator = r.indicator and a.year = r.year and a.cell_id = r.cell
               and a.scenario = 'rcp45' and a.model = '$M'
               where a.value is null or abs(a.value - r.value) > 1e-6 * greatest(1, abs(r.value))")
[ "$bad" = 0 ] || fail "$bad loaded values differ from compute's CSV"
[ "$(dm_psql "select count(distinct indicator) from datamart.annual_value")" = \
  "$(dm_psql "select count(distinct indicator) from public.ref")" ] || fail "indicator sets differ"
# the value under a point (Boigneville, DRIAS point 13510) is that cell's CSV value
got=$(dm_psql "select a.value from datamart.annual_value a where a.indicator = 'tg_mean' and a.year = 2031
               and a.scenario = 'rcp45' and a.cell_id = datamart.cell_of(2.39043578, 48.31996732)")
want=$(awk -F, '$1 == "tg_mean" && $2 == 2031 && $3 == 13510 { print $4 }' "$W/reference.csv")
[ -n "$want" ] && awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-5 * (b < 0 ? -b : b) + 1e-6) }' ||
    fail "tg_mean 2031 at Boigneville: loaded '$got', compute wrote '$want'"
# lineage names the file compute wrote, with its sha256 and writer version
sha=$(sha256sum "$W/annual/${M}_rcp45.nc" | cut -c1-64)
[ "$(dm_psql "select count(*) from datamart.load_run r, jsonb_array_elements(r.inputs) i
              where r.status = 'ok' and i->>'sha256' = '$sha' and i->>'model' = '$M'")" = 1 ] ||
    fail "load_run does not record the compute output"
echo "datamart e2e ok ($n_ref rows from climrisk compute)"
