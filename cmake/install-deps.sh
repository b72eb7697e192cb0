#!/bin/sh
# Installs rapture's build and test dependencies from Debian (bookworm) when any is missing.
# Idempotent: does nothing when every package is already installed.
set -e
PACKAGES="build-essential cmake ninja-build pkg-config git
libsimgrid-dev libboost-graph-dev libboost-math-dev libboost-random-dev
libtbb-dev libhdf5-dev libcli11-dev libyaml-cpp-dev libfmt-dev libpcg-cpp-dev
libgtest-dev libgmock-dev googletest libbenchmark-dev
python3 python3-h5py python3-numpy python3-simpy python3-yaml graphviz"
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
