#!/usr/bin/env bash
# Installs the Debian packages Warren builds with, only those missing.
set -euo pipefail

PACKAGES=(
  cmake g++ make pkg-config
  # cpack's Debian package: dpkg-shlibdeps names the shared libraries it depends on.
  dpkg-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev librocksdb-dev libgoogle-glog-dev libgflags-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libzookeeper-mt-dev
  # warrend's Prometheus metrics: prometheus-cpp's core (metric types, text format).
  prometheus-cpp-dev
  iproute2 iptables
  # The clock nemesis of the fault tests runs members under libfaketime (faketime: its CLI).
  faketime libfaketime
  # Real ZooKeeper clients the tests drive against warrend's ZooKeeper port: the C client
  # (above), kazoo, zkCli.sh and the Java client, Curator; clang's libFuzzer for the port's
  # fuzzer.
  python3-kazoo zookeeper default-jdk-headless
  libcurator-client-java libcurator-framework-java libcurator-recipes-java
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
