#!/usr/bin/env bash
# Install the Debian packages listed in requirements/apt.txt that are missing: as root with apt-get (visible
# progress), otherwise print the command to run and fail, so that no test runs without them.
set -euo pipefail
list="${1:-$(dirname "$0")/apt.txt}"
missing=()
while read -r package _; do
  [[ -z "$package" || "$package" == \#* ]] && continue
  if [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done <"$list"
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ "$(id -u)" -ne 0 ]]; then
  echo "The test suite needs Debian packages that are not installed: ${missing[*]}" >&2
  echo "Install them, then run make test again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages the test suite needs: ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
