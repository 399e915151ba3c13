# Sourced by the .ci scripts: what each of them needs before its own checks.

# Sets $bin to the trustsim binary, as an absolute path: the release build if there is one,
# else the debug build, built first if neither exists.
trustsim_bin() {
    bin=target/release/trustsim
    [[ -x $bin ]] || bin=target/debug/trustsim
    [[ -x $bin ]] || { cargo build --quiet && bin=target/debug/trustsim; }
    bin="$(realpath "$bin")"
}

# Sets $work to a fresh temporary directory named after $1, removed when the script exits.
work_dir() {
    work="$(mktemp -d "${TMPDIR:-/tmp}/trustsim-$1.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
}

# Makes the venv $work/venv and installs the pip requirements given as arguments into it.
venv_with() {
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install --quiet --disable-pip-version-check "$@"
}
