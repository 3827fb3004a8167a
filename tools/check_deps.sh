#!/usr/bin/env bash
# Enforces the one-way include rules of STYLE.md §3:
#   conf   -> (abseil only)         bridge -> conf          client -> proto (ships alone)
#   server -> bridge, conf, proto   tools  -> client, conf, bridge
# Exits non-zero and names every offending line.
set -u
cd "$(dirname "$0")/.."
fail=0
check() {  # check DIR REGEX WHY
  local hits
  hits=$(grep -rnE --include='*.h' --include='*.cc' "$2" "$1" 2>/dev/null || true)
  if [ -n "$hits" ]; then
    echo "check_deps: $1 must not include $3:"
    echo "$hits"
    fail=1
  fi
}
check conf   '#include "(server|bridge|client|proto|ndrelay/v1|tools)/' 'anything but abseil'
check bridge '#include "(server|client|tools)/|#include "ndrelay/v1/|#include [<"]grpcpp?/' 'server/, client/, proto or gRPC'
check client '#include "(server|bridge|conf|tools)/' 'server/, bridge/ or conf/'
check server '#include "(client|tools)/' 'client/ or tools/'
check tools  '#include "server/' 'server/'
[ $fail -eq 0 ] && echo "check_deps: ok"
exit $fail
