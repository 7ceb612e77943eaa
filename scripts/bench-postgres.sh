#!/usr/bin/env bash
# Measures Sirocco on PostgreSQL beside SQLite, on this machine: a throwaway
# PostgreSQL cluster (initdb as the postgres user into a temporary directory,
# port 5499, default settings but for fsync being on as always), one or two
# replicas of the server over it, and cmd/bench's pipeline, callback and
# events modes. The CPU figures count the servers and every PostgreSQL
# process (the postmaster and its backends, as its descendants), never the
# load client.
#
#   scripts/bench-postgres.sh [replicas] [mode] [n] [c]
#   scripts/bench-postgres.sh 2 pipeline 12000 64
#   scripts/bench-postgres.sh sqlite pipeline 12000 64   # the same run on SQLite
#   DELAY=500us scripts/bench-postgres.sh 2 pipeline 4000 64   # servers reach the
#       database through scripts/delayproxy, each way 500 µs later (a network;
#       the proxy is on loopback, so set SIROCCO_DB_COMMITTERS to compare)
set -euo pipefail
cd "$(dirname "$0")/.."
replicas=${1:-2} mode=${2:-pipeline} n=${3:-12000} c=${4:-64}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
tmp=$(mktemp -d /tmp/sirocco-bench.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  if [ -n "${SHOWCPU:-}" ]; then
    ps -o pid,time,args --ppid "${postmaster:-0}" -p "${measure:-0}" 2>/dev/null | awk '{t=$2; sub(/^.*-/, "", t); split(t, a, ":"); s=a[1]*3600+a[2]*60+a[3]; c=$3" "$4" "$5; sum[c]+=s} END {for (k in sum) printf "cpu_s=%d %s\n", sum[k], k}' | sort -rn -t= -k2 | head -12
  fi
  for f in "$tmp"/s*.log; do [ -s "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -d "$tmp/pg" ] && runuser -u postgres -- "$bin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] && cp "$tmp/pg.log" /tmp/bench-pg.log
  rm -rf "$tmp"
}
trap cleanup EXIT

go build ${BUILDTAGS:+-tags $BUILDTAGS} -o "$tmp/sirocco" ./cmd/server
go build -o "$tmp/bench" ./cmd/bench
[ -n "${DELAY:-}" ] && go build -o "$tmp/delayproxy" ./scripts/delayproxy
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "$replicas" = sqlite ]; then
  "$tmp/sirocco" -addr 127.0.0.1:9701 -db "$tmp/b.db" -seed=false -log-level warn -auth off >/dev/null 2>"$tmp/s1.log" & pids+=($!)
  urls=http://127.0.0.1:9701/v2 measure=${pids[0]}
else
  mkdir "$tmp/pg" && touch "$tmp/pg.log" && chown postgres "$tmp/pg" "$tmp/pg.log" 2>/dev/null || true
  as_pg "$bin/initdb" -D "$tmp/pg" -U postgres -A trust >/dev/null
  as_pg "$bin/pg_ctl" -D "$tmp/pg" -o "-p 5499 -k $tmp/pg -c listen_addresses=127.0.0.1 -c max_connections=100 ${PGOPTS:-}" -l "$tmp/pg.log" -w start >/dev/null
  postmaster=$(head -1 "$tmp/pg/postmaster.pid")
  dsn="postgres://postgres@127.0.0.1:5499/postgres?sslmode=disable"
  if [ -n "${DELAY:-}" ]; then
    "$tmp/delayproxy" -listen 127.0.0.1:5500 -to 127.0.0.1:5499 -delay "$DELAY" & pids+=($!)
    dsn="postgres://postgres@127.0.0.1:5500/postgres?sslmode=disable"
    for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/5500) 2>/dev/null && break; sleep 0.05; done
  fi
  [ -n "${UNIXSOCKET:-}" ] && dsn="postgres://postgres@/postgres?host=$tmp/pg&port=5499"
  urls="" measure=$postmaster
  [ -n "${SERVERS_ONLY:-}" ] && measure=""
  for i in $(seq 1 "$replicas"); do
    port=$((9700 + i))
    "$tmp/sirocco" -addr 127.0.0.1:$port -db "$dsn" -seed=false -log-level warn -auth off >/dev/null 2>"$tmp/s$i.log" & pids+=($!)
    urls="${urls:+$urls,}http://127.0.0.1:$port/v2" measure="${measure:+$measure,}$!"
  done
fi
for u in ${urls//,/ }; do
  for _ in $(seq 100); do curl -fsS "${u%/v2}/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
done
echo "replicas=$replicas urls=$urls pids=$measure"
"$tmp/bench" -url "$urls" -n "$n" -c "$c" -mode "$mode" -pid "$measure"
