#!/bin/sh
# Installs from Debian (bookworm) what rapture needs, when any of it is missing; idempotent.
#   sh cmake/install-deps.sh          to build and run rapture (the demo's command)
#   sh cmake/install-deps.sh --test   also what the tests and benchmarks need (the test command)
set -e
PACKAGES="build-essential cmake ninja-build pkg-config
libsimgrid-dev libboost-graph-dev libboost-math-dev libboost-random-dev
libtbb-dev libhdf5-dev libcli11-dev libyaml-cpp-dev libfmt-dev libpcg-cpp-dev
python3 python3-matplotlib python3-h5py python3-numpy graphviz"
# The last line is for `rapture report` (analysis/report.py: matplotlib reading the file with
# h5py, Graphviz's dot drawing the propagation graph).
# GoogleTest; the independent HDF5 reader (h5py) and SimPy of the benchmarks; Graphviz to
# check written DOT files; clang-format for the format test; Google Benchmark; clang with
# libFuzzer (libclang-rt-14-dev holds libclang_rt.fuzzer, only recommended by clang-14) and
# llvm-symbolizer (llvm-14) for the fuzz preset's targets and their readable stack traces;
# xarray with h5netcdf to read a merged sweep as a labelled Dataset; Slurm and munge for the
# sweep test against a real (throwaway, single-node) Slurm cluster; chromium (headless) to
# open every kind of report in a real browser (tests/e2e/test_report.py).
TEST_PACKAGES="libgtest-dev libgmock-dev googletest libbenchmark-dev
python3 python3-h5py python3-numpy python3-simpy python3-yaml graphviz clang-format
clang-14 libclang-rt-14-dev llvm-14
python3-xarray python3-h5netcdf slurm-wlm munge chromium"
case "$1" in
  "") ;;
  --test) PACKAGES="$PACKAGES $TEST_PACKAGES" ;;
  *) echo "usage: sh cmake/install-deps.sh [--test]" >&2; exit 2 ;;
esac
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
fi
