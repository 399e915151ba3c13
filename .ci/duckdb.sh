#!/usr/bin/env bash
# Runs docs/duckdb.md in DuckDB against the CSV and the Parquet reports (SPEC §10.8).
#
# Makes a venv with DuckDB from pip, runs the quickstart and a generated fleet twice (CSV, and
# `--format parquet`), and then, from the SQL blocks of docs/duckdb.md itself (so the page
# cannot drift from what is tested):
#   - creates the page's CSV views and its Parquet views, and checks every report has the same
#     column names (the CSV header's) and the same types in both, and the same rows;
#   - runs every question of the page on both, and checks the answers are identical (names,
#     types, rows) and that every question answers something on some scenario.
# Ends with a plain `N passed, N failed` line.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

source .ci/lib.sh
work_dir duckdb
trustsim_bin

echo "== duckdb (venv in $work)"
venv_with duckdb==2.0.1

echo "== generate a fleet (2 mains, 3 days)"
"$bin" generate --quiet --out "$work/fleet" --mains 2 --days 3 >/dev/null

pairs=()
for dir in scenarios/quickstart "$work/fleet"; do
    name="$(basename "$dir")"
    "$bin" run "$dir" --quiet --out "$work/out/$name-csv" >/dev/null
    "$bin" run "$dir" --quiet --out "$work/out/$name-parquet" --format parquet --focus >/dev/null
    pairs+=("$name=$work/out/$name-csv=$work/out/$name-parquet")
done

"$work/venv/bin/python" - "$root/docs/duckdb.md" "${pairs[@]}" <<'PY'
import os
import re
import sys

import duckdb

doc, pairs = sys.argv[1], sys.argv[2:]
blocks = re.findall(r"```sql\n(.*?)```", open(doc, encoding="utf-8").read(), re.S)
views, questions = {}, []
for block in blocks:
    first = block.splitlines()[0]
    m = re.fullmatch(r"-- reports: (csv|parquet)", first)
    q = re.fullmatch(r"-- question: (.+)", first)
    if m:
        views[m.group(1)] = block
    elif q:
        questions.append((q.group(1), block))
    else:
        sys.exit(f"{doc}: an sql block must start with '-- reports: csv|parquet' or '-- question: ...': {first!r}")
if set(views) != {"csv", "parquet"} or len(questions) < 3:
    sys.exit(f"{doc}: expected the csv and parquet views and at least 3 questions, found {sorted(views)} and {len(questions)}")
reports = re.findall(r"CREATE OR REPLACE VIEW (\w+) AS", views["csv"])
if reports != re.findall(r"CREATE OR REPLACE VIEW (\w+) AS", views["parquet"]) or len(reports) != 9:
    sys.exit(f"{doc}: the csv and parquet blocks must define the same nine views, found {reports}")

def connect(directory, form):
    # The page's paths are relative to the report directory; a view resolves its file when
    # queried, so each is made absolute here rather than by changing directory.
    con = duckdb.connect()
    sql = re.sub(r"'(\w+\.(?:csv|parquet))'", lambda m: f"'{os.path.join(directory, m.group(1))}'", views[form])
    con.execute(sql)
    return con

def answer(con, sql):
    cur = con.execute(sql)
    return [(d[0], str(d[1])) for d in cur.description], cur.fetchall()

def widths_apart(cols):
    # A Parquet file's amounts are DECIMAL(18, s), or (29, s) when one needs the digits; the
    # CSV views read 29, which holds any. Same values, same scale: only the width may differ.
    return [(n, re.sub(r"^DECIMAL\((18|29),", "DECIMAL(18|29,", t)) for n, t in cols]

passed, failed = 0, 0
answered = {title: 0 for title, _ in questions}

def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}")

for pair in pairs:
    name, csv_dir, pq_dir = pair.split("=")
    csv, pq = connect(csv_dir, "csv"), connect(pq_dir, "parquet")
    for report in reports:
        header = open(os.path.join(csv_dir, report + ".csv"), encoding="utf-8").readline().rstrip("\n").split(",")
        c_cols, c_rows = answer(csv, f"SELECT * FROM {report}")
        p_cols, p_rows = answer(pq, f"SELECT * FROM {report}")
        check([c for c, _ in c_cols] == header, f"{name} {report}: csv view columns {c_cols} are not the header {header}")
        check(widths_apart(c_cols) == widths_apart(p_cols), f"{name} {report}: csv types {c_cols} != parquet types {p_cols}")
        check(c_rows == p_rows, f"{name} {report}: csv and parquet rows differ")
        print(f"ok   {name} {report}: {len(c_rows)} rows, same in csv and parquet")
    for title, sql in questions:
        c_cols, c_rows = answer(csv, sql)
        p_cols, p_rows = answer(pq, sql)
        same = widths_apart(c_cols) == widths_apart(p_cols) and c_rows == p_rows
        check(same, f"{name} '{title}': csv and parquet answers differ")
        answered[title] += len(c_rows)
        print(f"{'ok  ' if same else 'FAIL'} {name} '{title}': {len(c_rows)} rows, same in csv and parquet")
for title, rows in answered.items():
    check(rows > 0, f"'{title}' answered nothing on any scenario")
print(f"duckdb: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
