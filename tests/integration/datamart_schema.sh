# datamart_schema.sh — `climrisk db migrate`: the schema applies twice
# without error (and each migration file replays cleanly by hand), an edited
# applied migration is refused, and the reference data match independent
# sources: the DRIAS grid file, PostGIS geometry, the INSEE code hierarchy,
# the scenarios/ declarations.
. "$SRC/tests/integration/lib/dm_common.sh"
dm_setup schema

# 1. migrate again: nothing to apply, nothing rebuilt
out=$("$CLIMRISK" db migrate 2>&1) || fail "second migrate: $out"
echo "$out" | grep -q "0 applied now" || fail "second migrate applied something: $out"
[ "$(dm_psql "select count(*) from datamart.schema_migrations")" = "$(ls "$SRC"/sql/migrations/*.sql | wc -l)" ] ||
    fail "schema_migrations does not list every migration"
# every file replays by hand on a migrated database (idempotent SQL)
for f in "$SRC"/sql/migrations/*.sql; do
    psql "$DM_DSN" -XAtq -v ON_ERROR_STOP=1 -f "$f" >/dev/null 2>&1 || fail "replaying $(basename "$f")"
done
"$CLIMRISK" -q db migrate >/dev/null || fail "migrate after replay"

# 2. an applied migration that changed is refused, naming the file
alt="$TMPDIR/datadir"
mkdir -p "$alt/sql"
cp -r "$SRC/scenarios" "$alt/"
cp -r "$SRC/sql/migrations" "$SRC/sql/data" "$alt/sql/"
echo "-- edited" >>"$alt/sql/migrations/002_facts.sql"
out=$(CLIMRISK_DATADIR="$alt" "$CLIMRISK" db migrate 2>&1); rc=$?
[ $rc -eq 1 ] || fail "edited migration: exit $rc, want 1 ($out)"
echo "$out" | grep -q "002_facts.sql was changed after it was applied" || fail "message: $out"
# a new migration is applied once and recorded
cp "$SRC/sql/migrations/002_facts.sql" "$alt/sql/migrations/002_facts.sql"
printf 'CREATE TABLE IF NOT EXISTS datamart.t_extra (x int);\n' >"$alt/sql/migrations/900_test_extra.sql"
CLIMRISK_DATADIR="$alt" "$CLIMRISK" -q db migrate >/dev/null || fail "new migration"
[ "$(dm_psql "select name from datamart.schema_migrations where version = 900")" = 900_test_extra.sql ] ||
    fail "migration 900 not recorded"
# ... and this climrisk then refuses a database migrated further than it knows
out=$("$CLIMRISK" db migrate 2>&1) && fail "older migration set accepted a newer database"
echo "$out" | grep -q "newer version" || fail "message: $out"
dm_psql "drop table datamart.t_extra; delete from datamart.schema_migrations where version = 900" >/dev/null

# 3. grid: the 8981 DRIAS land cells, ids = j*143+i as in the DRIAS file
[ "$(dm_psql "select count(*) from datamart.grid_cell")" = 8981 ] || fail "grid cell count"
want=$(dm_land_ids | sort -n | md5sum)
have=$(dm_psql "select cell_id from datamart.grid_cell order by cell_id" | md5sum)
[ "$want" = "$have" ] || fail "grid cell ids differ from the DRIAS grid file"
[ "$(dm_psql "select count(*) from datamart.grid_cell where cell_id <> j * 143 + i")" = 0 ] || fail "cell_id <> j*143+i"
# Centroids: PostGIS's reprojection of the Lambert II centre equals the
# lon/lat DRIAS publishes for every point (to 1e-6 degree, ~0.1 m).
tail -n +2 "$SRC/ingest/data/grilleSafran_utile_drias2021.csv" | tr -d ' ' |
    awk -F';' '{ printf "%s\t%s\t%s\t%s\t%s\n", $1, $8, $9, $6, $7 }' >"$TMPDIR/grid.tsv"
dm_psql "create table public.t_grid (id int, lon float8, lat float8, x93 float8, y93 float8)" >/dev/null
psql "$DM_DSN" -XAtq -c "\\copy public.t_grid from '$TMPDIR/grid.tsv'" >/dev/null || fail "copy grid file"
bad=$(dm_psql "select count(*) from public.t_grid t join datamart.grid_cell g on g.cell_id = t.id
               where abs(ST_X(g.centroid) - t.lon) > 1e-6 or abs(ST_Y(g.centroid) - t.lat) > 1e-6")
[ "$bad" = 0 ] || fail "$bad centroids differ from the DRIAS lon/lat"
# Lambert-93 polygons: their centroid is the DRIAS Lambert-93 position to a
# few metres (PROJ picks another NTF->RGF93 operation for 27572->2154 than
# DRIAS did: 1.3 m median, 4.9 m at most; DRIAS's own L93 is its lon/lat
# projected). An 8 km cell placed by hand with a wrong origin would be off
# by kilometres.
bad=$(dm_psql "select count(*) from public.t_grid t join datamart.grid_cell g on g.cell_id = t.id
               where ST_Distance(ST_Centroid(g.geom_l93), ST_SetSRID(ST_MakePoint(t.x93, t.y93), 2154)) > 10")
[ "$bad" = 0 ] || fail "$bad Lambert-93 cells are off the DRIAS Lambert-93 centres"
dm_psql "drop table public.t_grid" >/dev/null
# the native square is 8 km x 8 km; polygons are valid, indexed, in the right SRIDs
[ "$(dm_psql "select count(*) from datamart.grid_cell where ST_Area(geom_l2e) <> 64000000")" = 0 ] || fail "cell area"
[ "$(dm_psql "select count(*) from datamart.grid_cell where not ST_IsValid(geom_l93) or ST_SRID(geom_3857) <> 3857 or ST_SRID(centroid) <> 4326")" = 0 ] ||
    fail "invalid or wrong-SRID geometry"
[ "$(dm_psql "select count(*) from pg_indexes where schemaname = 'datamart' and tablename = 'grid_cell' and indexdef like '%USING gist%'")" = 3 ] ||
    fail "GiST indexes on grid_cell"
# Boigneville (Essonne) is DRIAS point 13510 (../shared/data/france_daily_csv)
[ "$(dm_psql "select datamart.cell_of(2.39043578, 48.31996732)")" = 13510 ] || fail "cell_of Boigneville"
[ "$(dm_psql "select count(*) from datamart.grid_cell where ST_Contains(geom_3857, ST_Transform(ST_SetSRID(ST_MakePoint(2.39043578, 48.31996732), 4326), 3857)) and cell_id = 13510")" = 1 ] ||
    fail "3857 polygon of 13510 does not contain its centre"
[ "$(dm_psql "select datamart.cell_of(-30, 10) is null")" = t ] || fail "cell_of off the grid"

# 4. admin areas: metropolitan France only, INSEE hierarchy
[ "$(dm_psql "select count(*) from datamart.admin_area where level = 'region'")" = 13 ] || fail "régions"
[ "$(dm_psql "select count(*) from datamart.admin_area where level = 'departement'")" = 96 ] || fail "départements"
# 35357 communes in the file minus the 129 of the DROM (971-976)
[ "$(dm_psql "select count(*) from datamart.admin_area where level = 'commune'")" = 35228 ] || fail "communes"
[ "$(dm_psql "select count(*) from datamart.admin_area where code like '97%'")" = 0 ] || fail "DROM areas loaded"
[ "$(dm_psql "select d.code || ' ' || d.name || ' ' || d.parent_code || ' ' || r.name
              from datamart.admin_area c
              join datamart.admin_area d on d.level = 'departement' and d.code = c.parent_code
              join datamart.admin_area r on r.level = 'region' and r.code = d.parent_code
              where c.level = 'commune' and c.code = '33063'")" = "33 Gironde 75 Nouvelle-Aquitaine" ] ||
    fail "33063 Bordeaux -> 33 Gironde -> 75"
[ "$(dm_psql "select parent_code from datamart.admin_area where level = 'commune' and code = '2A004'")" = 2A ] ||
    fail "Corsican commune 2A004 -> 2A"
[ "$(dm_psql "select parent_code from datamart.admin_area where level = 'departement' and code = '2B'")" = 94 ] ||
    fail "2B -> région 94 Corse"
[ "$(dm_psql "select count(*) from datamart.admin_area where level = 'departement' and parent_code is null")" = 0 ] ||
    fail "départements without région"
# every commune's INSEE prefix is a département that overlaps it
bad=$(dm_psql "select count(*) from datamart.admin_area c join datamart.admin_area d
               on d.level = 'departement' and d.code = c.parent_code
               where c.level = 'commune' and not ST_Intersects(d.geom_l93, ST_PointOnSurface(c.geom_l93))")
[ "$bad" -le 10 ] || fail "$bad communes lie outside their INSEE département"
# weights: a département's cell weights add up to its area (the grid covers
# metropolitan France with a margin): Gironde within 0.5 %
dm_psql "select sum(w.weight) / 1e6 / a.area_km2 from datamart.area_cell w join datamart.admin_area a on a.id = w.area_id
         where a.level = 'departement' and a.code = '33' group by a.area_km2" |
    awk '{ exit !($1 > 0.995 && $1 < 1.005) }' || fail "Gironde weights do not add up to its area"

# 5. catalogue from scenarios/ and the indicator catalogue
[ "$(dm_psql "select count(*) from datamart.indicator")" = "$(grep -c '^    {"[a-z0-9_]*",' "$SRC/indicators/catalog.c")" ] ||
    fail "indicator count differs from indicators/catalog.c"
[ "$(dm_psql "select string_agg(code || ':' || type || ':' || coalesce(first_year::text, '-'), ' ' order by sort_order) from datamart.horizon")" = \
  "REF:period:1976 H1:period:2021 H2:period:2041 H3:period:2071 RWL20:warming_level:- RWL27:warming_level:- RWL40:warming_level:-" ] ||
    fail "horizons: $(dm_psql "select string_agg(code, ' ') from datamart.horizon")"
[ "$(dm_psql "select france_warming || ' ' || tracc_year from datamart.horizon where code = 'RWL27'")" = "2.7 2050" ] || fail "RWL27"
[ "$(dm_psql "select string_agg(code, ',' order by sort_order) from datamart.scenario")" = historical,rcp26,rcp45,rcp85 ] || fail "scenarios"
[ "$(dm_psql "select string_agg(code, ',' order by sort_order) from datamart.statistic")" = value,median,p05,p95,min,max,agreement ] || fail "statistics"
[ "$(dm_psql "select count(*) from datamart.ensemble_member m join datamart.ensemble e on e.id = m.ensemble_id where e.code = 'DRIAS-2020'")" = 12 ] ||
    fail "DRIAS-2020 has 12 pairs"
[ "$(dm_psql "select count(*) from datamart.ensemble_member m join datamart.ensemble e on e.id = m.ensemble_id where e.code = 'EXPLORE2-TRACC'")" = 17 ] ||
    fail "EXPLORE2-TRACC has 17 pairs"
[ "$(dm_psql "select gcm || ' ' || rcm from datamart.model where model = 'CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63'")" = "CNRM-CERFACS-CNRM-CM5 CNRM-ALADIN63" ] ||
    fail "model gcm/rcm"
# the generated per-category views exist with a column per indicator
for cat in base vine grass flood snow; do
    [ "$(dm_psql "select count(*) from information_schema.views where table_schema = 'datamart' and table_name in ('${cat}_risk', '${cat}_risk_commune')")" = 2 ] ||
        fail "views of category $cat"
done
[ "$(dm_psql "select count(*) from information_schema.columns where table_schema = 'datamart' and table_name = 'vine_risk' and column_name in ('spring_frost', 'spring_frost_anom', 'huglin')")" = 3 ] ||
    fail "vine_risk columns"
echo "datamart schema ok"
