#!/usr/bin/env bash
# Runs the benchmark table of docs/BENCHMARKS.md on this machine and prints
# it: cmd/bench's pipeline mode for each workflow shape (one-task, chain,
# fan-out), on SQLite, with authentication off and on (an admin API token),
# each row on a fresh server and a fresh, empty database. Rows are
# interleaved: run 1 of every row, then run 2 of every row, and so on, so
# that the machine's drift spreads over all of them. CPU per workflow is
# the server process's (utime+stime from /proc), never the load client's.
#
#   scripts/bench.sh                       # 1 run of each row, 32 clients
#   RUNS=3 scripts/bench.sh                # the table of docs/BENCHMARKS.md (medians of 3)
#   RUNS=3 C=8 scripts/bench.sh
#   SHAPES="chain" AUTHS="off" N_CHAIN=2000 scripts/bench.sh
#
# Settings (environment): RUNS (1), C (32 clients), SHAPES ("one chain
# fanout"), AUTHS ("off token"), N_ONE (12000), N_CHAIN (8000), N_FANOUT
# (2000) workflows per row, PORT (9731), KEEP=1 keeps the logs.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-1} c=${C:-32} port=${PORT:-9731}
shapes=${SHAPES:-one chain fanout} auths=${AUTHS:-off token}
declare -A nwf=([one]=${N_ONE:-12000} [chain]=${N_CHAIN:-8000} [fanout]=${N_FANOUT:-2000})
url=http://127.0.0.1:$port

tmp=$(mktemp -d /tmp/sirocco-bench.XXXXXX)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- cmd internal go.mod go.sum || commit="$commit+uncommitted"
go build -o "$tmp/sirocco" ./cmd/server
go build -o "$tmp/bench" ./cmd/bench

# start_server auth: a fresh database and server; sets $server, and with
# auth on exports BENCH_TOKEN (an admin token: the bench registers a
# workflow, starts executions and completes actions).
start_server() {
  rm -f "$tmp"/b.db*
  local auth=on
  [ "$1" = off ] && auth=off
  local pw
  pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  SIROCCO_ADMIN_PASSWORD=$pw "$tmp/sirocco" -addr 127.0.0.1:"$port" -db "$tmp/b.db" -seed=false \
    -log-level warn -auth "$auth" >"$tmp/server.out" 2>>"$tmp/server.log" &
  server=$!
  for _ in $(seq 100); do curl -fsS "$url/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fsS "$url/readyz" >/dev/null || { tail "$tmp/server.log"; exit 1; }
  unset BENCH_TOKEN
  if [ "$auth" = on ]; then
    BENCH_TOKEN=$(SIROCCO_URL=$url SIROCCO_USERNAME=admin SIROCCO_PASSWORD=$pw SIROCCO_TOKEN='' \
      "$tmp/sirocco" token-create bench --role admin | tail -1)
    export BENCH_TOKEN
  fi
}

stop_server() {
  kill "$server" && wait "$server" 2>/dev/null || true
  server=""
}

# field name line: the value of name=… in a RESULT line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

results=()
for run in $(seq 1 "$runs"); do
  for shape in $shapes; do
    for auth in $auths; do
      start_server "$auth"
      cmd=(-url "$url/v2" -n "${nwf[$shape]}" -c "$c" -mode pipeline -shape "$shape" -pid "$server")
      echo "run $run/$runs: shape=$shape auth=$auth: bench ${cmd[*]}" >&2
      out=$("$tmp/bench" "${cmd[@]}" 2>&1) || { echo "$out" >&2; exit 1; }
      line=$(grep '^RESULT ' <<<"$out")
      results+=("$shape|$auth|$run|$line")
      stop_server
    done
  done
done

echo
echo "Sirocco benchmark table: commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC'), $(go env GOVERSION)"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "each row: a fresh server on a fresh, empty SQLite database (-seed=false, default -sync full),"
echo "  $c clients, runs interleaved ($runs of each row); figures are the median of the runs, each run in brackets"
echo "server:   sirocco -addr 127.0.0.1:$port -db <fresh file> -seed=false -log-level warn -auth off|on"
echo "          (auth on: an admin token made with 'sirocco token-create bench --role admin', sent by the bench as BENCH_TOKEN)"
echo
printf '| %-7s | %-5s | %6s | %-28s | %-22s | %-26s | %-22s | %s | %s |\n' shape auth n "workflows/s" "CPU ms/workflow" "task transitions/s" "callback p99 ms" "database at start" "command (go build ./cmd/bench)"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' --------- ------- -------- ------------------------------ ------------------------ ---------------------------- ------------------------ --- ---
# median of a list of numbers (the middle one; the lower middle for an even count)
median() { tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# cell values...: the median, and with several runs each of them in brackets.
cell() {
  local m
  m=$(echo "$*" | median)
  if [ $# -gt 1 ]; then echo "$m ($(echo "$*" | tr ' ' '/'))"; else echo "$m"; fi
}
for shape in $shapes; do
  for auth in $auths; do
    wf=() cpu=() tasks=() p99=()
    for r in "${results[@]}"; do
      IFS='|' read -r s a _ line <<<"$r"
      [ "$s" = "$shape" ] && [ "$a" = "$auth" ] || continue
      wf+=("$(field e2e_per_s "$line")") cpu+=("$(field cpu_ms_per_wf "$line")")
      tasks+=("$(field tasks_per_s "$line")") p99+=("$(field cb_p99_ms "$line")")
    done
    tok=""
    [ "$auth" = token ] && tok="BENCH_TOKEN=<token> "
    printf '| %-7s | %-5s | %6s | %-28s | %-22s | %-26s | %-22s | %s | %s |\n' "$shape" "$auth" "${nwf[$shape]}" \
      "$(cell "${wf[@]}")" "$(cell "${cpu[@]}")" "$(cell "${tasks[@]}")" "$(cell "${p99[@]}")" "fresh, empty" \
      "\`${tok}bench -url $url/v2 -n ${nwf[$shape]} -c $c -mode pipeline -shape $shape -pid <server pid>\`"
  done
done
