#!/usr/bin/env bash
# Callback tail latency under listing on a database that is not empty
# (issue 18, item 1; docs/BENCHMARKS.md, "Callback tail under listing"):
# cmd/bench -mode callback (12,000 starts, then the 12,000 callbacks timed
# alone at 32 clients) with two clients paging through the run's RUNNING
# actions meanwhile (every 100 ms, limit=500), auth on (an admin token), on
# a copy of a template SQLite database holding 100,000 finished executions.
# MODE=pipeline times the callbacks with starts going on instead; its
# RUNNING set stays small, so the listers read a page or so a sweep.
#
# The template is seeded once per build (each build's own schema) by the
# bench's pipeline mode, the server stopped, and copied with its -wal and
# -shm for every run, so every run starts from the same state. With BEFORE
# it builds the server at that revision too (a git worktree in a temp dir)
# and interleaves the runs (before, after; then after, before; ...). It
# prints each run's callback p99 and the median of the p99s per build, with
# the commit, the database state, the load average and the exact commands.
# The bench is the working tree's for every build.
#
#   RUNS=5 scripts/bench-tail.sh                    # the working tree only
#   RUNS=5 BEFORE=main~3 scripts/bench-tail.sh      # before/after, interleaved
#   RUNS=1 SEED_N=5000 N=3000 scripts/bench-tail.sh # a quick look
#
# Settings (environment): RUNS (5), BEFORE (none), SEED_N (100000 finished
# executions), SEED_C (64), N (12000 workflows a run), C (32), MODE
# (callback, or pipeline), LISTERS (2), LIST_EVERY (100ms),
# LIST_LIMIT (500), SYNC (full), PORT (9761), PPROF=1 builds with -tags
# pprof (profiles on SIROCCO_PPROF_ADDR, here 127.0.0.1:6071 unless set,
# during each run), TEMPLATES=<dir> keeps
# the seeded templates there and reuses them when present (same build
# only), SERVER_ENV="GOGC=200 ..." is the server's environment on top of
# this one (the bench's stays as is), KEEP=1 keeps the temp dir and the
# server logs. PROFILE=<dir>
# (implies PPROF=1) takes, in each run, a CPU profile of the server (3 s
# from 0.5 s in) and then an execution trace (1 s), and runs the server with
# GODEBUG=gctrace=1, its log kept there: such runs are perturbed by the
# profiling, so their p99s are not the figure.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5} seed_n=${SEED_N:-100000} seed_c=${SEED_C:-64} n=${N:-12000} c=${C:-32}
mode=${MODE:-callback} listers=${LISTERS:-2} every=${LIST_EVERY:-100ms} limit=${LIST_LIMIT:-500}
sync=${SYNC:-full} port=${PORT:-9761} before=${BEFORE:-}
export SIROCCO_PPROF_ADDR=${SIROCCO_PPROF_ADDR:-127.0.0.1:6071}
url=http://127.0.0.1:$port

tmp=$(mktemp -d /tmp/sirocco-tail.XXXXXX)
tpl=${TEMPLATES:-$tmp}
mkdir -p "$tpl"
server="" wt=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -n "$wt" ] && git worktree remove --force "$wt" >/dev/null 2>&1
  if [ -n "${KEEP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

tags=() profile=${PROFILE:-}
[ -n "${PPROF:-}$profile" ] && tags=(-tags pprof)
[ -n "$profile" ] && mkdir -p "$profile" && profile=$(cd "$profile" && pwd)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
go build -o "$tmp/bench" ./cmd/bench
labels=(after)
commit_after=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- cmd internal go.mod go.sum || commit_after="$commit_after+uncommitted"
go build "${tags[@]}" -o "$tmp/sirocco-after" ./cmd/server
if [ -n "$before" ]; then
  commit_before=$(git rev-parse --short "$before")
  wt="$tmp/before-src"
  git worktree add --detach "$wt" "$before" >/dev/null
  (cd "$wt" && go build "${tags[@]}" -o "$tmp/sirocco-before" ./cmd/server)
  git worktree remove --force "$wt" >/dev/null && wt=""
  labels=(before after)
fi
commit_of() { if [ "$1" = before ]; then echo "$commit_before"; else echo "$commit_after"; fi; }

# serve label db: starts that build's server on db; sets $server.
serve() {
  if curl -fsS "$url/readyz" >/dev/null 2>&1; then
    echo "something already answers on $url: set PORT" >&2
    exit 1
  fi
  # The admin password matters only to the first start, on an empty file.
  # shellcheck disable=SC2086 # SERVER_ENV is a list of VAR=value words
  env ${SERVER_ENV:-} ${godebug:+GODEBUG=$godebug} ${pw:+SIROCCO_ADMIN_PASSWORD=$pw} "$tmp/sirocco-$1" -addr 127.0.0.1:"$port" -db "$2" -seed=false \
    -log-level warn -auth on -sync "$sync" >>"$tmp/server-$1.out" 2>>"$tmp/server-$1.log" &
  server=$!
  for _ in $(seq 300); do
    kill -0 "$server" 2>/dev/null || break
    curl -fsS "$url/readyz" >/dev/null 2>&1 && return
    sleep 0.1
  done
  tail "$tmp/server-$1.log" >&2
  exit 1
}
stop() { kill "$server" && wait "$server" 2>/dev/null || true; server=""; }

# seed label: the template database of that build, with an admin token in
# <template>.token, made unless already there.
seed() {
  local db="$tpl/template-$1.db"
  if [ -f "$db" ] && [ -f "$db.token" ]; then
    echo "template $db: reused" >&2
    return
  fi
  rm -f "$db" "$db"-wal "$db"-shm
  pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  serve "$1" "$db"
  SIROCCO_PPROF_ADDR=127.0.0.1:0 SIROCCO_URL=$url SIROCCO_USERNAME=admin SIROCCO_PASSWORD=$pw SIROCCO_TOKEN='' \
    "$tmp/sirocco-$1" token-create bench --role admin | tail -1 >"$db.token"
  local cmd=(-url "$url/v2" -n "$seed_n" -c "$seed_c" -mode pipeline)
  echo "seeding $db ($1): bench ${cmd[*]}" >&2
  BENCH_TOKEN=$(cat "$db.token") "$tmp/bench" "${cmd[@]}" >"$db.seed.out" 2>&1 || { cat "$db.seed.out" >&2; exit 1; }
  grep '^RESULT' "$db.seed.out" >&2
  stop # a clean close checkpoints the WAL: the copies start alike
}

# metrics: the single writer's counters (sirocco_store_*) as name value lines.
metrics() {
  curl -fsS -H "Authorization: Bearer $BENCH_TOKEN" "$url/metrics" | grep '^sirocco_store_' || true
}

for l in "${labels[@]}"; do seed "$l"; done

declare -A p99s
results=()
load=$(cut -d' ' -f1-3 /proc/loadavg)
for run in $(seq 1 "$runs"); do
  order=("${labels[@]}")
  if [ $((run % 2)) = 0 ] && [ ${#labels[@]} = 2 ]; then order=(after before); fi
  for l in "${order[@]}"; do
    src="$tpl/template-$l.db" db="$tmp/run.db"
    rm -f "$db" "$db"-wal "$db"-shm
    for s in "" -wal -shm; do [ -f "$src$s" ] && cp "$src$s" "$db$s"; done
    godebug=""
    [ -n "$profile" ] && godebug=gctrace=1 && : >"$tmp/server-$l.log"
    serve "$l" "$db"
    BENCH_TOKEN=$(cat "$src.token")
    export BENCH_TOKEN
    cmd=(-url "$url/v2" -n "$n" -c "$c" -mode "$mode" -listers "$listers" -list-every "$every" -list-limit "$limit" -pid "$server")
    la=$(cut -d' ' -f1 /proc/loadavg)
    m0=$(metrics) t0=$(date +%s.%N)
    prof=""
    if [ -n "$profile" ]; then
      pp=http://$SIROCCO_PPROF_ADDR/debug/pprof
      (sleep 0.5
       curl -fsS -o "$profile/run-$run-$l.cpu" "$pp/profile?seconds=3"
       curl -fsS -o "$profile/run-$run-$l.trace" "$pp/trace?seconds=1") &
      prof=$!
    fi
    out=$("$tmp/bench" "${cmd[@]}" 2>&1) || { echo "$out" >&2; exit 1; }
    t1=$(date +%s.%N) m1=$(metrics)
    [ -n "$prof" ] && wait "$prof"
    stop
    [ -n "$profile" ] && cp "$tmp/server-$l.log" "$profile/run-$run-$l.server.log"
    echo "$out" >"$tmp/run-$run-$l.out"
    line=$(grep '^RESULT ' <<<"$out")
    p99=$(sed -n 's/.* cb_p99_ms=\([^ ]*\).*/\1/p' <<<"$line")
    # Writer: updates a commit, and the share of the run's wall time it was
    # running updates or committing (near 1: the writer bounds throughput).
    writer=$(awk -v wall="$(awk "BEGIN {print $t1 - $t0}")" '
      NR==FNR {a[$1]=$2; next} {d[$1]=$2-a[$1]}
      END {printf "writer: %d batches, %.1f updates/batch, busy %.0f%% (updates %.0f%%, commits %.0f%%)",
        d["sirocco_store_batches_total"], d["sirocco_store_updates_total"]/(d["sirocco_store_batches_total"]+1e-9),
        100*(d["sirocco_store_update_seconds_total"]+d["sirocco_store_commit_seconds_total"])/wall,
        100*d["sirocco_store_update_seconds_total"]/wall, 100*d["sirocco_store_commit_seconds_total"]/wall}' \
      <(echo "$m0") <(echo "$m1"))
    echo "run $run/$runs $l ($(commit_of "$l")): cb_p99_ms=$p99 load=$la; $writer" >&2
    echo "  $line" >&2
    p99s[$l]="${p99s[$l]:-} $p99"
    results+=("$run $l $p99")
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "Callback tail under listing: $(date -u '+%Y-%m-%d %H:%M UTC'), $(go env GOVERSION), $(nproc) cores, load average before seeding $load0, after $load"
for l in "${labels[@]}"; do
  src="$tpl/template-$l.db"
  # What the template holds, from its seeding run (it may be reused).
  sn=$(sed -n 's/^RESULT .* n=\([0-9]*\) c=\([0-9]*\) .*/\1 \2/p' "$src.seed.out")
  echo "$l: commit $(commit_of "$l"); database at start: a copy of a template holding ${sn% *} finished executions" \
    "($(du -m "$src" | cut -f1) MB; seeded with 'bench -url $url/v2 -n ${sn% *} -c ${sn#* } -mode pipeline', auth on)"
done
echo "server: ${SERVER_ENV:+$SERVER_ENV }sirocco -addr 127.0.0.1:$port -db <copy> -seed=false -log-level warn -auth on -sync $sync${tags[*]:+ (built ${tags[*]})}"
echo "bench:  BENCH_TOKEN=<admin token> bench -url $url/v2 -n $n -c $c -mode $mode -listers $listers -list-every $every -list-limit $limit -pid <server pid>"
[ -n "$profile" ] && echo "profiled runs (CPU profile, trace, gctrace=1): not the figure; profiles in $profile"
for l in "${labels[@]}"; do
  # shellcheck disable=SC2086 # the p99s are a space-separated list
  echo "$l: callback p99 ms per run:${p99s[$l]}; median $(echo ${p99s[$l]} | median)"
done
