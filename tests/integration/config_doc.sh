# config_doc.sh — every configuration key is documented in config/README.md
# under its section, and the demo configuration is valid.
set -u
"$CLIMRISK" config --keys >"$TMPDIR/keys" || { echo "config --keys failed"; exit 1; }
missing=0
while IFS=$'\t' read -r name _; do
    section=${name%%.*}; key=${name#*.}
    if ! awk -v s="## [$section]" -v k="| \`$key\` |" '
        index($0, s) == 1 { on = 1; next } /^## / { on = 0 } on && index($0, k) == 1 { found = 1 }
        END { exit !found }' "$SRC/config/README.md"; then
        echo "undocumented: [$section] $key"; missing=$((missing + 1))
    fi
done <"$TMPDIR/keys"
[ "$missing" -eq 0 ] || exit 1
[ "$(wc -l <"$TMPDIR/keys")" -ge 30 ] || { echo "suspiciously few keys"; exit 1; }
"$CLIMRISK" config --check "$SRC/config/demo.ini" || exit 1
echo "all $(wc -l <"$TMPDIR/keys") keys documented"
