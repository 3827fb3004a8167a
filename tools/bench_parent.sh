#!/usr/bin/env bash
# bench_parent.sh: the same synthetic Netdata child load (tools/ndrelay-load) against
#   (a) ndrelay (ram mode, lz4, history 3600 s, and again with a small history), and
#   (b) a real Netdata 1.37.1 parent (shared/netdata-peer/start-netdata, ram mode),
# in two load shapes: the default 250 charts x 4 dims per child (a real 1.37.1 child averages
# 3.8 dims per chart) and a "wide" 50 x 20 (comparison runs only, labels ending in -wide).
# Measures each parent's CPU (in ns, from a per-run cgroup holding the parent's whole process
# tree: cgroup v1 cpuacct.usage or cgroup v2 cpu.stat usage_usec; without a writable cgroup
# hierarchy, utime+stime ticks of the tree from /proc) and its RSS (VmRSS, summed over the
# tree) before and during the load. Prints a markdown table and, with --write-doc, puts it into
# docs/BENCHMARKS.md between the bench markers.
#
# usage: tools/bench_parent.sh [BUILD_DIR] [--quick] [--write-doc] [--skip-netdata] [--no-wide]
#                              [--keep]
#   BUILD_DIR       holds tools/ndrelay-load and server/ndrelay (default: <repo>/build); this
#                   script builds nothing
#   --quick         a small, short load (smoke test, ~2 min; shapes 10x4 and wide 4x10)
#   --write-doc     replace the results block of docs/BENCHMARKS.md
#   --skip-netdata  only ndrelay
#   --no-wide       skip the wide-shape comparison runs
#   --keep          keep the work directory (logs, configs, raw reports)
# environment: NDRELAY_SHARED_DIR (default <repo>/../shared), BENCH_CHILDREN (20),
#   BENCH_CHARTS (250), BENCH_DIMS (4), BENCH_WIDE_CHARTS (50), BENCH_WIDE_DIMS (20),
#   BENCH_DURATION (60), BENCH_MULTIPLIER (10), BENCH_MULT_DURATION (30),
#   BENCH_SMALL_HISTORY (60), BENCH_CPU_SOURCE (auto; or cgroup-v1, cgroup-v2, proc-ticks)
#
# Loopback only. Every process it starts is stopped by PID on exit (trap); the per-run cgroups
# (ndrelay-bench-<pid>-<label>) are removed after each run and on exit.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD=""
QUICK=0
WRITE_DOC=0
SKIP_NETDATA=0
NO_WIDE=0
KEEP=0
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    --write-doc) WRITE_DOC=1 ;;
    --skip-netdata) SKIP_NETDATA=1 ;;
    --no-wide) NO_WIDE=1 ;;
    --keep) KEEP=1 ;;
    -h|--help) awk 'NR == 1 { next } /^#/ { print; next } { exit }' "$0"; exit 0 ;;
    -*) echo "bench_parent.sh: unknown option $a" >&2; exit 2 ;;
    *) BUILD="$a" ;;
  esac
done
BUILD="$(cd "${BUILD:-$REPO/build}" && pwd)"
SHARED="${NDRELAY_SHARED_DIR:-$REPO/../shared}"
LOAD="$BUILD/tools/ndrelay-load"
NDRELAY="$BUILD/server/ndrelay"
START_ND="$SHARED/netdata-peer/start-netdata"
STOP_ND="$SHARED/netdata-peer/stop-netdata"
REFLECT="$REPO/test/integration/node/reflect_call.js"
KEY="11111111-2222-3333-4444-555555555555"

CHILDREN="${BENCH_CHILDREN:-20}"
CHARTS="${BENCH_CHARTS:-250}"
DIMS="${BENCH_DIMS:-4}"
WIDE_CHARTS="${BENCH_WIDE_CHARTS:-50}"
WIDE_DIMS="${BENCH_WIDE_DIMS:-20}"
DURATION="${BENCH_DURATION:-60}"
MULT="${BENCH_MULTIPLIER:-10}"
MULT_DURATION="${BENCH_MULT_DURATION:-30}"
SMALL_HISTORY="${BENCH_SMALL_HISTORY:-60}"
IDLE_SECONDS=5
if [ "$QUICK" = 1 ]; then
  CHILDREN=4; CHARTS=10; DIMS=4; WIDE_CHARTS=4; WIDE_DIMS=10
  DURATION=8; MULT=10; MULT_DURATION=5; IDLE_SECONDS=2
fi

die() { echo "bench_parent.sh: $*" >&2; exit 1; }
[ -x "$LOAD" ] || die "$LOAD not found (build the ndrelay-load target first)"
[ -x "$NDRELAY" ] || die "$NDRELAY not found (build the ndrelay target first)"
if [ "$SKIP_NETDATA" = 0 ]; then
  [ -x "$START_ND" ] || die "$START_ND not found (set NDRELAY_SHARED_DIR)"
  [ -x /usr/sbin/netdata ] || die "/usr/sbin/netdata not installed (apt-get install netdata-core)"
fi
command -v python3 >/dev/null || die "python3 needed"

WORK="$(mktemp -d /tmp/ndrelay-bench.XXXXXX)"
RESULTS="$WORK/results.txt"
: > "$RESULTS"
NDRELAY_PID=""
ND_STATE=""
cleanup() {
  local rc=$?
  if [ -n "$NDRELAY_PID" ] && kill -0 "$NDRELAY_PID" 2>/dev/null; then
    kill -TERM "$NDRELAY_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$NDRELAY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NDRELAY_PID" 2>/dev/null || true
  fi
  if [ -n "$ND_STATE" ]; then "$STOP_ND" "$ND_STATE" >/dev/null 2>&1 || true; fi
  cg_remove
  if [ "$KEEP" = 1 ] || [ $rc -ne 0 ]; then
    echo "bench_parent.sh: work directory kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CLK_TCK="$(getconf CLK_TCK)"

# ---- /proc helpers --------------------------------------------------------------------------
tree_pids() {  # $1 and all its descendants
  local p=$1 t
  echo "$p"
  for t in /proc/"$p"/task/*/children; do
    [ -r "$t" ] || continue
    # shellcheck disable=SC2013  # the file is one line of space-separated PIDs
    for c in $(cat "$t" 2>/dev/null); do tree_pids "$c"; done
  done
}
tree_ticks() {  # utime+stime of the tree, plus cutime+cstime (children already reaped), in ticks
  local sum=0 p f
  for p in $(tree_pids "$1"); do
    f="$(cat /proc/"$p"/stat 2>/dev/null)" || continue
    f="${f##*) }"  # fields from 3 on (comm may hold spaces)
    # shellcheck disable=SC2086
    set -- $f
    sum=$(( sum + ${12} + ${13} + ${14} + ${15} ))
  done
  echo "$sum"
}
tree_rss_kb() {
  local sum=0 p v
  for p in $(tree_pids "$1"); do
    v="$(awk '/^VmRSS:/{print $2}' /proc/"$p"/status 2>/dev/null)" || continue
    sum=$(( sum + ${v:-0} ))
  done
  echo "$sum"
}

# ---- CPU accounting ---------------------------------------------------------------------------
# Right after a parent starts, run_one puts its whole process tree into a cgroup of its own
# (cgroup.procs moves every thread of a process; processes forked later inherit the cgroup) and
# reads the tree's CPU from it in ns, exited threads and children included. Without a writable
# cgroup hierarchy: utime+stime (+cutime+cstime) ticks of the tree from /proc (1/CLK_TCK s).
CG_KIND=""               # v1 | v2 | "" (none usable)
CG_BASE=""               # where the per-run cgroups are made
CG_DIR=""                # the current run's cgroup
CPU_SOURCE=proc-ticks    # the current run's source: cgroup-v1 | cgroup-v2 | proc-ticks
cg_self_path() {  # $1 = v1 controller, or "" for the v2 hierarchy: our cgroup path in it
  awk -F: -v c="$1" '(c == "" && $1 == "0" && $2 == "") { print $3; exit }
                     (c != "" && index("," $2 ",", "," c ",")) { print $3; exit }' /proc/self/cgroup
}
cg_probe() {  # sets CG_KIND and CG_BASE if a cgroup can be made (and removed) there
  local want="${BENCH_CPU_SOURCE:-auto}" m base t
  [ "$want" = proc-ticks ] && return 0
  if [ "$want" = auto ] || [ "$want" = cgroup-v1 ]; then
    # a cgroup v1 hierarchy with the cpuacct controller (/sys/fs/cgroup/cpuacct or cpu,cpuacct)
    m="$(awk '$3 == "cgroup" && ("," $4 ",") ~ /,cpuacct,/ { print $2; exit }' /proc/self/mounts)"
    if [ -n "$m" ] && [ -f "$m/cpuacct.usage" ]; then
      base="$m$(cg_self_path cpuacct)"; base="${base%/}"; [ -d "$base" ] || base=$m
      t="$base/ndrelay-bench-$$-probe"
      if mkdir "$t" 2>/dev/null; then
        if [ -r "$t/cpuacct.usage" ] && [ -w "$t/cgroup.procs" ]; then CG_KIND=v1; CG_BASE=$base; fi
        rmdir "$t" 2>/dev/null || true
        [ -n "$CG_KIND" ] && return 0
      fi
    fi
  fi
  if [ "$want" = auto ] || [ "$want" = cgroup-v2 ]; then
    # cgroup v2 (pure, or the hybrid "unified" mount); cpu.stat usage_usec needs no controller
    for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
      [ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ] || continue
      base="$m$(cg_self_path "")"; base="${base%/}"; [ -d "$base" ] || base=$m
      t="$base/ndrelay-bench-$$-probe"
      if mkdir "$t" 2>/dev/null; then
        if grep -q '^usage_usec ' "$t/cpu.stat" 2>/dev/null && [ -w "$t/cgroup.procs" ]; then
          CG_KIND=v2; CG_BASE=$base
        fi
        rmdir "$t" 2>/dev/null || true
        [ -n "$CG_KIND" ] && return 0
      fi
    done
  fi
  [ "$want" = auto ] || echo "bench_parent.sh: BENCH_CPU_SOURCE=$want not usable here" >&2
  return 0
}
cg_attach() {  # $1 = run label, $2 = parent PID: a new cgroup holding the parent's whole tree
  CPU_SOURCE=proc-ticks
  [ -n "$CG_KIND" ] || return 0
  local d="$CG_BASE/ndrelay-bench-$$-$1" p pass
  if ! mkdir "$d" 2>/dev/null; then
    echo "bench_parent.sh: cannot create cgroup $d; CPU from /proc ticks for $1" >&2
    return 0
  fi
  CG_DIR=$d
  for pass in 1 2; do  # a second pass catches a process forked while the first one ran
    for p in $(tree_pids "$2"); do
      if ! echo "$p" 2>/dev/null > "$d/cgroup.procs" && [ -d "/proc/$p" ]; then
        echo "bench_parent.sh: cannot move pid $p into $d (pass $pass); CPU from /proc ticks" \
             "for $1" >&2
        cg_remove
        return 0
      fi
    done
  done
  if ! grep -qx "$2" "$d/cgroup.procs"; then
    echo "bench_parent.sh: pid $2 is not in $d; CPU from /proc ticks for $1" >&2
    cg_remove
    return 0
  fi
  CPU_SOURCE=cgroup-$CG_KIND
}
cg_remove() {  # removes the run's cgroup (the parent has stopped); leftovers go to its parent
  local d=$CG_DIR p
  [ -n "$d" ] || return 0
  for _ in $(seq 50); do
    if [ ! -d "$d" ] || rmdir "$d" 2>/dev/null; then CG_DIR=""; return 0; fi
    { while read -r p; do
        echo "$p" 2>/dev/null > "${d%/*}/cgroup.procs" || true
      done < "$d/cgroup.procs"; } 2>/dev/null || true
    sleep 0.1
  done
  echo "bench_parent.sh: could not remove cgroup $d" >&2
  CG_DIR=""
}
cpu_ns() {  # $1 = parent PID: CPU of its process tree so far, in ns, from CPU_SOURCE
  local k v
  case "$CPU_SOURCE" in
    cgroup-v1) cat "$CG_DIR/cpuacct.usage" ;;
    cgroup-v2)
      while read -r k v; do
        if [ "$k" = usage_usec ]; then echo $(( v * 1000 )); return 0; fi
      done < "$CG_DIR/cpu.stat"
      echo "bench_parent.sh: no usage_usec in $CG_DIR/cpu.stat" >&2; return 1 ;;
    *) echo $(( $(tree_ticks "$1") * 1000000000 / CLK_TCK )) ;;
  esac
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- parents ----------------------------------------------------------------------------------
PARENT_PID=""
PARENT_PORT=""
start_ndrelay() {  # $1 = history seconds, $2 = dir
  local h=$1 d=$2
  mkdir -p "$d/etc"
  cat > "$d/etc/netdata.conf" <<EOF
[global]
    hostname = ndrelay-bench
    memory mode = ram
    history = $h
[db]
    mode = ram
    retention = $h
[web]
    bind to = 127.0.0.1:0
[directories]
    lib = $d/lib
    cache = $d/cache
    log = $d/log
[registry]
    netdata unique id file = $d/lib/registry/netdata.public.unique.id
[health]
    enabled = no
EOF
  cat > "$d/etc/stream.conf" <<EOF
[$KEY]
    type = api
    enabled = yes
    allow from = *
    default memory mode = ram
    default history = $h
    health enabled by default = no
    enable compression = yes
    enable replication = yes
EOF
  "$NDRELAY" --config-dir "$d/etc" --port-file "$d/ports" --log-level warning > "$d/ndrelay.log" 2>&1 &
  NDRELAY_PID=$!
  for _ in $(seq 100); do [ -s "$d/ports" ] && break; sleep 0.1; done
  [ -s "$d/ports" ] || die "ndrelay did not start: $(tail -5 "$d/ndrelay.log")"
  PARENT_PID=$NDRELAY_PID
  PARENT_PORT="$(head -1 "$d/ports" | sed 's/.*://')"
}
stop_ndrelay() {
  kill -TERM "$NDRELAY_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$NDRELAY_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$NDRELAY_PID" 2>/dev/null || true
  wait "$NDRELAY_PID" 2>/dev/null || true
  NDRELAY_PID=""
}
start_netdata() {  # $1 = dir
  ND_STATE=$1
  PARENT_PORT="$(free_port)"
  # Its own collectors off: we measure ingestion, not the parent's own monitoring.
  "$START_ND" "$ND_STATE" --port "$PARENT_PORT" --hostname netdata-bench \
    --guid 00000000-0000-0000-0000-0000000000be --accept-key "$KEY" --memory-mode ram \
    --history 3600 --internal-stats no --disable-internal proc --disable-internal diskspace \
    --disable-internal timex --disable-internal idlejitter --fresh > "$ND_STATE.start.txt"
  PARENT_PID="$(sed -n 's/^PID=//p' "$ND_STATE.start.txt")"
  [ -n "$PARENT_PID" ] || die "netdata did not start: $(cat "$ND_STATE.start.txt")"
}
stop_netdata() {
  "$STOP_ND" "$ND_STATE" > /dev/null 2>&1 || true
  ND_STATE=""
}

# ---- verification -----------------------------------------------------------------------------
verify_ndrelay() {  # $1 = dir; prints "nodes=N values_received=V storage_bytes=B rows=R"
  local d=$1
  if [ ! -f "$REFLECT" ] || ! command -v node >/dev/null; then
    echo "nodes=0 values_received=0 storage_bytes=0 rows=0 verify=skipped(no-node)"
    return
  fi
  (cd "$(dirname "$REFLECT")" && node "$REFLECT" "127.0.0.1:$PARENT_PORT" call \
     ndrelay.v1.Admin/ListNodes '{}') > "$d/listnodes.json" 2>/dev/null || echo '{}' > "$d/listnodes.json"
  (cd "$(dirname "$REFLECT")" && node "$REFLECT" "127.0.0.1:$PARENT_PORT" call \
     ndrelay.v1.Admin/QueryData '{"node":"bench-0001","chart":"ndload.c0001","after":-3600}') \
     > "$d/querydata.json" 2>/dev/null || echo '{}' > "$d/querydata.json"
  python3 - "$d/listnodes.json" "$d/querydata.json" <<'EOF2'
import json, sys
def load(p):
    try:
        return json.load(open(p))
    except Exception:
        return {}
d, q = load(sys.argv[1]), load(sys.argv[2])
ns = [n for n in d.get('nodes', []) if n.get('hostname', '').startswith('bench-')]
v = sum(int(n.get('values_received', 0)) for n in ns)
b = sum(int(n.get('storage_bytes', 0)) for n in ns)
rows = [r for r in q.get('rows', []) if not all(f & 1 for f in r.get('flags', [1]))]
print(f"nodes={len(ns)} values_received={v} storage_bytes={b} rows={len(rows)}")
EOF2
}
verify_netdata() {  # $1 = dir; prints "nodes=N ... rows=R"
  local d=$1
  curl -s -m 10 "http://127.0.0.1:$PARENT_PORT/api/v1/info" > "$d/info.json" || true
  curl -s -m 10 "http://127.0.0.1:$PARENT_PORT/host/bench-0001/api/v1/data?chart=ndload.c0001&after=-3600&format=json&options=nonzero" \
    > "$d/data.json" || true
  python3 - "$d/info.json" "$d/data.json" <<'EOF2'
import json, sys
def load(p):
    try:
        return json.load(open(p))
    except Exception:
        return {}
d, q = load(sys.argv[1]), load(sys.argv[2])
ns = [h for h in d.get('mirrored_hosts', []) if h.startswith('bench-')]
res = q.get('result') if isinstance(q.get('result'), dict) else q
rows = res.get('data', []) if isinstance(res, dict) else []
rows = [r for r in rows if any(v not in (None, 0) for v in r[1:])]
print(f"nodes={len(ns)} values_received=na storage_bytes=na rows={len(rows)}")
EOF2
}

# ---- one measured run -------------------------------------------------------------------------
# $1 label, $2 parent kind (ndrelay|netdata), $3 history, $4 rate multiplier, $5 duration,
# $6 protocol, $7 charts per child, $8 dimensions per chart
SETTLE_SLACK_NS=20000000  # settled: CPU rate at most the idle rate + 20 ms/s (2% of a core)
run_one() {
  local label=$1 kind=$2 hist=$3 mult=$4 dur=$5 proto=$6 charts=$7 dims=$8
  local dir="$WORK/$label"
  mkdir -p "$dir"
  echo "== $label: $kind history=$hist x$mult ${dur}s $proto ${charts}x${dims}" >&2
  if [ "$kind" = ndrelay ]; then start_ndrelay "$hist" "$dir/parent"; else start_netdata "$dir/parent"; fi
  cg_attach "$label" "$PARENT_PID"
  sleep 1
  local rss_base t0 t1 n0 n1 idle idle_ns
  rss_base="$(tree_rss_kb "$PARENT_PID")"
  n0="$(cpu_ns "$PARENT_PID")"; t0="$(tree_ticks "$PARENT_PID")"
  sleep "$IDLE_SECONDS"
  n1="$(cpu_ns "$PARENT_PID")"; t1="$(tree_ticks "$PARENT_PID")"
  idle=$(( t1 - t0 )); idle_ns=$(( n1 - n0 ))  # per IDLE_SECONDS
  local cmd=("$LOAD" --parent "127.0.0.1:$PARENT_PORT" --children "$CHILDREN" --charts "$charts"
             --dims "$dims" --update-every 1 --compression yes --protocol "$proto"
             --duration "$dur" --rate-multiplier "$mult" --api-key "$KEY"
             --hostname-prefix bench --seed 1)
  echo "${cmd[*]//$BUILD\//}" > "$dir/command.txt"
  local before before_ns after after_ns rss_load=0 rss_peak=0 r gen_pid
  before_ns="$(cpu_ns "$PARENT_PID")"; before="$(tree_ticks "$PARENT_PID")"
  local t_start_ms t_ms
  t_start_ms=$(( ${EPOCHREALTIME/./} / 1000 ))
  "${cmd[@]}" > "$dir/load.txt" 2> "$dir/load.err" &
  gen_pid=$!
  while kill -0 "$gen_pid" 2>/dev/null; do
    r="$(tree_rss_kb "$PARENT_PID")"
    t_ms=$(( ${EPOCHREALTIME/./} / 1000 - t_start_ms ))
    # "Under load": the last sample while every child still streams (before the drain).
    if [ "$t_ms" -lt $(( dur * 1000 - 500 )) ]; then rss_load=$r; fi
    if [ "$r" -gt "$rss_peak" ]; then rss_peak=$r; fi
    sleep 1
  done
  wait "$gen_pid" || true
  # Let the parent finish what is still in its socket buffers: wait until its CPU use is back
  # to the idle rate (at most 30 s).
  local prev cur settle=0
  prev="$(cpu_ns "$PARENT_PID")"
  while [ "$settle" -lt 60 ]; do
    sleep 0.5; settle=$((settle + 1))
    cur="$(cpu_ns "$PARENT_PID")"
    if [ $(( (cur - prev) * 2 * IDLE_SECONDS )) -le \
         $(( idle_ns + SETTLE_SLACK_NS * IDLE_SECONDS )) ]; then
      break
    fi
    prev=$cur
  done
  after_ns="$(cpu_ns "$PARENT_PID")"; after="$(tree_ticks "$PARENT_PID")"
  local rss_end verify allocator=glibc
  rss_end="$(tree_rss_kb "$PARENT_PID")"
  # Which malloc the parent runs on (ndrelay links jemalloc; a Netdata build may too).
  if grep -q libjemalloc "/proc/$PARENT_PID/maps" 2>/dev/null; then allocator=jemalloc; fi
  if [ "$kind" = ndrelay ]; then verify="$(verify_ndrelay "$dir")"; else verify="$(verify_netdata "$dir")"; fi
  if [ "$kind" = ndrelay ]; then stop_ndrelay; else stop_netdata; fi
  cg_remove
  echo "label=$label kind=$kind history=$hist mult=$mult duration=$dur protocol=$proto" \
       "children=$CHILDREN charts=$charts dims=$dims cpu_source=$CPU_SOURCE" \
       "cpu_ns=$(( after_ns - before_ns )) idle_ns=$idle_ns clk_tck=$CLK_TCK idle_ticks=$idle" \
       "idle_seconds=$IDLE_SECONDS cpu_ticks=$(( after - before ))" \
       "settle_half_seconds=$settle rss_base_kb=$rss_base rss_load_kb=$rss_load" \
       "rss_peak_kb=$rss_peak rss_end_kb=$rss_end allocator=$allocator $verify $(sed 's/^/gen_/; s/ / gen_/g' "$dir/load.txt")" \
       >> "$RESULTS"
  tail -1 "$RESULTS" | tr ' ' '\n' |
    grep -E '^(cpu_source|cpu_ns|cpu_ticks|rss_load_kb|gen_samples_sent|gen_errors|values_received|nodes|rows)=' |
    tr '\n' ' ' >&2 || true
  echo >&2
}

# ---- the runs (alternating parents spreads out noise from other load on the machine) ---------
cg_probe
if [ -n "$CG_KIND" ]; then
  echo "bench_parent.sh: CPU from cgroup $CG_KIND per run, under $CG_BASE" >&2
else
  echo "bench_parent.sh: no usable cgroup hierarchy; CPU from /proc ticks (1/$CLK_TCK s)" >&2
fi
# The default shape: all runs.
run_one ndrelay-1x ndrelay 3600 1 "$DURATION" v1 "$CHARTS" "$DIMS"
[ "$SKIP_NETDATA" = 1 ] || run_one netdata-1x netdata 3600 1 "$DURATION" v1 "$CHARTS" "$DIMS"
run_one ndrelay-x"$MULT" ndrelay 3600 "$MULT" "$MULT_DURATION" v1 "$CHARTS" "$DIMS"
[ "$SKIP_NETDATA" = 1 ] ||
  run_one netdata-x"$MULT" netdata 3600 "$MULT" "$MULT_DURATION" v1 "$CHARTS" "$DIMS"
run_one ndrelay-h"$SMALL_HISTORY"-1x ndrelay "$SMALL_HISTORY" 1 "$DURATION" v1 "$CHARTS" "$DIMS"
run_one ndrelay-v2-x"$MULT" ndrelay 3600 "$MULT" "$MULT_DURATION" v2 "$CHARTS" "$DIMS"
# The wide shape: the comparison runs only.
if [ "$NO_WIDE" = 0 ]; then
  W=("$WIDE_CHARTS" "$WIDE_DIMS")
  run_one ndrelay-1x-wide ndrelay 3600 1 "$DURATION" v1 "${W[@]}"
  [ "$SKIP_NETDATA" = 1 ] || run_one netdata-1x-wide netdata 3600 1 "$DURATION" v1 "${W[@]}"
  run_one ndrelay-x"$MULT"-wide ndrelay 3600 "$MULT" "$MULT_DURATION" v1 "${W[@]}"
  [ "$SKIP_NETDATA" = 1 ] ||
    run_one netdata-x"$MULT"-wide netdata 3600 "$MULT" "$MULT_DURATION" v1 "${W[@]}"
fi

# ---- report -----------------------------------------------------------------------------------
MACHINE="$(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
KERNEL="$(uname -r)"
NDVER="$(/usr/sbin/netdata -v 2>/dev/null | head -1 || echo netdata)"
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$RESULTS" "$MACHINE" "$KERNEL" "$NDVER" "$DATE" "$LOADAVG" "$WORK" \
  > "$WORK/results.md" <<'EOF'
import sys
path, machine, kernel, ndver, date, loadavg, work = sys.argv[1:8]
runs = []
for line in open(path):
    kv = dict(p.split('=', 1) for p in line.split() if '=' in p)
    runs.append(kv)

def f(x, nd=0):
    return f"{x:,.{nd}f}"

def shape(r):
    return f"{r['charts']}x{r['dims']}"

def rate(r):
    return '1x' if int(r['mult']) == 1 else f"x{r['mult']}"

by = {}
for r in runs:
    cpu = int(r['cpu_ns']) / 1e9
    idle_rate = int(r['idle_ns']) / 1e9 / int(r['idle_seconds'])
    samples = int(r['gen_samples_sent'])
    metrics = int(r['gen_metrics'])
    elapsed = float(r['gen_elapsed_s'])
    hist = int(r['history'])
    rss_base = int(r['rss_base_kb']) * 1024
    rss_load = int(r['rss_load_kb']) * 1024
    per_metric = (rss_load - rss_base) / metrics if metrics else 0
    ring = hist * 4  # ndrelay ram: history/update_every points x 4 bytes (update_every = 1)
    if r['kind'] == 'netdata':
        ring = 4096 * 4 if hist == 3600 else hist * 4  # 1.37 rounds 3600 up to 4096 entries
    spc = samples / cpu if cpu > 0 else float('inf')
    r.update(cpu=cpu, idle_rate=idle_rate, samples=samples, spc=spc, per_metric=per_metric,
             ring=ring, beyond=per_metric - ring, elapsed=elapsed)
    by[r['label']] = r

how = {
    'cgroup-v1': "cgroup v1 cpuacct.usage (ns) per parent process tree (one cgroup per run)",
    'cgroup-v2': "cgroup v2 cpu.stat usage_usec per parent process tree (one cgroup per run)",
    'proc-ticks': "utime+stime (+cutime+cstime) from /proc/PID/stat summed over the parent's "
                  f"process tree, in 1/{runs[0]['clk_tck'] if runs else 100} s ticks",
}
sources = {}
for r in runs:
    sources.setdefault(r['cpu_source'], []).append(r['label'])
if len(sources) == 1:
    cpu_how = how.get(next(iter(sources)), next(iter(sources)))
else:
    cpu_how = "; ".join(f"{how.get(k, k)} for {', '.join(v)}" for k, v in sources.items())
print(f"Machine: {machine}; kernel {kernel}; {ndver}; run {date}; load average at the end "
      f"{loadavg} (the machine is shared with other engineers' builds and tests). "
      f"CPU: {cpu_how}.\n")

default = [r for r in runs if not r['label'].endswith('-wide')]
wide = [r for r in runs if r['label'].endswith('-wide')]
if default:
    d0, children = default[0], default[0]['children']
    dshape = f"{d0['charts']} charts x {d0['dims']} dims"
    if shape(d0) != '250x4':
        dshape += " here (250 x 4 in the full run)"
    text = (f"Load shapes, per child ({children} children): the default, {dshape}, is the "
            "shape of a real Netdata 1.37.1 child (its capture "
            "shared/netdata-peer/captures/uncompressed/conn1.c2s.decoded.txt has 800 DIMENSION "
            "lines over 211 CHART lines, 3.8 dimensions per chart, 20.4 bytes per SET line), "
            "where Netdata's per-chart costs weigh more, and the shape the guide's reference "
            "figure for Netdata (about 2.2 CPU-seconds per million samples) matches")
    if wide:
        w0 = wide[0]
        text += (f"; the \"wide\" shape, {w0['charts']} charts x {w0['dims']} dims (the previous "
                 "default), repeats only the comparison runs (labels ending in -wide)")
    print(text + ".\n")

print("| run | parent | dialect | shape | samples sent | parent CPU s | samples / CPU-s"
      " | idle CPU % | RSS before MiB | RSS under load MiB | RSS / metric B | ring B / metric |"
      " beyond ring B / metric | generator CPU % | check |")
print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for r in runs:
    parent = ('ndrelay' if r['kind'] == 'ndrelay' else 'Netdata 1.37.1') + \
        f" (ram, history {r['history']} s)"
    if r['kind'] == 'ndrelay':
        check = (f"ListNodes: {r['nodes']} nodes, values_received {int(r['values_received']):,}"
                 f"; QueryData rows {r['rows']}")
    else:
        check = f"/api/v1/info: {r['nodes']} mirrored bench hosts; /api/v1/data rows {r['rows']}"
    errs = int(r['gen_errors'])
    if errs:
        check += f"; generator errors {errs}"
    print(f"| {r['label']} | {parent} | {r['gen_dialect']} | {shape(r)} | {f(r['samples'])} | "
          f"{r['cpu']:.3f} | {f(r['spc'])} | {100 * r['idle_rate']:.2f} | "
          f"{int(r['rss_base_kb']) / 1024:.1f} | "
          f"{int(r['rss_load_kb']) / 1024:.1f} | {f(r['per_metric'])} | {f(r['ring'])} | "
          f"{f(r['beyond'])} | {float(r['gen_cpu_pct']):.1f} | {check} |")
print()
# ndrelay / Netdata per shape and rate: the default shape first, in run order. The reference
# load is the default shape at 1x: the load on which Netdata spends what the guide quotes for a
# Netdata parent (about 2.2 CPU-seconds per million samples), so the 20x target is read there,
# both as a ratio and as ndrelay's absolute cost (<= 2.2 / 20 = 0.11 CPU-s per million). The
# other loads are comparisons on which Netdata itself gets cheaper per sample; their
# lines give the same figures and say how ndrelay's absolute cost compares with that 0.11.
REFERENCE_CPU_S_PER_MILLION = 2.2
limit = REFERENCE_CPU_S_PER_MILLION / 20
reference = None
for r in default + wide:
    if r['kind'] != 'netdata':
        continue
    b = r
    a = by.get('ndrelay-' + r['label'][len('netdata-'):])
    if not a or b['spc'] <= 0 or a['spc'] <= 0:
        continue
    a_cost, b_cost = 1e6 / a['spc'], 1e6 / b['spc']
    figures = (f"{f(a['spc'])} vs {f(b['spc'])} samples per CPU-s; {a_cost:.3f} vs {b_cost:.3f} "
               f"CPU-s per million samples")
    if reference is None and r in default and int(b['mult']) == 1:
        reference = b
        kind = "the reference load"
        verdict = f"target >= 20x, i.e. ndrelay <= {limit:.2f} CPU-s per million"
    else:
        kind = "comparison load"
        verdict = f"ndrelay {'<=' if a_cost <= limit else '>'} {limit:.2f} CPU-s per million"
        if reference:
            ref_cost = 1e6 / reference['spc']
            figures += (f"; Netdata spends {b_cost / ref_cost:.2f}x its reference-load CPU per "
                        "sample here")
    print(f"* samples per CPU-second, ndrelay / Netdata, {rate(b)}, {b['charts']} charts x "
          f"{b['dims']} dims ({kind}): **{a['spc'] / b['spc']:.1f}x** ({figures}; {verdict})")
for l, r in by.items():
    if r['kind'] == 'ndrelay' and r['gen_dialect'] == 'v1' and l.endswith('-1x'):
        print(f"* {l}: RSS per metric {f(r['per_metric'])} B, minus the {f(r['ring'])} B ring "
              f"(history {r['history']} s x 4 B) = **{f(r['beyond'])} B beyond history** "
              f"(target <= 1024 B)")
print("\nRaw per-run data: one key=value line per run (`results.txt` in the work directory, "
      "kept with `--keep`; `--write-doc` also pastes it below).")
EOF

cat "$WORK/results.md"
cp "$RESULTS" "$WORK/results.raw.txt"
if [ "$WRITE_DOC" = 1 ]; then
  DOC="$REPO/docs/BENCHMARKS.md"
  [ -f "$DOC" ] || printf '# Benchmarks\n\n<!-- bench:begin -->\n<!-- bench:end -->\n' > "$DOC"
  grep -q '<!-- bench:begin -->' "$DOC" || printf '\n<!-- bench:begin -->\n<!-- bench:end -->\n' >> "$DOC"
  python3 - "$DOC" "$WORK/results.md" "$RESULTS" <<'EOF'
import sys
doc, res, raw = sys.argv[1:4]
text = open(doc).read()
block = open(res).read().strip()
raw_lines = open(raw).read().strip()
b, e = '<!-- bench:begin -->', '<!-- bench:end -->'
i, j = text.index(b) + len(b), text.index(e)
new = ("\n" + block + "\n\n<details><summary>raw results</summary>\n\n```\n" + raw_lines +
       "\n```\n</details>\n")
open(doc, 'w').write(text[:i] + new + text[j:])
EOF
  echo "bench_parent.sh: wrote $DOC" >&2
fi
