# Sourced by the bench scripts (from the repository's root): the directory of captures and
# results, installing a missing tool, and the release build of flowsh.
WORK="${BENCH_DIR:-/tmp/flowsh-bench}"
mkdir -p "$WORK"

# need COMMAND PACKAGE: installs the Debian package that provides COMMAND when it is missing.
need() {
    command -v "$1" >/dev/null && return
    echo "installing $2 (for $1)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

# Builds the release binary; its absolute path in FLOWSH.
build_flowsh() {
    cargo build --release -q -p flowsh
    FLOWSH="$(realpath "${CARGO_TARGET_DIR:-target}/release/flowsh")"
}
