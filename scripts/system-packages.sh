#!/usr/bin/env bash
# Debian packages the services and the tests need; installed only when missing, from the distribution's archive
# (apt-get, as root or with sudo), nothing from anywhere else. On a machine that has them all, nothing happens.
# ffmpeg: video processing; apache2-utils: `ab`, the native HTTP client of `make bench` (bench/ab.py);
# chromium: the browser the web tests and bench/web.py drive (Playwright for Python with executable_path, never a
# browser download); rabbitmq-server, postgresql: the server binaries `make run`
# and `make test` start privately for a checkout when no broker or database is configured or answering
# (libs/platform/engines.py, docs/operations.md). `ab` is also the flood test's load generator
# (tests/e2e/test_admission.py).
set -euo pipefail
missing=()
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
command -v ab >/dev/null 2>&1 || missing+=(apache2-utils)
[ -x /usr/bin/chromium ] || missing+=(chromium)
{ [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || command -v rabbitmq-server >/dev/null 2>&1; } \
  || missing+=(rabbitmq-server)
{ compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null 2>&1; } \
  || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

command="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
  SUDO="sudo"
else
  echo "missing Debian packages: ${missing[*]}. Install them (as root) with:" >&2
  echo "  sudo apt-get update && sudo $command" >&2
  exit 1
fi

# The server packages would start system-wide services at install time (or fail to, in a container without an
# init system). They are not needed running: `make run` starts private ones. A policy-rc.d that refuses every
# start (exit 101) stops that, for this installation only; an existing policy is left as it is.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ] && [[ " ${missing[*]} " == *" rabbitmq-server "* || " ${missing[*]} " == *" postgresql "* ]]
then
  printf '#!/bin/sh\n# hientruong scripts/system-packages.sh: no service starts during this installation\nexit 101\n' \
    | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive $command -qq >/dev/null
