#!/bin/bash
# Run the real OpenStack Mistral 15.0.0 (Debian bookworm's python3-mistral)
# beside Sirocco, on loopback, for side-by-side benchmarks with cmd/bench.
#
#   scripts/mistral-sidebyside.sh install   # apt-get; needs root; nothing from PyPI
#   scripts/mistral-sidebyside.sh start     # RabbitMQ + mistral-server --server all
#   scripts/mistral-sidebyside.sh pids      # "launcher,beam" for: go run ./cmd/bench -pid ...
#   scripts/mistral-sidebyside.sh stop      # stops only what start started, by saved PIDs
#
# Adapted from the team's shared notes (install/start/stop of the Mistral
# conformance anchor) so the repository needs nothing outside itself.
# Differences: one script with subcommands; Mistral's API listens on
# 127.0.0.1:8999 by default (Sirocco's default is 8989), RabbitMQ on 5673,
# its Erlang distribution port on 25673 and epmd on 4370, so a broker or
# epmd already on the standard ports is left alone; state lives in
# /tmp/sirocco-mistral.
#
# Why RabbitMQ: `mistral-server --server all` forks the API into a child
# process (oslo.service), so the in-process `fake:/` transport cannot carry
# API->engine RPC. `mistral-db-manage upgrade head` fails on SQLite and is not
# needed: the server creates its tables; `populate` then loads std actions.
#
# Env knobs: STATE, MISTRAL_PORT, RABBIT_PORT, RABBIT_DIST_PORT, EPMD_PORT,
# EXECUTOR_TYPE (remote|local; remote is the stock setting), API_WORKERS (1),
# KEEP_DB=1 (reuse the database).
set -euo pipefail

STATE=${STATE:-/tmp/sirocco-mistral}
MISTRAL_PORT=${MISTRAL_PORT:-8999}
RABBIT_PORT=${RABBIT_PORT:-5673}
RABBIT_DIST_PORT=${RABBIT_DIST_PORT:-25673}
EPMD_PORT=${EPMD_PORT:-4370}
EXECUTOR_TYPE=${EXECUTOR_TYPE:-remote}
API_WORKERS=${API_WORKERS:-1}
PY=/usr/bin/python3 # Debian's python: mistral lives in dist-packages
RABBIT_NODE=sirocco-mistral@localhost

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$s" ] && [ "${s:0:1}" != Z ]; }
children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; }

install() {
  export DEBIAN_FRONTEND=noninteractive
  # Keep the rabbitmq-server package from starting a system broker on 0.0.0.0.
  local tmp_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    tmp_policy=1
  fi
  apt-get update -qq
  apt-get install -y --no-install-recommends \
    python3-mistral python3-mistralclient rabbitmq-server curl procps
  [ "$tmp_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  dpkg-query -W -f='${Package} ${Version}\n' \
    python3-mistral python3-mistral-lib python3-mistralclient \
    python3-oslo.messaging python3-sqlalchemy rabbitmq-server erlang-base python3
}

start() {
  mkdir -p "$STATE/rabbit/log" "$STATE/rabbit/mnesia"
  for p in "$MISTRAL_PORT" "$RABBIT_PORT" "$RABBIT_DIST_PORT"; do
    if port_open "$p"; then echo "port 127.0.0.1:$p already in use; run '$0 stop' or change ports" >&2; exit 1; fi
  done

  cat > "$STATE/rabbit/env.sh" <<ENV
export HOME=$STATE/rabbit
export RABBITMQ_NODENAME=$RABBIT_NODE
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$RABBIT_PORT
export RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT
export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_PORT=$EPMD_PORT
export RABBITMQ_MNESIA_BASE=$STATE/rabbit/mnesia
export RABBITMQ_LOG_BASE=$STATE/rabbit/log
export RABBITMQ_PID_FILE=$STATE/rabbit/beam.pid
export RABBITMQ_ENABLED_PLUGINS_FILE=$STATE/rabbit/enabled_plugins
export RABBITMQ_CONFIG_FILE=$STATE/rabbit/rabbitmq
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
ENV
  echo '[].' > "$STATE/rabbit/enabled_plugins"
  cat > "$STATE/rabbit/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RABBIT_PORT
loopback_users.guest = true
CONF
  # shellcheck disable=SC1091
  . "$STATE/rabbit/env.sh"

  rm -f "$STATE/epmd.pid"
  if ! port_open "$EPMD_PORT"; then
    setsid /usr/bin/epmd -address 127.0.0.1 -port "$EPMD_PORT" > "$STATE/epmd.out" 2>&1 &
    echo $! > "$STATE/epmd.pid"
    for _ in $(seq 1 50); do port_open "$EPMD_PORT" && break; sleep 0.1; done
  fi

  setsid /usr/lib/rabbitmq/bin/rabbitmq-server > "$STATE/rabbit/server.out" 2>&1 &
  echo $! > "$STATE/rabbit/launcher.pid"
  for _ in $(seq 1 90); do
    port_open "$RABBIT_PORT" && break
    alive "$(cat "$STATE/rabbit/launcher.pid")" || { echo "rabbitmq died:"; tail -20 "$STATE/rabbit/server.out"; exit 1; }
    sleep 1
  done
  port_open "$RABBIT_PORT" || { echo "rabbitmq did not open $RABBIT_PORT" >&2; exit 1; }
  echo "rabbitmq up on 127.0.0.1:$RABBIT_PORT (beam pid $(cat "$STATE/rabbit/beam.pid" 2>/dev/null))"

  cat > "$STATE/mistral.conf" <<CONF
[DEFAULT]
transport_url = rabbit://guest:guest@127.0.0.1:$RABBIT_PORT/
debug = False
log_file = $STATE/mistral.log
graceful_shutdown_timeout = 5

[api]
host = 127.0.0.1
port = $MISTRAL_PORT
api_workers = $API_WORKERS

[pecan]
auth_enable = False

[database]
connection = sqlite:///$STATE/mistral.sqlite

[engine]
host = 127.0.0.1

[executor]
type = $EXECUTOR_TYPE
host = 127.0.0.1

[notifier]
host = 127.0.0.1

[event_engine]
host = 127.0.0.1

[cron_trigger]
enabled = False
CONF

  if [ "${KEEP_DB:-0}" != 1 ]; then rm -f "$STATE/mistral.sqlite"; fi
  : > "$STATE/mistral.log"
  # == /usr/bin/mistral-server --config-file ... --server all
  setsid $PY -m mistral.cmd.launch --config-file "$STATE/mistral.conf" --server all \
    > "$STATE/mistral-server.out" 2>&1 &
  echo $! > "$STATE/mistral-server.pid"

  for _ in $(seq 1 120); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$MISTRAL_PORT/v2" || true)
    { [ "$code" = 200 ] || [ "$code" = 302 ]; } && break
    alive "$(cat "$STATE/mistral-server.pid")" || { echo "mistral-server died:"; tail -30 "$STATE/mistral-server.out"; exit 1; }
    sleep 1
  done
  curl -sf -m 5 "http://127.0.0.1:$MISTRAL_PORT/v2/" > /dev/null || { echo "mistral API not answering" >&2; exit 1; }
  for _ in $(seq 1 60); do grep -q 'Engine server started' "$STATE/mistral-server.out" && break; sleep 0.5; done

  # == mistral-db-manage populate (the standard actions, std.async_noop among them)
  $PY -m mistral.db.sqlalchemy.migration.cli --config-file "$STATE/mistral.conf" populate \
    > "$STATE/populate.out" 2>&1 || { echo "populate failed"; tail "$STATE/populate.out"; exit 1; }

  echo "mistral up: http://127.0.0.1:$MISTRAL_PORT/v2 (pid $(cat "$STATE/mistral-server.pid"))"
  echo "bench: go run ./cmd/bench -url http://127.0.0.1:$MISTRAL_PORT/v2 -pid $(pids)"
}

# pids prints the Mistral launcher and RabbitMQ beam PIDs for bench -pid;
# bench adds their descendants (the forked API worker) itself.
pids() {
  local m b
  m=$(cat "$STATE/mistral-server.pid")
  b=$(cat "$STATE/rabbit/beam.pid")
  echo "$m,$b"
}

# stop_tree PIDFILE NAME: SIGTERM the saved PID, then SIGKILL it and the
# children it had (found by parent PID, never by name).
stop_tree() {
  local f=$1 name=$2 pid kids k
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if alive "$pid"; then
    kids=$(children "$pid")
    for k in $kids; do kids="$kids $(children "$k")"; done
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 30); do alive "$pid" || break; sleep 0.5; done
    if alive "$pid"; then echo "$name: SIGKILL $pid"; kill -KILL "$pid" 2>/dev/null; fi
    for k in $kids; do alive "$k" && kill -KILL "$k" 2>/dev/null; done
    echo "$name stopped (pid $pid)"
  fi
  rm -f "$f"
}

stop() {
  set +e
  stop_tree "$STATE/mistral-server.pid" mistral-server
  if [ -f "$STATE/rabbit/launcher.pid" ]; then
    if [ -f "$STATE/rabbit/env.sh" ]; then
      # shellcheck disable=SC1091
      . "$STATE/rabbit/env.sh"
      timeout 30 /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBITMQ_NODENAME" stop > /dev/null 2>&1
    fi
    if [ -f "$STATE/rabbit/beam.pid" ]; then
      b=$(cat "$STATE/rabbit/beam.pid")
      for _ in $(seq 1 20); do alive "$b" || break; sleep 0.5; done
      alive "$b" && kill -KILL "$b" 2>/dev/null
      rm -f "$STATE/rabbit/beam.pid"
    fi
    stop_tree "$STATE/rabbit/launcher.pid" rabbitmq
  fi
  stop_tree "$STATE/epmd.pid" epmd
  echo stopped
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  pids) pids ;;
  *) echo "usage: $0 install|start|stop|pids" >&2; exit 2 ;;
esac
