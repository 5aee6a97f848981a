#!/bin/sh
# Builds static libcurl archives with our patches (mk/patches) from Debian's
# curl source package, fetched with a private apt configuration so the
# system's apt state is untouched:
#   x86_64, arm64  what the bootstrap links: HTTP-only libcurl and cJSON, for
#                  musl (Debian's musl-gcc; for arm64 musl from Debian's source,
#                  built with the aarch64 cross compiler);
#   host           what faas-lambda and the tests link: libcurl with OpenSSL
#                  and zlib for the host's glibc, configured as Debian's
#                  package is, minus the protocols and libraries we do not use.
# Usage: thirdparty.sh OUT_DIR ARCH   (ARCH = x86_64 | arm64 | host). Cached: a
# second run with the archives present does nothing and fetches nothing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "$1"); arch=$2
log=$out/build-$arch.log
mkdir -p "$out"; : > "$log"
trap 'st=$?; [ $st = 0 ] || { tail -n 30 "$log" >&2; echo "thirdparty.sh: failed, log in $log" >&2; }' EXIT
pfx=$out/$arch
[ -f "$pfx/lib/libcurl.a" ] && { [ "$arch" = host ] || [ -f "$pfx/lib/libcjson.a" ]; } && exit 0

src=$out/src
mkdir -p "$src"
# One fetcher at a time: `make -j` builds several flavours at once, and they
# share the sources and the apt state.
exec 9>"$src/.fetch-lock"
fetch() { # fetch PKG: download and unpack a Debian source package once
  flock 9
  fetch_locked "$1"
  flock -u 9
}
fetch_locked() {
  ls -d "$src/$1"-[0-9]*/ >/dev/null 2>&1 && return 0
  apt=$out/apt
  mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial"
  cat > "$apt/sources.list" <<EOS
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
EOS
  pkg=$1
  set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State="$apt/state" -o Dir::Cache="$apt/cache" -o Dir::State::status=/var/lib/dpkg/status \
    -o APT::Sandbox::User=root
  [ -f "$apt/state/updated" ] || { apt-get -q "$@" update >/dev/null && touch "$apt/state/updated"; }
  (cd "$src" && apt-get -q "$@" source --download-only "$pkg" >/dev/null &&
   dpkg-source --skip-patches -x "$pkg"_*.dsc >/dev/null 2>&1)
  d=$(ls -d "$src/$pkg"-[0-9]*/)
  # Debian's own patches, minus the ones that only rename the library for the
  # GnuTLS/NSS flavours.
  if [ -f "$d/debian/patches/series" ]; then
    grep -v -e '^#' -e '^$' -e '^90_gnutls' -e '^99_nss' "$d/debian/patches/series" |
    while read -r p; do patch -d "$d" -p1 -s -N < "$d/debian/patches/$p"; done
  fi
}

case $arch in
  x86_64) cc=musl-gcc; host=x86_64-linux-musl ;;
  arm64)
    cc=$out/arm64/musl/bin/musl-gcc; host=aarch64-linux-musl
    if [ ! -x "$cc" ]; then
      fetch musl
      b=$out/build-musl-arm64; rm -rf "$b"; cp -r "$(ls -d "$src"/musl-[0-9]*/)" "$b"
      (cd "$b" && ./configure --prefix="$out/arm64/musl" --target=aarch64-linux-gnu \
         CROSS_COMPILE=aarch64-linux-gnu- CC=aarch64-linux-gnu-gcc --disable-shared \
         --enable-wrapper=gcc >>"$log" 2>&1 && make -j"$(nproc)" >>"$log" 2>&1 && make install >>"$log" 2>&1)
      rm -rf "$b"
    fi ;;
  host) cc=${CC:-cc} ;;
  *) echo "thirdparty.sh: unknown arch $arch" >&2; exit 2 ;;
esac
cflags="-Os -ffunction-sections -fdata-sections"

fetch curl
b=$out/build-curl-$arch; rm -rf "$b"; cp -r "$(ls -d "$src"/curl-[0-9]*/)" "$b"
# Our own patches (mk/patches/curl-*.patch), applied to the build copy only.
for p in "$here"/patches/curl-*.patch; do patch -d "$b" -p1 -s < "$p"; done
if [ "$arch" = host ]; then
  # Debian's choices where they matter to us (OpenSSL, its CA locations, the
  # threaded resolver, proxies, IPv6); static, HTTP(S) only.
  (cd "$b" && CC=$cc CFLAGS="-O2 -g" ./configure --prefix="$pfx" \
    --disable-shared --enable-static --disable-dependency-tracking \
    --with-openssl --with-zlib --with-ca-path=/etc/ssl/certs \
    --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --enable-threaded-resolver \
    --enable-http --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
    --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb \
    --disable-smtp --disable-gopher --disable-mqtt --disable-manual --disable-websockets \
    --without-brotli --without-zstd --without-libpsl --without-libidn2 --without-nghttp2 \
    --without-libssh --without-libssh2 --without-librtmp --without-hyper --without-ngtcp2 \
    --without-nghttp3 --without-quiche --without-gssapi --without-libgsasl >>"$log" 2>&1 &&
    make -j"$(nproc)" -C lib >>"$log" 2>&1 && make -C lib install >>"$log" 2>&1 &&
    make -C include install >>"$log" 2>&1)
  rm -rf "$b"
  exit 0
fi
(cd "$b" && CC=$cc CFLAGS=$cflags ./configure --prefix="$pfx" --host=$host \
  --disable-shared --enable-static --disable-dependency-tracking \
  --enable-http --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
  --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb \
  --disable-smtp --disable-gopher --disable-mqtt --disable-manual --disable-proxy \
  --disable-unix-sockets --disable-cookies --disable-doh --disable-mime --disable-netrc \
  --disable-progress-meter --disable-dateparse --disable-alt-svc --disable-hsts --disable-ntlm \
  --disable-ntlm-wb --disable-http-auth \
  --disable-verbose --disable-socketpair --disable-websockets \
  --disable-threaded-resolver --disable-ipv6 --without-ssl --without-zlib --without-brotli \
  --without-zstd --without-libpsl --without-libidn2 --without-nghttp2 --without-libssh2 \
  --without-librtmp --without-hyper --without-ngtcp2 --without-nghttp3 --without-quiche \
  --without-gssapi >>"$log" 2>&1 &&
  make -j"$(nproc)" -C lib >>"$log" 2>&1 && make -C lib install >>"$log" 2>&1 &&
  make -C include install >>"$log" 2>&1)
rm -rf "$b"

fetch cjson
d=$(ls -d "$src"/cjson-[0-9]*/)
mkdir -p "$pfx/include/cjson" "$pfx/lib"
cp "$d/cJSON.h" "$pfx/include/cjson/"
$cc $cflags -c "$d/cJSON.c" -o "$pfx/lib/cJSON.o"
ar rcs "$pfx/lib/libcjson.a" "$pfx/lib/cJSON.o"
rm -f "$pfx/lib/cJSON.o"
