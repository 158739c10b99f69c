#!/usr/bin/env bash
# What the cross-instance event notifications cost: `atmpctl bench` against
# atmpd A on a throwaway PostgreSQL cluster (fsync and synchronous_commit on)
# while atmpd B on the same database relays A's events, as a real peer would.
# Rounds alternate both daemons started with --no-cluster-events and with the
# default (cluster events on), so both use the same binary, data and cluster.
# Prints the median changes/s and p99 of each; per round also how many
# daemons run a publisher, the database's commits, and B's CPU seconds.
# --quiet-peer keeps B at --no-cluster-events throughout.
#
#   Benchmarks/notify-cost.sh [--connections 8] [--duration 15] [--rounds 3] [--build release|none] [--quiet-peer]
set -euo pipefail
cd "$(dirname "$0")/.."

connections=8; duration=15; rounds=3; build=release; peer_flags=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --connections) connections="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --build) build="$2"; shift 2 ;;
        --quiet-peer) peer_flags=(--no-cluster-events); shift ;;  # B neither announces nor relays
        *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64 ;;
    esac
done
log() { echo "notify-cost: $*" >&2; }
fail() { log "error: $*"; exit 1; }

pg_bin=""
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do [[ -x "$dir/initdb" ]] && pg_bin="$dir"; done
[[ -n "$pg_bin" ]] || fail "no PostgreSQL server programs"
[[ "$build" == release ]] && { swift build -c release --product atmpd >&2; swift build -c release --product atmpctl >&2; }
bin="$(swift build -c release --show-bin-path)"
atmpd="$bin/atmpd"; atmpctl="$bin/atmpctl"

as_server=()
[[ "$(id -u)" == 0 ]] && as_server=(runuser -u postgres --)
work="$(mktemp -d /tmp/atmp-notify-XXXXXX)"; chmod 755 "$work"
pgdir="$work/pg"; mkdir -p "$pgdir"
[[ ${#as_server[@]} -gt 0 ]] && chown postgres: "$pgdir"
port=$(( 20000 + RANDOM % 20000 ))
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    "${as_server[@]}" "$pg_bin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"${as_server[@]}" "$pg_bin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
"${as_server[@]}" "$pg_bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
    -o "-k $pgdir -p $port -c listen_addresses= -c max_connections=200 -c shared_buffers=256MB" start >/dev/null
psql() { "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgdir" -p "$port" -U postgres "$@"; }
psql -d postgres -c "CREATE DATABASE atmp" >/dev/null
database="postgresql:///atmp?host=$pgdir&port=$port&user=postgres"

export ATMP_PASSWORD="bench-password"
"$atmpd" migrate --database "$database" >/dev/null
echo "$ATMP_PASSWORD" | "$atmpd" user add bench --roles admin,lead --database "$database" >/dev/null
mkdir -p "$work/workflows"
# Starts A and B with the given extra flags and waits until both answer.
start_pair() {
    pids=()
    for name in a b; do
        local extra=("$@")
        [[ "$name" == b && ${#peer_flags[@]} -gt 0 ]] && extra=("${peer_flags[@]}")
        (cd "$work" && exec "$atmpd" serve --database "$database" --socket "$work/$name.sock" \
            --workflows "$work/workflows" --log-level warning "${extra[@]}" >>"$work/$name.log" 2>&1) &
        pids+=($!)
    done
    for _ in $(seq 1 300); do
        "$atmpctl" ping --socket "$work/a.sock" >/dev/null 2>&1 && "$atmpctl" ping --socket "$work/b.sock" >/dev/null 2>&1 && return
        sleep 0.1
    done
    fail "the daemons did not start: $(cat "$work/a.log" "$work/b.log")"
}
stop_pair() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    pids=()
}

run() {
    local out="$work/run.json"
    psql -d atmp -c CHECKPOINT >/dev/null
    peer_ticks=$(awk '{print $14 + $15}' "/proc/${pids[1]}/stat")
    local before; before=$(psql -d atmp -tA -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'atmp'")
    "$atmpctl" bench --socket "$work/a.sock" --user bench --connections "$connections" --duration "$duration" --json \
        >"$out" || fail "atmpctl bench failed: $(cat "$out")"
    rate=$(sed -nE 's/.*"changes_per_s":([0-9.]+).*/\1/p' "$out")
    # CPU seconds B used during the run (relaying A's events, or idle).
    local ticks; ticks=$(awk '{print $14 + $15}' "/proc/${pids[1]}/stat")
    peer_cpu=$(awk -v t="$((ticks - peer_ticks))" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }')
    sleep 1  # the statistics are flushed at most once a second
    commits=$(( $(psql -d atmp -tA -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'atmp'") - before ))
    # Which daemons announce events (a check that the mode is what it says).
    publishers=$(psql -d atmp -tA -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'atmpd event publisher'")
    p99=$(sed -nE 's/.*"p99_us":([0-9]+).*/\1/p' "$out")
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

on_rate=(); on_p99=(); off_rate=(); off_p99=()
for r in $(seq 1 "$rounds"); do
    start_pair
    run; on_rate+=("$rate"); on_p99+=("$p99"); log "round $r cluster events on:  $rate changes/s, p99 $p99 µs ($publishers publishers, $commits commits, B used ${peer_cpu} s CPU)"
    stop_pair
    start_pair --no-cluster-events
    run; off_rate+=("$rate"); off_p99+=("$p99"); log "round $r cluster events off: $rate changes/s, p99 $p99 µs ($publishers publishers, $commits commits, B used ${peer_cpu} s CPU)"
    stop_pair
done
echo "connections=$connections duration=${duration}s rounds=$rounds nproc=$(nproc)"
echo "cluster events off: $(median "${off_rate[@]}") changes/s, p99 $(median "${off_p99[@]}") µs"
echo "cluster events on:  $(median "${on_rate[@]}") changes/s, p99 $(median "${on_p99[@]}") µs"
