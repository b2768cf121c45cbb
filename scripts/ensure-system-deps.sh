#!/usr/bin/env bash
# Installs Debian packages when they are missing. Needs root (and apt-get); otherwise it prints the
# exact command and exits 1.
#   scripts/ensure-system-deps.sh          what the tests need: browser, speech synthesis/recognition,
#                                          audio tools, compose validator, haproxy and redis-server for
#                                          the cluster tests, ps for process-tree lookups, caddy (TLS),
#                                          prometheus + promtool (the metrics test scrapes the stack)
#   scripts/ensure-system-deps.sh speech   only the local speech engines (npm start with local providers)
# Both install libjemalloc2, the malloc of agent job processes (AGENT_JOB_ALLOCATOR, docs/agent.md).
set -euo pipefail
need=()
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v pocketsphinx_continuous >/dev/null || need+=(pocketsphinx)
[ -d /usr/share/pocketsphinx/model/en-us ] || need+=(pocketsphinx-en-us)
compgen -G '/usr/lib/*/libjemalloc.so.2' >/dev/null || compgen -G '/usr/lib/libjemalloc.so.2' >/dev/null || need+=(libjemalloc2)
if [ "${1:-all}" != speech ]; then
  command -v chromium >/dev/null || need+=(chromium)
  command -v flite >/dev/null || need+=(flite)
  command -v sox >/dev/null || need+=(sox)
  command -v docker-compose >/dev/null || need+=(docker-compose)
  command -v haproxy >/dev/null || command -v /usr/sbin/haproxy >/dev/null || need+=(haproxy)
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v ps >/dev/null || need+=(procps)
  command -v caddy >/dev/null || need+=(caddy)
  command -v prometheus >/dev/null || need+=(prometheus)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${need[*]}. Install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${need[@]}" >/dev/null
