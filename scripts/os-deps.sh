#!/usr/bin/env bash
# OS packages the tests need, installed with apt-get only when missing (idempotent, quick).
#   postgresql: the test fixture starts a throwaway cluster on a loopback port.
#   and the packages named as arguments (the demo corpus's fortune packages).
set -euo pipefail
missing=()
if ! command -v pg_ctl >/dev/null && ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
  missing+=(postgresql)
fi
for package in "$@"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: please install ${missing[*]} (tests needing them will be skipped)" >&2
  exit 0
fi
echo "installing OS packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
