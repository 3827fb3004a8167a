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
# Runs ctest in build dir $1 with the extra arguments; a skipped test fails the run (in CI every
# prerequisite is installed, so a skip means a test silently stopped testing anything).
run_ctest() {
  local dir=$1
  shift
  local log
  log=$(mktemp)
  if ! (cd "$dir" && ctest --output-on-failure -j2 --timeout 900 "$@") 2>&1 | tee "$log"; then
    rm -f "$log"
    return 1
  fi
  if grep -q "(Skipped)" "$log" && [ "${NDRELAY_ALLOW_SKIPS:-0}" != "1" ]; then
    grep "(Skipped)" "$log"
    echo "test.sh: tests were skipped (set NDRELAY_ALLOW_SKIPS=1 to accept that locally)"
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

echo "== tests (release)"
run_ctest build

if [ "${NDRELAY_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== ASan+UBSan build"
  bash tools/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug "-DNDRELAY_SANITIZE=address;undefined"
  echo "== tests (ASan+UBSan): unit, fuzz corpus replay, foundation end-to-end"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest build-asan -LE netdata
fi
if [ "${NDRELAY_SKIP_FUZZ:-0}" != "1" ]; then
  echo "== libFuzzer (clang, ASan+UBSan): each target from its corpus for ${NDRELAY_FUZZ_SECONDS:-20} s"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNDRELAY_FUZZ=ON >/dev/null
  targets=$(cd test/fuzz && ls ./*_fuzz.cc | sed 's|^\./||; s|\.cc$||')
  # shellcheck disable=SC2086
  cmake --build build-fuzz -j"$(nproc)" --target $targets
  for t in $targets; do
    work=$(mktemp -d)
    cp test/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
    if ! (cd build-fuzz && ./test/fuzz/"$t" -max_total_time="${NDRELAY_FUZZ_SECONDS:-20}" \
            -rss_limit_mb=2048 -print_final_stats=0 "$work" >"$work.log" 2>&1); then
      tail -40 "$work.log"
      echo "test.sh: fuzz target $t found a crash (input saved under build-fuzz/)"
      exit 1
    fi
    echo "$t: $(grep -E '^Done' "$work.log")"
    rm -rf "$work" "$work.log"
  done
fi
echo "== all tests passed in $(( $(date +%s) - start )) s"
