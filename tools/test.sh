#!/usr/bin/env bash
# The whole test suite, as CI runs it: dependency lint, format check, the release build with
# every unit, fuzz-corpus and end-to-end test (real Netdata included), then the unit and fuzz
# tests again under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

bash tools/check_deps.sh

# Protocol tests replay the real Netdata captures from ../shared; without them they would skip.
captures=${NDRELAY_SHARED_DIR:-$(cd .. && pwd)/shared}/netdata-peer/captures
if [ ! -f "$captures/INDEX.md" ]; then
  echo "test.sh: real Netdata captures not found at $captures (shared/ must sit beside the checkout)"
  exit 1
fi

echo "== format check"
bad=$(git ls-files '*.h' '*.cc' | xargs -r clang-format --dry-run -Werror 2>&1 | grep -c "error:" || true)
if [ "$bad" != "0" ]; then
  git ls-files '*.h' '*.cc' | xargs -r clang-format --dry-run -Werror 2>&1 | grep "error:" | head -20
  echo "format check: $bad problems (run clang-format -i)"
  exit 1
fi

echo "== release build"
bash tools/build.sh build -DNDRELAY_WERROR=ON
echo "== tests (release)"
(cd build && ctest --output-on-failure -j2 --timeout 900)

if [ "${NDRELAY_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== ASan+UBSan build"
  bash tools/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug "-DNDRELAY_SANITIZE=address;undefined"
  echo "== tests (ASan+UBSan): unit, fuzz corpus replay, foundation end-to-end"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j2 --timeout 900 -LE netdata)
fi
echo "== all tests passed in $(( $(date +%s) - start )) s"
