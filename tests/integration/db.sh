# db.sh — the private PostgreSQL + PostGIS server: start (idempotent),
# status, a real PostGIS query, and stop/start again on the same data.
set -u
fail() { echo "FAIL: $*"; exit 1; }
dir="$TMPDIR/pg"
trap '"$CLIMRISK" -q db --dir "$dir" destroy >/dev/null 2>&1' EXIT
dsn=$("$CLIMRISK" db --dir "$dir" start) || fail "db start"
echo "$dsn" | grep -Eq '^host=127\.0\.0\.1 port=[0-9]+ dbname=climrisk' || fail "DSN '$dsn'"
"$CLIMRISK" db --dir "$dir" start >/dev/null || fail "second start"
"$CLIMRISK" db --dir "$dir" status | grep -q 'running: yes' || fail "status"
# PostGIS reprojects SAFRAN point 13510 (604000, 2369000 in EPSG:27572) to
# the WGS84 position DRIAS publishes for it (2.39043578, 48.31996732).
psql "$dsn" -Atc "select ST_X(g), ST_Y(g) from (select ST_Transform(ST_SetSRID(ST_MakePoint(604000, 2369000), 27572), 4326) g) s" \
    | awk -F'|' '{ exit !(($1 - 2.39043578)^2 < 1e-10 && ($2 - 48.31996732)^2 < 1e-10) }' \
    || fail "PostGIS transform of SAFRAN point 13510"
psql "$dsn" -Atc "create table t(x int); insert into t values (42)" >/dev/null || fail "write"
"$CLIMRISK" db --dir "$dir" stop || fail "stop"
"$CLIMRISK" db --dir "$dir" status >/dev/null && fail "status after stop should exit non-zero"
"$CLIMRISK" db --dir "$dir" start >/dev/null || fail "restart"
[ "$(psql "$dsn" -Atc 'select x from t' 2>/dev/null || psql "$("$CLIMRISK" db --dir "$dir" status | sed -n 's/^dsn: //p')" -Atc 'select x from t')" = 42 ] || fail "data lost across restart"
# the server listens on loopback only
port=$(echo "$dsn" | sed -E 's/.*port=([0-9]+).*/\1/')
ss -ltn 2>/dev/null | awk -v p=":$port" '$4 ~ p"$" { print $4 }' | grep -qv '^127\.0\.0\.1:' && fail "listens beyond loopback"
"$CLIMRISK" db --dir "$dir" destroy || fail "destroy"
[ -d "$dir/data" ] && fail "data left after destroy"
echo "db ok"
