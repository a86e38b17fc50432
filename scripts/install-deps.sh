#!/usr/bin/env bash
# scripts/install-deps.sh — install the Debian 12 packages climrisk needs to
# build, test, run its demo and benchmarks. Idempotent: installs only what
# is missing, and does nothing (not even apt-get update) when all is there.
#
#   scripts/install-deps.sh          everything (build, run, test, bench)
#   CLIMRISK_DEPS=build scripts/...  only what building needs
set -euo pipefail

build_pkgs=(
    build-essential pkg-config make
    libnetcdf-dev libhdf5-dev libproj-dev libgdal-dev libpq-dev libcurl4-openssl-dev
    libsqlite3-dev libinih-dev libmicrohttpd-dev libssl-dev zlib1g-dev libpng-dev libjson-c-dev
    libcmocka-dev libdeflate-dev libisal-dev
)
run_pkgs=(
    netcdf-bin gdal-bin python3-gdal proj-bin proj-data sqlite3 curl ca-certificates
    postgresql-15 postgresql-client-15 postgresql-15-postgis-3
)
test_pkgs=(
    nginx chromium nodejs clang libclang-rt-14-dev valgrind
)
bench_pkgs=(
    cdo wrk hyperfine
)

case "${CLIMRISK_DEPS:-all}" in
build) wanted=("${build_pkgs[@]}") ;;
*) wanted=("${build_pkgs[@]}" "${run_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
esac

missing=()
for p in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

# Some machines carry nodejs from NodeSource, which bundles npm and
# conflicts with Debian's npm package: ask for npm only when it is absent.
if [ "${CLIMRISK_DEPS:-all}" != build ] && ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#wanted[@]} packages already installed" >&2
    exit 0
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
        echo "install-deps: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2
        exit 3
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
