# datamart_roles.sh — `climrisk db grant`: datamart_reader reads every
# relation of the datamart and runs its query functions, and is refused
# INSERT/UPDATE/DELETE/TRUNCATE, DDL, the function that writes, and the
# data of other schemas; datamart_loader members can migrate and load
# without being superusers; grant is idempotent.
. "$SRC/tests/integration/lib/dm_common.sh"
dm_setup roles
R="dm_reader_$$" L="dm_loader_$$"
DM_ROLES="$R $L"
dm_psql "create role \"$R\" login; create role \"$L\" login" >/dev/null

out=$("$CLIMRISK" db grant --reader nobody_$$ 2>&1) && fail "grant to a missing login accepted"
echo "$out" | grep -q "does not exist" || fail "missing login message: $out"
"$CLIMRISK" -q db grant --reader "$R" --loader "$L" || fail "grant"
"$CLIMRISK" -q db grant --reader "$R" --loader "$L" || fail "grant again (idempotent)"

# data to read, loaded by the loader login (not a superuser)
F="$TMPDIR/fx"
mkdir -p "$F"
M1=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
dm_fixture stats "$F/rcp45.nc" --experiment rcp45 --models $M1 --horizons REF,H2 --indicators spring_frost
LDSN="${DM_DSN/user=postgres/user=$L}"
RDSN="${DM_DSN/user=postgres/user=$R}"
[ "$LDSN" != "$DM_DSN" ] || fail "cannot derive the loader DSN from $DM_DSN"
CLIMRISK_DSN="$LDSN" "$CLIMRISK" -q load --stats "$F/rcp45.nc" >/dev/null || fail "load as the loader login"
CLIMRISK_DSN="$LDSN" "$CLIMRISK" -q load --force --stats "$F/rcp45.nc" >/dev/null || fail "reload as the loader login"
CLIMRISK_DSN="$LDSN" "$CLIMRISK" -q db migrate >/dev/null || fail "migrate as the loader login"
[ "$(dm_psql "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'datamart' and c.relkind in ('r', 'p', 'v')
              and c.relowner <> 'datamart_loader'::regrole")" = 0 ] || fail "objects not owned by datamart_loader"

r() { psql "$RDSN" -XAtq -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
# reads: every table and view of the datamart, and the query functions
for rel in $(dm_psql "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                      where n.nspname = 'datamart' and c.relkind in ('r', 'p', 'v') and not c.relispartition"); do
    r "select 1 from datamart.\"$rel\" limit 1" >/dev/null || fail "reader cannot read datamart.$rel: $(r "select 1 from datamart.\"$rel\" limit 1")"
done
[ "$(r "select count(*) > 0 from datamart.cell_stat where scenario = 'rcp45'")" = t ] || fail "reader sees no data"
[ "$(r "select count(*) from datamart.indicator_at(2.39043578, 48.31996732, 'spring_frost', 'rcp45', 'H2')")" = 1 ] ||
    fail "reader cannot run indicator_at: $(r "select * from datamart.indicator_at(2.39, 48.32, 'spring_frost', 'rcp45', 'H2')")"
# assets in a temporary table, joined by exposure
[ "$(r "create temp table farms as select 1 as id, 2.39043578 as lon, 48.31996732 as lat;
        select count(*) from datamart.exposure('farms', 'rcp45', 'H2')")" = 1 ] || fail "reader exposure on a temp table"

# refusals
refused() { # sql
    local out
    out=$(r "$1") && fail "reader was allowed: $1"
    echo "$out" | grep -q "permission denied\|must be owner" || fail "unexpected error for '$1': $out"
}
refused "insert into datamart.indicator (code, name_en, name_fr, unit, category, kind, ratio, year_type, definition, reference) values ('x', 'x', 'x', 'x', 'base', 'sum', false, 'calendar', 'x', 'x')"
refused "update datamart.indicator set unit = 'x'"
refused "delete from datamart.load_run"
refused "truncate datamart.grid_cell"
refused "insert into datamart.stat_fact values (1, 1, 1, 1)"
refused "delete from datamart.stat_slice"
refused "create table datamart.mine (x int)"
refused "create view datamart.v as select 1"
refused "create table public.mine (x int)"
refused "alter table datamart.indicator add column x int"
refused "drop view datamart.cell_stat"
refused "drop table datamart.admin_area"
refused "create index on datamart.grid_cell (altitude)"
refused "comment on table datamart.indicator is 'x'"
refused "select datamart.refresh_category_views()"
refused "select datamart.put_generated_view('x', 'select 1')"
refused "create schema mine"
# other schemas: a table the reader was not given, in its own schema and in public
dm_psql "create schema dm_secret; create table dm_secret.t (x int); insert into dm_secret.t values (1);
         create table public.t_secret (x int)" >/dev/null
refused "select * from dm_secret.t"
refused "select * from public.t_secret"
# the loader login cannot read them either (it owns the datamart, nothing else)
out=$(psql "$LDSN" -XAtq -c "select * from dm_secret.t" 2>&1) && fail "loader reads another schema"
echo "datamart roles ok"
