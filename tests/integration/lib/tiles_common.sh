# tiles_common.sh — shared setup of the tiles integration tests (sourced).
#
#   tiles_js       make sure tests/js has its npm packages (npm ci from the
#                  lock file, offline cache first); exit 77 (skip) when npm
#                  cannot provide them
#   tiles_fixture OUT.nc EXPERIMENT HORIZONS
#                  a statistics file with the known values of
#                  tests/unit/support/nc_fixture.h (3 models)
#   py ...         python3 with GDAL bindings (Debian's, not a pyenv one)
#   jcheck FILE EXPR  assert a Python expression on the JSON file (as j)
set -u
fail() { echo "FAIL: $*"; exit 1; }
GRID="$SRC/ingest/data/grilleSafran_utile_drias2021.csv"
CATALOG="$SRC/indicators/catalog.c"
JS="$SRC/tests/js"
CHECK="$SRC/tests/integration/lib/tiles_check.py"

py() { /usr/bin/python3 "$@"; }

tiles_js() {
    if [ ! -d "$JS/node_modules/pmtiles" ] || [ ! -d "$JS/node_modules/@mapbox/vector-tile" ]; then
        (cd "$JS" && { npm ci --offline --no-audit --no-fund >/dev/null 2>&1 ||
                       npm ci --prefer-offline --no-audit --no-fund >/dev/null 2>&1; }) ||
            { echo "skip: npm cannot install tests/js packages (pmtiles, @mapbox/vector-tile)"; exit 77; }
    fi
    command -v node >/dev/null || { echo "skip: node is not installed"; exit 77; }
}

tiles_fixture() {
    "$BUILD/tests/tools/dm_fixture" stats "$1" --experiment "$2" \
        --models CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63,MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009,IPSL-IPSL-CM5A-MR_IPSL-WRF381P \
        --horizons "$3" || fail "fixture $1"
}

jcheck() {
    py - "$1" "$2" <<'PY' || fail "$2 ($1)"
import json, sys
j = json.load(open(sys.argv[1], encoding='utf-8'))
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}
