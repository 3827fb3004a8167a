#!/usr/bin/env bash
# Installs everything ndrelay's build, tests and end-to-end peers need on Debian bookworm.
# Idempotent: does nothing when every package is already there. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev liblz4-dev libjemalloc-dev libssl-dev libasio-dev libgtest-dev libgmock-dev
  netdata-core curl openssl python3 python3-grpcio python3-lz4 procps
)

missing=()
# Node.js may come from another Debian-format repository that bundles npm; only add Debian's when absent.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# The reflection-driven gRPC client used by the integration tests (what grpcurl does, from npm).
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$here/test/integration/node/package.json" ] && \
   [ ! -d "$here/test/integration/node/node_modules/grpc-js-reflection-client" ]; then
  (cd "$here/test/integration/node" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: ok"
