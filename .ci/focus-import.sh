#!/usr/bin/env bash
# Imports a large FOCUS export that no one here wrote, and checks the scenario it gives.
#
# Makes a venv, installs the sample generator focus-data-toolkit from PyPI, generates a
# 50,000-row AWS FOCUS 1.2 cost-and-usage file, imports it with `trustsim import focus
# --establish` (the release binary if built, else the debug one; built if neither is), then
# validates and runs the scenario and checks import.md's equation against an independent
# sum of the file's ListCost column. Prints the import's rows per second.
#
# Usage: .ci/focus-import.sh [ROWS]   (default 50000)
set -euo pipefail
cd "$(dirname "$0")/.."

rows="${1:-50000}"
source .ci/lib.sh
work_dir focus
trustsim_bin

echo "== focus-data-toolkit (venv in $work)"
venv_with focus-data-toolkit==0.14.1

echo "== generate $rows rows (aws, FOCUS 1.2, seed 1)"
"$work/venv/bin/focus-toolkit" generate --provider aws --focus-version 1.2 \
    --rows "$rows" --seed 1 --out "$work/export"
file="$work/export/focus_1_2_cost_and_usage_aws.csv"

echo "== $bin import focus"
"$bin" import focus "$file" --out "$work/scenario" --establish

echo "== $bin validate, run"
"$bin" validate "$work/scenario"
"$bin" run "$work/scenario" --out "$work/reports"

echo "== import.md's equation against the file's own ListCost sum"
"$work/venv/bin/python" - "$file" "$work/scenario/import.md" <<'PY'
import csv, sys
from decimal import Decimal, getcontext
getcontext().prec = 60
path, md = sys.argv[1], sys.argv[2]
with open(path, newline="") as f:
    total = sum((Decimal(r["ListCost"]) for r in csv.DictReader(f) if r["ListCost"]), Decimal(0))
prefix = "Σ ListCost imported + Σ ListCost not imported = Σ ListCost in the files: "
line = next(l for l in open(md, encoding="utf-8") if l.startswith(prefix))
left, right = line[len(prefix):].split("=")
imported, not_imported = (Decimal(x) for x in left.split(" + "))
stated = Decimal(right)
assert imported + not_imported == stated, line
assert stated == total, f"import.md says {stated}, the file sums to {total}"
print(f"ok: {imported} + {not_imported} = {stated} = Σ ListCost of {path.rsplit('/', 1)[-1]}")
PY
