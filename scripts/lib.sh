# shellcheck shell=bash
# Shared functions for scripts/run, scripts/test and scripts/bench.
# Source it; it defines functions and a few variables and runs nothing.

# The repository root, whatever the caller's working directory.
RINGKV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# What building the server needs (tests/CMakeLists.txt finds Catch2 and hiredis
# at configure time, so they are build dependencies too).
RINGKV_BUILD_DEPS=(build-essential cmake ninja-build pkg-config
  libuv1-dev libleveldb-dev libfmt-dev catch2 libhiredis-dev)
# What the tests, the fuzzer and the benchmark need on top of that.
RINGKV_TEST_DEPS=(git redis-tools redis-server python3-redis python3
  clang libclang-rt-14-dev iproute2 procps valgrind)
RINGKV_ALL_DEPS=("${RINGKV_BUILD_DEPS[@]}" "${RINGKV_TEST_DEPS[@]}")

# Builds anywhere on this machine take this lock, so that two builds never
# compete for the two cores (or for the same build directory).
RINGKV_BUILD_LOCK="${RINGKV_BUILD_LOCK:-/tmp/ringkv-build.lock}"

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# section TITLE: a header line that stands out in long logs.
section() { printf '\n==== %s ====\n' "$*"; }

# as_root CMD...: runs CMD as root, through sudo when we are not root.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# pkg_installed NAME: true when dpkg reports NAME fully installed.
pkg_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

# ensure_deps [PKG...]: installs with apt-get whichever of the packages (all of
# RINGKV_ALL_DEPS when none are named) is not installed. Runs `apt-get update`
# once, and only when something is missing. Services that packages ship (the
# redis-server package's own server) are not started.
ensure_deps() {
  local pkgs=("$@") missing=() p
  ((${#pkgs[@]})) || pkgs=("${RINGKV_ALL_DEPS[@]}")
  command -v dpkg >/dev/null 2>&1 || die "dpkg not found: ensure_deps needs Debian or Ubuntu"
  for p in "${pkgs[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0

  log "installing: ${missing[*]}"
  # policy-rc.d exiting 101 tells the packages' scripts not to start services;
  # put one in place only for this install, and only if there is none.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    added_policy=1
  fi
  local rc=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || rc=$?
  if ((rc == 0)); then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends "${missing[@]}" || rc=$?
  fi
  ((added_policy)) && as_root rm -f "$policy"
  ((rc == 0)) || die "apt-get failed (exit $rc) installing: ${missing[*]}"
}

# build DIR [CMAKE_ARGS...]: configures DIR (relative to the repo root unless
# absolute) with Ninja and builds it on every core, holding the build lock.
build() {
  local dir=$1
  shift
  [[ $dir == /* ]] || dir="$RINGKV_ROOT/$dir"
  # A directory configured with another generator cannot be reconfigured
  # with Ninja; drop its cache (the sources are untouched).
  if [[ -f $dir/CMakeCache.txt ]] &&
    ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    log "build: $dir was configured with another generator; reconfiguring"
    rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
  fi
  local jobs
  jobs=$(nproc 2>/dev/null || echo 2)
  # shellcheck disable=SC2016  # expanded by the inner bash
  local cmd=(bash -c 'cmake -S "$1" -B "$2" -G Ninja "${@:4}" &&
                      cmake --build "$2" -j "$3"' build
    "$RINGKV_ROOT" "$dir" "$jobs" "$@")
  if command -v flock >/dev/null 2>&1; then
    flock "$RINGKV_BUILD_LOCK" "${cmd[@]}"
  else
    "${cmd[@]}"
  fi
}
