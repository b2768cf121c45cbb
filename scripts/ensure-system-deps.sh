#!/usr/bin/env bash
# Installs the Debian packages the tests need (browser, speech synthesis/recognition, audio tools,
# compose validator, haproxy and redis-server for the cluster tests, ps for process-tree lookups) when
# they are missing. Needs root; otherwise it lists what to install.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v flite >/dev/null || need+=(flite)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
command -v pocketsphinx_continuous >/dev/null || need+=(pocketsphinx)
[ -d /usr/share/pocketsphinx/model/en-us ] || need+=(pocketsphinx-en-us)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v haproxy >/dev/null || command -v /usr/sbin/haproxy >/dev/null || need+=(haproxy)
command -v redis-server >/dev/null || need+=(redis-server)
command -v ps >/dev/null || need+=(procps)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${need[*]}. Install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${need[@]}" >/dev/null
