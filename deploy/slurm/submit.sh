#!/usr/bin/env bash
# Submits a sharded trustsim run to Slurm: run.sbatch as a job array of N tasks, then
# merge.sbatch with --dependency=afterok on the array, so the merge starts only when every
# shard succeeded and is cancelled when one failed (SPEC §10.9).
#
#   deploy/slurm/submit.sh [OPTIONS] SCENARIO_DIR WORK_DIR [-- SBATCH_OPTIONS...]
#
#   -n, --tasks N       shards, one array task each [4]
#   -m, --max-running M at most M tasks at once (--array=1-N%M) [no limit]
#   -b, --bin PATH      the trustsim binary, as the compute nodes see it [trustsim on PATH]
#   -r, --reports DIR   where the merged reports go [WORK_DIR/reports]
#   -c, --cpus N        CPUs per task (sbatch -c; trustsim --threads N) [Slurm's default]
#   -a, --run-arg ARG   one more `trustsim run` flag for every task, e.g. -a --focus (repeatable)
#   -w, --wait          wait for the array and the merge; exit non-zero if a task or the merge
#                       failed (without it, print the two job ids and return at once)
#   SBATCH_OPTIONS      given to both sbatch calls, e.g. --partition=batch --time=01:00:00
#                       (Slurm's SBATCH_* environment variables work as well)
#
# WORK_DIR must be shared by the nodes. Job output goes to WORK_DIR/logs/, shards to
# WORK_DIR/shards/<array job id>/, reports to WORK_DIR/reports/ unless -r says otherwise.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# usage [STATUS]: the header's usage lines; 0 for --help, 2 (bad arguments) otherwise.
usage() {
    sed -n '6,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit "${1:-2}"
}

tasks=4 max_running="" bin="${TRUSTSIM_BIN:-trustsim}" reports="" cpus="" wait=0
run_args=() positional=() sbatch_args=()
while (($#)); do
    case $1 in
        -n | --tasks) tasks="${2:?}"; shift 2 ;;
        -m | --max-running) max_running="${2:?}"; shift 2 ;;
        -b | --bin) bin="${2:?}"; shift 2 ;;
        -r | --reports) reports="${2:?}"; shift 2 ;;
        -c | --cpus) cpus="${2:?}"; shift 2 ;;
        -a | --run-arg) run_args+=("${2:?}"); shift 2 ;;
        -w | --wait) wait=1; shift ;;
        -h | --help) usage 0 ;;
        --) shift; sbatch_args=("$@"); break ;;
        -*) echo "submit.sh: unknown option $1" >&2; usage ;;
        *) positional+=("$1"); shift ;;
    esac
done
((${#positional[@]} == 2)) || usage
[[ $tasks =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: --tasks wants a positive integer, not $tasks" >&2; exit 2; }
[[ -z $max_running || $max_running =~ ^[1-9][0-9]*$ ]] ||
    { echo "submit.sh: --max-running wants a positive integer, not $max_running" >&2; exit 2; }
# A throttle (%M) leaves SLURM_ARRAY_TASK_COUNT at N, so --shard auto still sees N shards.
array="1-$tasks${max_running:+%$max_running}"

# Jobs may start in another directory than this one: every path they get is absolute.
scenario="$(realpath -- "${positional[0]}")"
work="$(realpath -m -- "${positional[1]}")"
reports="$(realpath -m -- "${reports:-$work/reports}")"
[[ $bin != */* ]] || bin="$(realpath -- "$bin")"
[[ -f $scenario/scenario.toml ]] || { echo "submit.sh: $scenario has no scenario.toml" >&2; exit 2; }
mkdir -p "$work/logs"
export TRUSTSIM_BIN="$bin"

common=(--parsable "${sbatch_args[@]}")
[[ -z $cpus ]] || common+=(--cpus-per-task="$cpus")
# submit_run [SBATCH_OPTION...]; submit_merge RUN_JOB_ID [SBATCH_OPTION...]
submit_run() {
    sbatch "${common[@]}" "$@" --array="$array" --output="$work/logs/%x-%A_%a.out" \
        "$here/run.sbatch" "$scenario" "$work" "${run_args[@]}"
}
submit_merge() {
    local run_job="$1"
    shift
    sbatch "${common[@]}" "$@" --dependency="afterok:$run_job" --kill-on-invalid-dep=yes \
        --output="$work/logs/%x-%j.out" "$here/merge.sbatch" "$work" "$run_job" "$reports"
}

if ((!wait)); then
    run_job="$(submit_run)"
    run_job="${run_job%%;*}"
    merge_job="$(submit_merge "$run_job")"
    echo "run array $run_job ($tasks tasks), merge ${merge_job%%;*} -> $reports"
    exit 0
fi

# sbatch --wait exits non-zero when any array task failed, but 0 for a job cancelled before it
# ran — which is what afterok does to the merge after a failed task. So both are waited on:
# the array's status says whether the shards failed, the merge's whether the merge did.
ids="$(mktemp -d)"
trap 'rm -rf "$ids"' EXIT
submit_run --wait >"$ids/run" &
run_pid=$!
until [[ -s $ids/run ]]; do
    kill -0 "$run_pid" 2>/dev/null || { wait "$run_pid" || true; echo "submit.sh: sbatch of the array failed" >&2; exit 1; }
    sleep 0.2
done
run_job="$(head -n 1 "$ids/run")"
run_job="${run_job%%;*}"
submit_merge "$run_job" --wait >"$ids/merge" &
merge_pid=$!
echo "run array $run_job ($tasks tasks), then the merge; waiting"
status=0
wait "$run_pid" || status=$?
if ((status)); then
    wait "$merge_pid" || true
    echo "submit.sh: a task of array $run_job failed (sbatch exit $status); the merge was cancelled; see $work/logs/" >&2
    exit 1
fi
wait "$merge_pid" || status=$?
if ((status)); then
    echo "submit.sh: the merge failed (sbatch exit $status); see $work/logs/" >&2
    exit 1
fi
echo "reports in $reports"
