#!/bin/sh
# Installs the Debian packages the build and the tests need, only those missing.
# Runs as root on a fresh Debian 12 (CI); elsewhere it prints what to install.
set -eu
pkgs="gcc make pkg-config dpkg-dev file zip unzip xz-utils ca-certificates \
 zlib1g-dev libcjson-dev libarchive-dev libmicrohttpd-dev libssl-dev \
 libcriterion-dev musl-tools gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static \
 clang libclang-rt-14-dev valgrind bubblewrap umoci skopeo docker-registry awscli nodejs \
 curl python3 procps iproute2 psmisc"
# npm: Debian's package, unless a Node.js that bundles its own is installed
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "faas-lambda: missing Debian packages:$missing" >&2
  echo "  run: sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "faas-lambda: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
