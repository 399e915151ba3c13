#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine runs deploy/slurm/ (SPEC §10.9): the job
# array of `trustsim run --shard auto` and the afterok merge, on a generated fleet, and the
# merged reports must equal a plain `trustsim run`'s byte for byte; an array whose task 2
# fails must fail the pipeline and publish no reports.
#
# No systemd here, so the daemons are started by hand from a temp directory that holds
# everything they write (config, munge key and socket, state, spool, logs): munged as user
# munge, slurmctld and slurmd as root, on free ports, with SLURM_CONF pointing every client at
# this cluster only. The trap stops them by their pid files and removes the directory,
# whatever happened. Needs root (CI is root) and installs slurm-wlm and munge if missing.
#
# TRUSTSIM_BIN=PATH tests another binary (default: target/release or target/debug).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

if ((EUID != 0)); then
    echo ".ci/slurm.sh: needs root (it starts munged as munge and slurmd as root)" >&2
    exit 1
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
    ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    echo "== apt-get install slurm-wlm munge"
    export DEBIAN_FRONTEND=noninteractive
    # Another apt-get may hold the lock on a shared machine: wait for it rather than fail.
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

source .ci/lib.sh
if [[ -n ${TRUSTSIM_BIN:-} ]]; then
    bin="$(realpath "$TRUSTSIM_BIN")"
else
    trustsim_bin
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/trustsim-slurm.XXXXXX")"
# munged (user munge) must reach its socket directory inside.
chmod 755 "$tmp"

stop_pid_file() {
    local file="$1" pid
    [[ -s $file ]] || return 0
    pid="$(cat "$file")"
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
    local status=$?
    if [[ -n ${SLURM_CONF:-} && -s $tmp/slurmctld.pid ]]; then
        if ((status)); then
            echo "== slurm logs (failed with status $status)"
            tail -n 30 "$tmp"/log/*.log 2>/dev/null || true
        fi
        local jobs
        mapfile -t jobs < <(squeue -h -o %A 2>/dev/null || true)
        ((${#jobs[@]} == 0)) || scancel --quiet "${jobs[@]}" 2>/dev/null || true
    fi
    stop_pid_file "$tmp/slurmd.pid"
    stop_pid_file "$tmp/slurmctld.pid"
    stop_pid_file "$tmp/munge/munged.pid"
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT

# A port nothing listens on, from $1 up: a leftover daemon or another cluster keeps its own.
free_port() {
    local port="$1"
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        port=$((port + 1))
    done
    echo "$port"
}

echo "== munged (as munge, socket in $tmp/munge)"
mkdir "$tmp/munge"
chown munge:munge "$tmp/munge"
chmod 755 "$tmp/munge"
runuser -u munge -- mungekey --create --keyfile="$tmp/munge/munge.key"
runuser -u munge -- munged --origin=127.0.0.1 \
    --socket="$tmp/munge/munge.socket" --key-file="$tmp/munge/munge.key" \
    --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/munge/munged.log" \
    --seed-file="$tmp/munge/munged.seed"

host="$(hostname -s)"
ctld_port="$(free_port 6817)"
slurmd_port="$(free_port $((ctld_port + 1)))"
mkdir -p "$tmp/state" "$tmp/spool/$host" "$tmp/log"
# CPUs=4 on 2 cores (config_overrides) so that the array's tasks run side by side; MinJobAge=4
# because sbatch --wait polls at 2, 8, 32 s until a finished job is purged.
cat >"$tmp/slurm.conf" <<EOF
ClusterName=trustsim-ci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool/%n
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=4
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
cat >"$tmp/cgroup.conf" <<EOF
# Not used (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none); no systemd to ask.
IgnoreSystemd=yes
EOF
export SLURM_CONF="$tmp/slurm.conf"

echo "== slurmctld (port $ctld_port), slurmd -N $host (port $slurmd_port)"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$host"
for i in $(seq 100); do
    state="$(sinfo -h -N -o %t 2>/dev/null || true)"
    [[ $state == idle ]] && break
    ((i < 100)) || { echo "the node never became idle (state: ${state:-none})" >&2; exit 1; }
    sleep 0.3
done
sinfo

echo "== a fleet (5 mains × 40 linked, 3 days), and the plain run to compare with"
"$bin" generate --out "$tmp/fleet" --mains 5 --linked 40 --days 3 >/dev/null
"$bin" run "$tmp/fleet" --out "$tmp/single" --quiet >/dev/null

# same_reports DIR: every entry of the plain run's directory, byte for byte, and no other.
entries() { (cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort); }
same_reports() {
    local dir="$1" name
    if [[ "$(entries "$tmp/single")" != "$(entries "$dir")" ]]; then
        echo "FAIL $dir holds other files than the plain run:" >&2
        diff <(entries "$tmp/single") <(entries "$dir") >&2 || true
        return 1
    fi
    while IFS= read -r name; do
        cmp "$tmp/single/$name" "$dir/$name" || return 1
    done < <(entries "$tmp/single")
}

failed=0
# 7 tasks, at most 3 at once: the throttle must not change N (SLURM_ARRAY_TASK_COUNT).
for run in "3" "7 --max-running 3"; do
    read -r tasks throttle <<<"$run"
    echo "== deploy/slurm/submit.sh --wait --tasks $run"
    work="$tmp/work-$tasks"
    t0=$SECONDS
    # shellcheck disable=SC2086 # $throttle is empty or an option and its value
    if ! deploy/slurm/submit.sh --wait --tasks "$tasks" $throttle --bin "$bin" "$tmp/fleet" "$work"; then
        echo "FAIL the pipeline of $tasks tasks failed:" >&2
        tail -n 20 "$work"/logs/* >&2 || true
        failed=1
        continue
    fi
    logs=("$work"/logs/trustsim-run-*.out)
    shards=("$work"/shards/*/task-*)
    # Each task must have run a different shard: K from the array, N its task count.
    missing=()
    for ((k = 1; k <= tasks; k++)); do
        (($(grep -l "shard $k/$tasks:" "${logs[@]}" | wc -l) == 1)) || missing+=("$k/$tasks")
    done
    if ((${#logs[@]} != tasks || ${#shards[@]} != tasks)); then
        echo "FAIL $tasks tasks wrote ${#logs[@]} logs and ${#shards[@]} shard directories" >&2
        failed=1
    elif ((${#missing[@]})); then
        echo "FAIL no single task ran shard ${missing[*]}:" >&2
        tail -n 3 "${logs[@]}" >&2
        failed=1
    elif same_reports "$work/reports"; then
        echo "ok   $tasks tasks (shards 1..$tasks of $tasks) + merge = the plain run, $(entries "$work/reports" | wc -l) files byte for byte ($((SECONDS - t0)) s)"
    else
        failed=1
    fi
done

echo "== an array whose task 2 gets a bad scenario path must fail the pipeline"
# The wrapper is the binary every task runs; for task 2 it swaps the scenario for a path
# that does not exist, so that task fails exactly as a user's misconfigured task would.
cat >"$tmp/task-2-fails" <<EOF
#!/usr/bin/env bash
if [[ \${1:-} == run && \${SLURM_ARRAY_TASK_ID:-} == 2 ]]; then
    shift 2
    set -- run "$tmp/no-such-scenario" "\$@"
fi
exec "$bin" "\$@"
EOF
chmod +x "$tmp/task-2-fails"
work="$tmp/work-bad"
t0=$SECONDS
if deploy/slurm/submit.sh --wait --tasks 3 --bin "$tmp/task-2-fails" "$tmp/fleet" "$work"; then
    echo "FAIL submit.sh --wait exited 0 although task 2 failed" >&2
    failed=1
elif [[ -e $work/reports ]]; then
    echo "FAIL the merge ran although task 2 failed: $work/reports exists" >&2
    failed=1
elif ! grep -q "no-such-scenario" "$work"/logs/trustsim-run-*_2.out; then
    echo "FAIL task 2 failed, but not on the bad path:" >&2
    cat "$work"/logs/trustsim-run-*_2.out >&2
    failed=1
elif compgen -G "$work/logs/trustsim-merge-*.out" >/dev/null; then
    echo "FAIL the merge job started although task 2 failed" >&2
    failed=1
else
    echo "ok   task 2 failed -> exit non-zero, merge cancelled, no reports ($((SECONDS - t0)) s)"
fi

echo "== slurm: $((SECONDS - started)) s"
((failed == 0))
