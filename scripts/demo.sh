#!/usr/bin/env bash
# scripts/demo.sh BUILD — the demo job on config/demo.ini, end to end with
# the stages that exist: synthetic DRIAS-format inputs, the private
# PostgreSQL/PostGIS server, then every later stage as it lands.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
C="$BUILD/climrisk"
CONFIG=config/demo.ini
WORK=$BUILD/demo

echo "== climrisk demo ($("$C" --version)) on $CONFIG; outputs in $WORK" >&2
"$C" config --check "$CONFIG" >&2
if [ -f "$WORK/data/.complete" ] && [ "$WORK/data/.complete" -nt "$CONFIG" ]; then
    echo "== synthetic inputs already in $WORK/data (delete the folder to regenerate)" >&2
else
    "$C" synth --config "$CONFIG" --out "$WORK/data"
    touch "$WORK/data/.complete"
fi
"$C" db start >/dev/null
echo "== database: $("$C" db dsn)" >&2
"$C" db migrate >&2
if ls "$WORK"/annual/*.nc >/dev/null 2>&1 || ls "$WORK"/stats/*.nc >/dev/null 2>&1; then
    "$C" load --config "$CONFIG" >&2
    echo "== datamart loaded: try 'climrisk db psql' and the queries of sql/README.md" >&2
fi
echo "== done: inputs in $WORK/data ($(ls "$WORK/data"/*.nc | wc -l) NetCDF files)" >&2
