#!/usr/bin/env bash
# Runs a sharded trustsim on Kubernetes (SPEC §10.9): run-job.yaml with N shards, waits until
# it has completed or failed, then merge-job.yaml, and waits for that. Exits 1 when either Job
# failed (naming the failed indexes), so a failed shard never reaches the merge.
#
#   deploy/k8s/run.sh [OPTIONS]
#
#   -n, --shards N        shards: completions, TRUSTSIM_SHARDS of both Jobs [4]
#   -p, --parallelism P   pods running at once [N]
#   -i, --image IMAGE     the image deploy/Dockerfile built [trustsim:0.1.0]
#   -t, --timeout SECS    give up waiting for a Job after this long [21600]
#       --print           print both Jobs as they would be applied; touch no cluster
#
# The claim (pvc.yaml) must exist and hold the scenario in /data/scenario (README.md). Set
# KUBECTL to add flags, e.g. KUBECTL="kubectl --namespace billing". Earlier Jobs of the same
# names are deleted first (a finished Job does not run again); the reports on the volume are
# replaced only by a merge that succeeds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# usage [STATUS]: the header's usage lines; 0 for --help, 2 (bad arguments) otherwise.
usage() {
    sed -n '6,17s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit "${1:-2}"
}

shards=4 parallelism="" image=trustsim:0.1.0 timeout=21600 print=0
while (($#)); do
    case $1 in
        -n | --shards) shards="${2:?}"; shift 2 ;;
        -p | --parallelism) parallelism="${2:?}"; shift 2 ;;
        -i | --image) image="${2:?}"; shift 2 ;;
        -t | --timeout) timeout="${2:?}"; shift 2 ;;
        --print) print=1; shift ;;
        -h | --help) usage 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; usage ;;
    esac
done
parallelism="${parallelism:-$shards}"
for value in "$shards" "$parallelism" "$timeout"; do
    [[ $value =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: $value is not a positive integer" >&2; exit 2; }
done
((parallelism <= shards)) || parallelism="$shards"
read -r -a kubectl <<<"${KUBECTL:-kubectl}"

# The manifests with this run's N, parallelism and image; each edit must have matched, or
# the manifests changed under this script.
render() {
    local file="$here/$1" text
    text="$(sed -e "s/^  completions: 4$/  completions: $shards/" \
        -e "s/^  parallelism: 4$/  parallelism: $parallelism/" \
        -e "s/^\(              value:\) \"4\"$/\1 \"$shards\"/" \
        -e "s|^\(          image:\) trustsim:0.1.0$|\1 $image|" "$file")"
    if ! grep -q "value: \"$shards\"" <<<"$text" || ! grep -qF "image: $image" <<<"$text"; then
        echo "run.sh: $1 no longer has the lines this script edits" >&2
        exit 1
    fi
    printf '%s\n' "$text"
}

if ((print)); then
    render run-job.yaml
    echo "---"
    render merge-job.yaml
    exit 0
fi

# wait_for JOB: until the Job's Complete or Failed condition; 0 when it completed.
wait_for() {
    local job="$1" deadline=$((SECONDS + timeout)) types
    while :; do
        types="$("${kubectl[@]}" get job "$job" -o jsonpath='{.status.conditions[*].type}')"
        if grep -qw Complete <<<"$types"; then
            return 0
        elif grep -qw Failed <<<"$types"; then
            echo "run.sh: job/$job failed; failed indexes: $("${kubectl[@]}" get job "$job" \
                -o jsonpath='{.status.failedIndexes}')" >&2
            return 1
        elif ((SECONDS >= deadline)); then
            echo "run.sh: job/$job still running after $timeout s" >&2
            return 1
        fi
        sleep 5
    done
}

"${kubectl[@]}" delete job trustsim-run trustsim-merge --ignore-not-found --wait=true
echo "== trustsim-run: $shards shards, $parallelism at once"
render run-job.yaml | "${kubectl[@]}" apply -f -
wait_for trustsim-run || {
    echo "run.sh: the merge is not started; kubectl logs -l job-name=trustsim-run says why" >&2
    exit 1
}
echo "== trustsim-merge"
render merge-job.yaml | "${kubectl[@]}" apply -f -
status=0
wait_for trustsim-merge || status=1
"${kubectl[@]}" logs job/trustsim-merge || true
((status == 0)) || exit 1
echo "reports in /data/reports on the claim trustsim-data (kubectl cp trustsim-data:/data/reports ./reports)"
