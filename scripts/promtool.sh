#!/usr/bin/env bash
# promtool (Prometheus's rule checker and rule unit-test runner) for tests/deploy, taken from Debian's
# `prometheus` package without installing it (no daemon, no service): the binary alone goes to $1/promtool.
set -euo pipefail
dest="$(cd "${1:?usage: promtool.sh BIN_DIR}" && pwd)"
[ -x "$dest/promtool" ] && exit 0
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download prometheus >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  apt-get download prometheus >/dev/null
fi
dpkg-deb -x prometheus_*.deb root
install -m 0755 root/usr/bin/promtool "$dest/promtool"
echo "promtool $("$dest/promtool" --version 2>&1 | head -1 | awk '{print $3}') installed in $dest"
