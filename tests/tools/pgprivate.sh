# pgprivate.sh — sourced by the fault tests that stop, restart or
# reconfigure PostgreSQL: a private cluster of their own under $TMPDIR (not
# the shared build/pg of the other tests), migrated without admin areas
# (~5 s), destroyed when the test exits whatever happens.
#   pp_start           -> CLIMRISK_PGDIR, CLIMRISK_DSN (superuser) exported
#   pp_psql SQL        -> psql -XAtq on the climrisk database, stop on error
#   pp_ctl ARGS...     -> pg_ctl on the cluster, as the postgres user
#   pp_on_exit CMD     -> run CMD at exit, after the cluster is destroyed
PP_EXIT=()
pp_cleanup() {
    local c
    "$CLIMRISK" -q db destroy >/dev/null 2>&1
    for c in "${PP_EXIT[@]}"; do eval "$c" >/dev/null 2>&1; done
    return 0
}
pp_on_exit() { PP_EXIT+=("$1"); }
pp_start() {
    export CLIMRISK_PGDIR="$TMPDIR/pg"
    unset CLIMRISK_DSN
    trap pp_cleanup EXIT
    "$CLIMRISK" -q db start >/dev/null 2>&1 || { echo "FAIL: db start"; exit 1; }
    CLIMRISK_DSN=$("$CLIMRISK" db dsn) || { echo "FAIL: db dsn"; exit 1; }
    export CLIMRISK_DSN
    "$CLIMRISK" -q db migrate --no-admin >/dev/null || { echo "FAIL: migrate"; exit 1; }
}
pp_psql() { psql "$CLIMRISK_DSN" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
pp_data_dir() {
    if [ -f "$CLIMRISK_PGDIR/server-root" ]; then echo "$(cat "$CLIMRISK_PGDIR/server-root")/data"
    else echo "$CLIMRISK_PGDIR/data"; fi
}
pp_ctl() {
    local bin
    for bin in /usr/lib/postgresql/{15,16,17}/bin; do [ -x "$bin/pg_ctl" ] && break; done
    runuser -u postgres -- "$bin/pg_ctl" -D "$(pp_data_dir)" "$@"
}
