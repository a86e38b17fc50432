# faults/fetch_auth.sh — a server that requires HTTP Basic authentication:
# without credentials the fetch fails (exit 3) saying how to give them;
# credentials from the netrc file of [fetch] netrc, from ~/.netrc, from
# CLIMRISK_HTTP_USER/CLIMRISK_HTTP_PASSWORD, or written in the URL are used
# (the server logs the user), and the password never appears on stderr (even
# with --verbose), on stdout or in the cache index.
set -u
fail() { echo "FAIL: $*"; [ -f "$TMPDIR/err" ] && sed 's/^/  stderr| /' "$TMPDIR/err"; exit 1; }
. "$SRC/tests/tools/httpfault.sh"
export HOME="$TMPDIR/home"
mkdir -p "$HOME"
unset CLIMRISK_HTTP_USER CLIMRISK_HTTP_PASSWORD
root="$TMPDIR/root"
mkdir -p "$root"
pw='Pa55-w0rd-7e1d'
name() { echo "tasAdjust_France_IPSL-IPSL-CM5A-MR_IPSL-WRF381P_rcp8.5_METEO-FRANCE_ADAMONT-France_SAFRAN_day_${1}0101-${1}1231.nc"; }
for y in 2031 2032 2033 2034 2035; do head -c 200000 /dev/urandom >"$root/$(name $y)"; done
hf_start "$root" --auth "alice:$pw"
host=${HF_URL#http://}

no_secret() { # the password must not be anywhere we write
    ! grep -q "$pw" "$TMPDIR/err" "$TMPDIR/out" || fail "$1: password printed"
    if [ -f "$TMPDIR/cache/index.tsv" ] && grep -q "$pw" "$TMPDIR/cache/index.tsv"; then
        fail "$1: password in the index"
    fi
}
fetch() { # url [options]
    printf '%s\n' "$1" >"$TMPDIR/m.tsv"
    "$CLIMRISK" --verbose fetch --manifest "$TMPDIR/m.tsv" --cache "$TMPDIR/cache" --retries 0 \
        "${@:2}" >"$TMPDIR/out" 2>"$TMPDIR/err"
    rc=$?
}

# 1. No credentials: 401, exit 3, advice naming netrc and the variables.
fetch "$HF_URL/$(name 2031)"
[ $rc -eq 3 ] || fail "no credentials: exit $rc, expected 3"
grep -q "HTTP 401 for $HF_URL/$(name 2031): authentication required: .*netrc.*CLIMRISK_HTTP_USER" \
    "$TMPDIR/err" || fail "401 message"

# 2. netrc file named in the config.
printf 'machine %s\nlogin alice\npassword %s\n' "${host%%:*}" "$pw" >"$TMPDIR/creds.netrc"
chmod 600 "$TMPDIR/creds.netrc"
printf '[fetch]\nnetrc = creds.netrc\n' >"$TMPDIR/auth.ini"
fetch "$HF_URL/$(name 2031)" --config "$TMPDIR/auth.ini"
[ $rc -eq 0 ] || fail "netrc from config: exit $rc"
grep -q "^GET /$(name 2031) .*user=alice status=200" "$HF_LOG" || fail "netrc credentials not sent"
no_secret "netrc from config"

# 3. A netrc with a wrong password: 401 again, and that password is not shown.
printf 'machine %s\nlogin alice\npassword wrong-%s\n' "${host%%:*}" "$pw" >"$TMPDIR/creds.netrc"
fetch "$HF_URL/$(name 2032)" --config "$TMPDIR/auth.ini"
[ $rc -eq 3 ] || fail "wrong password: exit $rc, expected 3"
no_secret "wrong password"

# 4. ~/.netrc when the config names none.
printf 'machine %s login alice password %s\n' "${host%%:*}" "$pw" >"$HOME/.netrc"
chmod 600 "$HOME/.netrc"
fetch "$HF_URL/$(name 2032)"
[ $rc -eq 0 ] || fail "~/.netrc: exit $rc"
no_secret "~/.netrc"
rm "$HOME/.netrc"

# 5. Environment variables.
CLIMRISK_HTTP_USER=alice CLIMRISK_HTTP_PASSWORD="$pw" fetch "$HF_URL/$(name 2033)"
[ $rc -eq 0 ] || fail "environment credentials: exit $rc"
grep -q "^GET /$(name 2033) .*user=alice status=200" "$HF_LOG" || fail "env credentials not sent"
no_secret "environment credentials"

# 6. Credentials written in the URL (and a token in the query): used, never shown.
fetch "http://alice:$pw@$host/$(name 2034)?access_token=$pw"
[ $rc -eq 0 ] || fail "credentials in the URL: exit $rc"
grep -q "user=alice status=200" "$HF_LOG" || fail "URL credentials not sent"
no_secret "credentials in the URL"
grep -q "http://$host/$(name 2034)?access_token=REDACTED" "$TMPDIR/cache/index.tsv" ||
    fail "index does not record the redacted URL"

# 7. A failure with credentials in the URL names the URL without them.
fetch "http://alice:$pw@$host/no-such-file.nc model=IPSL-IPSL-CM5A-MR_IPSL-WRF381P scenario=rcp85 variable=tasAdjust"
[ $rc -eq 3 ] || fail "404 with credentials: exit $rc"
grep -q "HTTP 404 for http://$host/no-such-file.nc" "$TMPDIR/err" || fail "404 message"
no_secret "404 with credentials"
echo "credentials from netrc, ~/.netrc, environment and URL used and never printed"
