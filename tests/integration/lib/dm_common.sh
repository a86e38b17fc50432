# dm_common.sh — shared setup of the datamart integration tests (sourced).
#
# Each test gets its own database in the private cluster, copied from a
# template database that `climrisk db migrate` built once (the admin areas
# take ~20 s to load and weigh); the template's name carries a hash of the
# migrations, admin files and scenarios, so a change rebuilds it. After
# copying, the test migrates again (a no-op when nothing changed).
#
#   dm_setup NAME   -> DM_DSN (psql) and CLIMRISK_DSN (climrisk) exported
#   dm_psql SQL     -> psql -XAtq on the test database, stop on error
#   dm_fixture ...  -> the fixture writer (tests/tools/dm_fixture)
# The EXIT trap drops the database and the roles listed in DM_ROLES.
set -u
fail() { echo "FAIL: $*"; exit 1; }

dm_setup() {
    local name=$1
    unset CLIMRISK_DSN # tests use the private cluster, never a user's server
    "$CLIMRISK" -q db start >/dev/null || fail "db start"
    DM_ADMIN_DSN=$("$CLIMRISK" db dsn) || fail "db dsn"
    local base=${DM_ADMIN_DSN%dbname=*}
    local rest=${DM_ADMIN_DSN#*dbname=}
    rest=${rest#* }
    local hash
    hash=$(cat "$SRC"/sql/migrations/*.sql "$SRC"/sql/data/admin_fr/*.geojson \
               "$SRC"/scenarios/*.ini "$SRC"/scenarios/ensembles/*.ini "$SRC"/indicators/catalog.c |
           sha256sum | cut -c1-12)
    local tpl="dm_tpl_$hash"
    DM_DB="dm_${name}_$$"
    DM_DSN="${base}dbname=$DM_DB $rest"
    export DM_DSN CLIMRISK_DSN="$DM_DSN"
    trap dm_cleanup EXIT
    if [ "$(psql "$DM_ADMIN_DSN" -XAtqc "select count(*) from pg_database where datname = '$tpl'")" != 1 ]; then
        # Old templates of other hashes go first: they are caches.
        for old in $(psql "$DM_ADMIN_DSN" -XAtqc "select datname from pg_database where datname like 'dm\_tpl\_%'"); do
            psql "$DM_ADMIN_DSN" -XAtqc "drop database if exists \"$old\"" >/dev/null
        done
        psql "$DM_ADMIN_DSN" -XAtqc "create database \"${tpl}_build\"" >/dev/null || fail "create template"
        CLIMRISK_DSN="${base}dbname=${tpl}_build $rest" "$CLIMRISK" db migrate >/dev/null ||
            { psql "$DM_ADMIN_DSN" -XAtqc "drop database \"${tpl}_build\"" >/dev/null; fail "migrate template"; }
        psql "$DM_ADMIN_DSN" -XAtqc "alter database \"${tpl}_build\" rename to \"$tpl\"" >/dev/null ||
            fail "rename template"
    fi
    psql "$DM_ADMIN_DSN" -XAtqc "create database \"$DM_DB\" template \"$tpl\" strategy file_copy" \
        >/dev/null || fail "create test database from $tpl"
    "$CLIMRISK" -q db migrate >/dev/null || fail "migrate the test database"
}

dm_cleanup() {
    [ -n "${DM_DB:-}" ] && psql "$DM_ADMIN_DSN" -XAtqc "drop database if exists \"$DM_DB\" with (force)" >/dev/null 2>&1
    for r in ${DM_ROLES:-}; do
        psql "$DM_ADMIN_DSN" -XAtqc "drop role if exists \"$r\"" >/dev/null 2>&1
    done
    return 0
}

dm_psql() {
    psql "$DM_DSN" -XAtq -v ON_ERROR_STOP=1 -c "$1"
}

dm_fixture() {
    "$BUILD/tests/tools/dm_fixture" "$@" || fail "dm_fixture $*"
}

# Land cell ids of the SAFRAN grid (the DRIAS file shipped in ingest/data/).
dm_land_ids() {
    tail -n +2 "$SRC/ingest/data/grilleSafran_utile_drias2021.csv" | cut -d';' -f1
}

# Indicator code -> 0-based catalogue index, in indicators/catalog.c order.
dm_indicator_index() {
    grep -o '^    {"[a-z0-9_]*",' "$SRC/indicators/catalog.c" | tr -d ' {",' |
        awk -v c="$1" '$0 == c { print NR - 1; found = 1 } END { exit !found }'
}
