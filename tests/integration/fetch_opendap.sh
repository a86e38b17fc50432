# fetch_opendap.sh — OPeNDAP sources are not downloaded: climrisk fetch opens
# them once with netCDF-C (built with DAP), records their URL in the cache
# index, and a later stage opens that URL with netCDF-C and reads values.
# The "server" is httpfault serving a static DAP2 answer (.dds, .das and a
# .dods holding 12 known floats, written below with Python's struct), which is
# what netCDF-C asks a THREDDS/Hyrax server for; a real server computes those
# answers for any constraint, this fixture only for the one ncdump sends.
set -u
fail() { echo "FAIL: $*"; [ -f "$TMPDIR/err" ] && sed 's/^/  stderr| /' "$TMPDIR/err"; exit 1; }
[ "$(nc-config --has-dap 2>/dev/null)" = yes ] || { echo "netCDF-C built without DAP"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
. "$SRC/tests/tools/httpfault.sh"
export HOME="$TMPDIR"
dap="$TMPDIR/root/thredds/dodsC/drias"
mkdir -p "$dap"
cat >"$dap/x.nc.dds" <<'EOF'
Dataset {
    Float64 time[time = 2];
    Grid {
     ARRAY:
        Float32 tasmaxAdjust[time = 2][y = 2][x = 3];
     MAPS:
        Float64 time[time = 2];
        Float64 y[y = 2];
        Float64 x[x = 3];
    } tasmaxAdjust;
} x.nc;
EOF
cat >"$dap/x.nc.das" <<'EOF'
Attributes {
    time {
        String units "days since 1950-01-01";
        String calendar "standard";
    }
    tasmaxAdjust {
        String units "K";
    }
}
EOF
python3 - "$dap/x.nc.dods" <<'EOF'
import struct, sys
dds = b"""Dataset {
    Float64 time[time = 2];
    Structure {
        Float32 tasmaxAdjust[time = 2][y = 2][x = 3];
    } tasmaxAdjust;
} x.nc;
Data:
"""
body = struct.pack('>II', 2, 2) + struct.pack('>2d', 0.0, 1.0)
body += struct.pack('>II', 12, 12) + struct.pack('>12f', *[280.0 + 0.5 * i for i in range(12)])
open(sys.argv[1], 'wb').write(dds + body)
EOF
hf_start "$TMPDIR/root"
M=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
url="$HF_URL/thredds/dodsC/drias/x.nc"
fetch() {
    printf '%s\n' "$1" >"$TMPDIR/m.tsv"
    "$CLIMRISK" fetch --manifest "$TMPDIR/m.tsv" --cache "$TMPDIR/cache" "${@:2}" \
        >"$TMPDIR/out" 2>"$TMPDIR/err"
    rc=$?
}

# 1. A THREDDS dodsC URL is recognised as OPeNDAP, opened and recorded.
fetch "$url  model=$M scenario=rcp85 variable=tasmaxAdjust"
[ $rc -eq 0 ] || fail "opendap: exit $rc"
grep -q "^GET /thredds/dodsC/drias/x.nc.dds .*status=200" "$HF_LOG" || fail "netCDF-C did not ask for the DDS"
[ "$(printf '%s\trcp85\ttasmaxAdjust\t%s\n' $M "$url")" = "$(cat "$TMPDIR/out")" ] || fail "stdout: $(cat "$TMPDIR/out")"
path=$(awk -F'\t' '$5 == "opendap" { print $9 }' "$TMPDIR/cache/index.tsv")
[ "$path" = "$url" ] || fail "index does not record the URL as an opendap source"
[ -z "$(find "$TMPDIR/cache/sha256" -type f 2>/dev/null)" ] || fail "an OPeNDAP source was downloaded"

# 2. What a later stage does: open the recorded URL and read the values.
ncdump -v tasmaxAdjust "$path" >"$TMPDIR/dump" 2>&1 || { cat "$TMPDIR/dump"; fail "ncdump over DAP"; }
tr -d ' \n' <"$TMPDIR/dump" | grep -q 'tasmaxAdjust=280,280.5,281,281.5,282,282.5,283,283.5,284,284.5,285,285.5;' ||
    { cat "$TMPDIR/dump"; fail "values read over DAP"; }

# 3. A variable the dataset lacks is bad input (exit 2), named.
fetch "$url  model=$M scenario=rcp85 variable=prtotAdjust"
[ $rc -eq 2 ] || fail "missing variable: exit $rc, expected 2"
grep -q "OPeNDAP source $url has no variable 'prtotAdjust'" "$TMPDIR/err" || fail "missing variable message"

# 4. An unreachable dataset is an external failure (exit 3), named.
fetch "$HF_URL/thredds/dodsC/drias/nothere.nc  model=$M scenario=rcp85 variable=tasmaxAdjust"
[ $rc -eq 3 ] || fail "unreachable: exit $rc, expected 3"
grep -q "cannot open OPeNDAP source $HF_URL/thredds/dodsC/drias/nothere.nc" "$TMPDIR/err" || fail "unreachable message"

# 5. --no-probe records without any request; kind=opendap works on any URL.
n=$(wc -l <"$HF_LOG")
fetch "$HF_URL/other/y.nc  kind=opendap model=$M scenario=rcp45 variable=tasmaxAdjust" --no-probe
[ $rc -eq 0 ] || fail "--no-probe: exit $rc"
[ "$(wc -l <"$HF_LOG")" -eq "$n" ] || fail "--no-probe made a request"
grep -q "	rcp45	tasmaxAdjust	.*	opendap	-	-	y.nc	$HF_URL/other/y.nc	" "$TMPDIR/cache/index.tsv" ||
    fail "kind=opendap not recorded"
echo "OPeNDAP sources probed with netCDF-C, recorded, and readable from the index"
