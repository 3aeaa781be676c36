#!/usr/bin/env bash
# Unpacks Debian's nginx (no root: `apt-get download` + `dpkg-deb -x`, as kube-twin.sh does for etcd) into
# .tools/nginx/ once, for the test that runs the scale-from-zero responder's nginx.conf for real; prints the binary's
# path on stdout. An nginx already on PATH is used as is.
set -euo pipefail
cd "$(dirname "$0")/../.."
if command -v nginx >/dev/null 2>&1; then command -v nginx; exit 0; fi
for p in /usr/sbin/nginx /usr/bin/nginx; do [ -x "$p" ] && { echo "$p"; exit 0; }; done
DIR="$PWD/.tools/nginx"
if [ ! -x "$DIR/usr/sbin/nginx" ]; then
  command -v apt-get >/dev/null 2>&1 || { echo "nginx.sh: needs nginx on PATH or Debian's apt-get to fetch it" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download nginx >&2) || { echo "nginx.sh: apt-get download nginx failed" >&2; exit 1; }
  mkdir -p "$tmp/x"
  dpkg-deb -x "$tmp"/nginx_*.deb "$tmp/x"
  mkdir -p "$DIR"
  rm -rf "$DIR/usr"
  mv "$tmp/x/usr" "$DIR/usr"
fi
echo "$DIR/usr/sbin/nginx"
