# serve_datamart.sh — the datamart endpoints of `climrisk serve` against a
# real PostGIS loaded with fixture statistics of known values
# (tests/unit/support/nc_fixture.h: s = 1000 k + 100 q + 10 h + o + (c mod
# 61) / 8, recomputed here with awk): popups at DRIAS cell centres, commune
# values against the datamart's own area_stat, legends, the list of loaded
# maps, live MVT tiles decoded by GDAL's MVT driver (values per cell, tile
# extent), gzip and ETag; injection strings through every parameter that
# reaches SQL; a datamart that cannot be reached gives 503, not a crash.
. "$SRC/tests/integration/lib/dm_common.sh"
. "$SRC/tests/integration/lib/serve_common.sh"
need_web # the second server below serves web/dist
dm_setup serve

F="$TMPDIR/fx"
mkdir -p "$F/stats"
M1=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
M2=MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009
dm_fixture stats "$F/stats/rcp45.nc" --experiment rcp45 --models $M1,$M2 --horizons REF,H1,H2,H3 --indicators tg_mean,spring_frost
"$CLIMRISK" -q load --stats "$F/stats" --no-annual >/dev/null || fail "load"
k_tg=$(dm_indicator_index tg_mean)

rc=0; "$CLIMRISK" serve --bogus-option 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "an unknown option must exit 1 (got $rc)"
rc=0; "$CLIMRISK" serve --port 99999 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "a bad port must exit 1 (got $rc)"
serve_start --dsn "$DM_DSN" --threads 2 --db-connections 3
U=$SERVE_URL
Q="indicator=tg_mean&scenario=rcp45&horizon=H2"
[ "$(http_code "$U/api/health")" = 200 ] && grep -q '"datamart":true' "$TMPDIR/body" || fail "health: $(cat "$TMPDIR/body")"

# ---- popups at the centres of 20 land cells (DRIAS lon/lat); H2 is horizon 2 of the file
tail -n +2 "$SRC/ingest/data/grilleSafran_utile_drias2021.csv" | tr -d ' ' |
    awk -F';' 'NR % 449 == 7 { print $1, $8, $9 }' | head -20 >"$TMPDIR/points"
checked=0
while read -r c lon lat; do
    [ "$(http_code "$U/api/info?lon=$lon&lat=$lat&$Q")" = 200 ] || fail "info at cell $c: $(cat "$TMPDIR/body")"
    if [ $(((c + k_tg + 2) % 53)) = 0 ]; then # a hole of the fixture
        python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["cell"] is None' "$TMPDIR/body" || fail "hole $c"
        continue
    fi
    want=$(awk -v c=$c -v k=$k_tg 'BEGIN { b = 1000 * k + 20 + (c % 61) / 8
        printf "%d %.10g %.10g %.10g %.10g %.10g 2", c, b + 50, b + 51, b + 52, b + 53, b + 54 }')
    got=$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); x = d["cell"]
print("%d %.10g %.10g %.10g %.10g %.10g %d" % (x["id"], x["median"], x["p05"], x["p95"], x["min"], x["max"], x["nmodels"]))
assert d["unit"] == "degC"' "$TMPDIR/body") || fail "info JSON at $c: $(cat "$TMPDIR/body")"
    [ "$got" = "$want" ] || fail "cell $c: got '$got', want '$want'"
    # the commune and département values are the datamart's area_stat
    want=$(dm_psql "select string_agg(s.level || ' ' || s.code || ' ' || s.mean, ' ' order by s.level)
        from datamart.admin_area a join datamart.area_stat s on s.level = a.level and s.code = a.code
        where a.level in ('commune', 'departement')
          and ST_Intersects(a.geom_3857, ST_Transform(ST_SetSRID(ST_MakePoint($lon, $lat), 4326), 3857))
          and s.indicator = 'tg_mean' and s.scenario = 'rcp45' and s.horizon = 'H2' and s.model = 'ensemble'
          and s.statistic = 'median' and s.quantity = 'mean'")
    got=$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1]))
print(" ".join("%s %s %s" % (l, d[l]["code"], d[l]["median"]) for l in ("commune", "departement") if d[l]))' "$TMPDIR/body")
    awk -v a="$got" -v b="$want" 'BEGIN { n = split(a, x, " "); m = split(b, y, " "); if (n != m || n == 0) exit 1
        for (i = 1; i <= n; i++) if (i % 3 == 0 ? (x[i] - y[i])^2 > 1e-8 : x[i] != y[i]) exit 1 }' ||
        fail "areas at cell $c: got '$got', want '$want'"
    checked=$((checked + 1))
done <"$TMPDIR/points"
[ $checked -ge 15 ] || fail "only $checked popups checked"
echo "$checked popups equal the fixture values and area_stat"
[ "$(http_code "$U/api/info?lon=-30&lat=45&$Q")" = 200 ] &&
    python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["cell"] is None and d["commune"] is None' "$TMPDIR/body" ||
    fail "info at sea"

# ---- legend: min and max over the land cells from the formula
want=$(tail -n +2 "$SRC/ingest/data/grilleSafran_utile_drias2021.csv" | cut -d';' -f1 | tr -d ' ' |
    awk -v k=$k_tg '($1 + k + 2) % 53 != 0 { v = 1000 * k + 20 + 50 + ($1 % 61) / 8; if (n++ == 0 || v < lo) lo = v; if (n == 1 || v > hi) hi = v }
        END { printf "%.10g %.10g %d", lo, hi, n }')
[ "$(http_code "$U/api/legend?$Q")" = 200 ] || fail "legend"
got=$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); b = d["breaks"]
assert all(x < y for x, y in zip(b, b[1:])) and len(d["colors"]) == len(b) - 1 and d["unit"] == "degC", d
assert b[0] <= d["min"] and b[-1] >= d["max"], d
print("%.10g %.10g %d" % (d["min"], d["max"], d["cells"]))' "$TMPDIR/body") || fail "legend content: $(cat "$TMPDIR/body")"
[ "$got" = "$want" ] || fail "legend: got '$got', want '$want'"
[ "$(http_code "$U/api/legend?$Q&quantity=anom")" = 200 ] && grep -q '"type":"diverging"' "$TMPDIR/body" || fail "anomaly legend"
[ "$(http_code "$U/api/legend?indicator=tg_mean&scenario=rcp26&horizon=H2")" = 404 ] || fail "legend of a map not loaded"
[ "$(http_code "$U/api/available")" = 200 ] || fail "available"
python3 -c 'import json,sys; m = json.load(open(sys.argv[1]))["maps"]
assert ["tg_mean", "rcp45", "H2", "mean"] in m and ["spring_frost", "rcp45", "REF", "anom"] in m, m[:5]
assert not any(x[1] != "rcp45" for x in m) and len(m) == 4 * 2 + 4 * 3, len(m)  # tg_mean: mean, anom; spring_frost: + ratio' "$TMPDIR/body" || fail "available maps"

# ---- live tiles decoded by GDAL: every feature's value is its cell's fixture value
for zxy in 8/129/90 8/131/88 6/32/22 5/16/11; do
    IFS=/ read -r z x y <<<"$zxy"
    [ "$(http_code "$U/live/cells/$z/$x/$y.mvt?$Q")" = 200 ] || fail "live tile $zxy"
    cp "$TMPDIR/body" "$TMPDIR/t.mvt"
    n=$(ogrinfo -ro -al -q -geom=NO -oo X=$x -oo Y=$y -oo Z=$z "$TMPDIR/t.mvt" |
        awk -v k=$k_tg '/cell_id \(/ { c = $NF } /value \(/ { v = $NF; want = 1000 * k + 20 + 50 + (c % 61) / 8
             if (v + 0 != want) { print "cell " c " value " v " want " want > "/dev/stderr"; bad++ } n++ }
             END { if (bad) exit 1; print n }') || fail "tile $zxy values"
    # at least every cell reaching a tile unit inside the tile (ST_AsMVTGeom drops
    # slivers), at most those inside the tile's 64-unit buffer
    range=$(dm_psql "select count(*) filter (where ST_Intersects(g.geom_3857, ST_Expand(ST_TileEnvelope($z, $x, $y),
                        -40075016.68 / 2 ^ $z / 4096))) || ' ' || count(*)
        from datamart.grid_cell g join datamart.cell_stat c on c.cell_id = g.cell_id
        where ST_Intersects(g.geom_3857, ST_TileEnvelope($z, $x, $y, margin => 64.0 / 4096)) and c.indicator = 'tg_mean'
          and c.scenario = 'rcp45' and c.horizon = 'H2' and c.model = 'ensemble' and c.statistic = 'median' and c.quantity = 'mean'")
    [ "$n" -ge "${range% *}" ] && [ "$n" -le "${range#* }" ] || fail "tile $zxy has $n features, want $range (inside, with buffer)"
    ext=$(ogrinfo -ro -al -so -oo X=$x -oo Y=$y -oo Z=$z "$TMPDIR/t.mvt" | grep '^Extent')
    env=$(dm_psql "select ST_XMin(e) - 1 || ' ' || ST_YMin(e) - 1 || ' ' || ST_XMax(e) + 1 || ' ' || ST_YMax(e) + 1
                   from ST_TileEnvelope($z, $x, $y, margin => 64.0 / 4096) e")
    python3 -c 'import re,sys; e = [float(v) for v in re.findall(r"-?\d+\.\d+", sys.argv[1])]; b = [float(v) for v in sys.argv[2].split()]
assert b[0] <= e[0] and b[1] <= e[1] and e[2] <= b[2] and e[3] <= b[3], (e, b)' "$ext" "$env" || fail "tile $zxy geometry outside the tile: $ext"
    echo "live tile $zxy: $n cells, values and extent ok"
done
[ "$(http_code "$U/live/communes/8/129/90.mvt?$Q")" = 200 ] || fail "communes tile"
cp "$TMPDIR/body" "$TMPDIR/c.mvt"
ogrinfo -ro -al -q -geom=NO -oo X=129 -oo Y=90 -oo Z=8 "$TMPDIR/c.mvt" |
    awk '/code \(/ { c = $NF } /value \(/ { print c, $NF }' | sort | head -40 >"$TMPDIR/communes"
[ "$(wc -l <"$TMPDIR/communes")" -ge 20 ] || fail "communes in the tile: $(wc -l <"$TMPDIR/communes")"
dm_psql "select code || ' ' || mean from datamart.area_stat where level = 'commune' and indicator = 'tg_mean' and scenario = 'rcp45'
         and horizon = 'H2' and model = 'ensemble' and statistic = 'median' and quantity = 'mean'
         and code in ($(awk '{ printf "%s'\''%s'\''", (NR > 1 ? "," : ""), $1 }' "$TMPDIR/communes"))" | sort >"$TMPDIR/communes.want"
[ "$(wc -l <"$TMPDIR/communes.want")" = "$(wc -l <"$TMPDIR/communes")" ] || fail "area_stat has $(wc -l <"$TMPDIR/communes.want") of the tile's communes"
awk 'NR == FNR { w[$1] = $2; next } { if (!($1 in w) || ($2 - w[$1])^2 > 1e-8) { print "commune " $1 ": " $2 " vs " w[$1]; bad++ } }
     END { exit bad > 0 }' "$TMPDIR/communes.want" "$TMPDIR/communes" || fail "commune tile values differ from area_stat"
[ "$(http_code "$U/live/communes/5/16/11.mvt?$Q")" = 404 ] || fail "communes below zoom 7"
[ "$(http_code "$U/live/departements/5/16/11.mvt?$Q")" = 200 ] || fail "departements tile"

# ---- gzip and validators on datamart answers
curl -s -D "$TMPDIR/h" -H 'Accept-Encoding: gzip' -o "$TMPDIR/t.gz" "$U/live/cells/8/129/90.mvt?$Q"
curl -s -o "$TMPDIR/t.id" "$U/live/cells/8/129/90.mvt?$Q"
grep -qi '^Content-Encoding: gzip' "$TMPDIR/h" && gunzip -c "$TMPDIR/t.gz" | cmp -s - "$TMPDIR/t.id" || fail "gzip'd live tile"
etag=$(tr -d '\r' <"$TMPDIR/h" | awk -F': ' 'tolower($1) == "etag" { print $2 }')
[ -n "$etag" ] && [ "$(http_code "$U/live/cells/8/129/90.mvt?$Q" -H "If-None-Match: $etag")" = 304 ] || fail "ETag on live tiles"
grep -qi '^Cache-Control: public, max-age=' "$TMPDIR/h" || fail "Cache-Control on live tiles"
[ "$(http_code "$U/live/cells.json?$Q")" = 200 ] && grep -q "\"$U/live/cells/{z}/{x}/{y}.mvt?indicator=tg_mean" "$TMPDIR/body" ||
    fail "live TileJSON: $(cat "$TMPDIR/body")"

# ---- injection strings through every parameter that reaches SQL: 400, and nothing changed
before=$(dm_psql "select count(*) from datamart.indicator")
for inj in "'" "tg_mean'--" "tg_mean';DROP TABLE datamart.indicator;--" "x' OR '1'='1" "\"; select pg_sleep(5);--" \
           "tg_mean%00" "\$\$" "tg_mean/**/OR/**/1=1" "%27%20UNION%20SELECT%201--" "rcp45)" "H2;"; do
    e=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="%"))' "$inj")
    for p in indicator scenario horizon quantity statistic; do
        q=$(echo "indicator=tg_mean&scenario=rcp45&horizon=H2&quantity=mean&statistic=median" | sed "s/$p=[^&]*/$p=$e/")
        for ep in "api/info?lon=2.35&lat=48.85&" "api/legend?" "live/cells/8/129/90.mvt?" "live/cells.json?"; do
            code=$(http_code "$U/$ep$q")
            [ "$code" = 400 ] || fail "$ep $p='$inj' gave $code"
        done
    done
    code=$(http_code "$U/api/info?lon=$e&lat=48.85&$Q"); [ "$code" = 400 ] || fail "lon='$inj' gave $code"
done
[ "$(dm_psql "select count(*) from datamart.indicator")" = "$before" ] || fail "the indicator table changed"
serve_stop

# ---- a datamart that cannot be reached: 503 for its endpoints, files still served
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
need_web # (the web tests build it; this test may run first)
serve_start --dsn "host=127.0.0.1 port=$port dbname=nothing user=nobody connect_timeout=2" --web "$SRC/web/dist"
U=$SERVE_URL
[ "$(http_code "$U/api/info?lon=2.35&lat=48.85&$Q")" = 503 ] || fail "unreachable datamart: want 503"
[ "$(http_code "$U/live/cells/8/129/90.mvt?$Q")" = 503 ] || fail "unreachable datamart live tile: want 503"
[ "$(http_code "$U/api/health")" = 200 ] && grep -q '"datamart":false' "$TMPDIR/body" || fail "health with the datamart down"
[ "$(http_code "$U/api/catalog")" = 200 ] || fail "catalogue with the datamart down"
grep -q 'cannot connect to the datamart' "$SERVE_LOG" || fail "no warning about the datamart"
grep -q "password" "$SERVE_LOG" && fail "the log mentions a password"
serve_stop
echo "serve datamart ok"
