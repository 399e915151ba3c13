#!/usr/bin/env bash
# Checks `trustsim run --focus` against the FinOps Foundation's own FOCUS validator (SPEC §10.6).
#
# Makes a venv, installs focus-validator 1.0.0, runs `trustsim run --focus` on every scenario
# under scenarios/ (quickstart and the goldens) and on a generated fleet, each into a temp
# directory (trustsim refuses to write inside a scenario), and validates each focus.csv
# against FOCUS 1.0. The validator exits 0 even when checks fail, so its output is read: any
# `failed:` line fails this script. A focus.csv without data rows (a scenario with no bills)
# is not validated — with no values the validator infers no column types, so its type
# checks cannot pass — it must then hold exactly the header of the others.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

source .ci/lib.sh
work_dir focus-validate
trustsim_bin

echo "== focus-validator (venv in $work)"
venv_with focus-validator==1.0.0 "multimethod<1.11"
# The validator reads focus_validator/utils/currency_codes.csv relative to the working
# directory: it runs from its own site-packages.
site="$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

echo "== generate a fleet (2 mains, 5 days)"
"$bin" generate --out "$work/fleet" --mains 2 --days 5 >/dev/null

header=""
failed=0
empty=()
validated=0
for dir in scenarios/*/ "$work/fleet/"; do
    name="$(basename "$dir")"
    out="$work/out/$name"
    "$bin" run "$dir" --out "$out" --focus >/dev/null
    file="$out/focus.csv"
    rows=$(($(wc -l <"$file") - 1))
    if ((rows == 0)); then
        empty+=("$name")
        continue
    fi
    [[ -n $header ]] || header="$(head -n 1 "$file")"
    (cd "$site" && "$work/venv/bin/focus-validator" --data-file "$file" \
        --validate-version 1.0) >"$out.validator" 2>&1 || true
    validated=$((validated + 1))
    if grep -q "failed:" "$out.validator" || ! grep -q "Validation succeeded" "$out.validator"; then
        echo "FAIL $name ($rows rows):"
        grep -A3 "failed:" "$out.validator" || tail -n 20 "$out.validator"
        failed=$((failed + 1))
    else
        echo "ok   $name ($rows rows)"
    fi
done
for name in "${empty[@]:-}"; do
    [[ -n $name ]] || continue
    if [[ "$(cat "$work/out/$name/focus.csv")" != "$header" ]]; then
        echo "FAIL $name: no rows, and not exactly the header"
        failed=$((failed + 1))
    else
        echo "ok   $name (no bills: header only, not validated)"
    fi
done
echo "$validated focus.csv files validated, $failed failed"
((failed == 0 && validated > 0))
