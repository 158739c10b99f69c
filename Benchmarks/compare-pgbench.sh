#!/usr/bin/env bash
# Side-by-side: pgbench running the store's own advance statement
# (Benchmarks/advance.pgbench) against `atmpctl bench` driving atmpd, both on
# ONE throwaway PostgreSQL cluster with default durability (fsync on,
# synchronous_commit on). For each connection count the two alternate,
# round after round, and the median of the rounds is reported.
# docs/performance.md explains what is compared and why it is fair.
#
#   Benchmarks/compare-pgbench.sh [--connections "1 8 32"] [--duration 20] [--rounds 3]
#                                 [--build release|debug|none] [--shared-buffers 256MB] [--json] [--smoke]
#
# --smoke: 1 s, 1 and 2 connections, 2 rounds, tiny case counts, the debug
# build: proves the script works (CI), says nothing about speed. Any error
# fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

connections="1 8 32"
duration=20
rounds=3
build=release
shared_buffers=256MB
json=false
smoke=false

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --connections) connections="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --build) build="$2"; shift 2 ;;
        --shared-buffers) shared_buffers="$2"; shift 2 ;;
        --json) json=true; shift ;;
        --smoke) smoke=true; shift ;;
        -h|--help) usage ;;
        *) echo "compare-pgbench: unknown argument $1" >&2; usage ;;
    esac
done
if $smoke; then
    connections="1 2"; duration=1; rounds=2
    [[ "$build" == release ]] && build=debug
fi
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "compare-pgbench: --rounds must be a positive integer" >&2; exit 64; }
[[ "$duration" =~ ^[1-9][0-9]*$ ]] || { echo "compare-pgbench: --duration must be whole seconds ≥ 1 (pgbench -T)" >&2; exit 64; }
for n in $connections; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "compare-pgbench: bad connection count $n" >&2; exit 64; }
done
max_connections=$(printf '%s\n' $connections | sort -n | tail -1)

log() { echo "compare-pgbench: $*" >&2; }
fail() { log "error: $*"; exit 1; }

# --- Programs ----------------------------------------------------------------

pg_bin=""
if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then
    pg_bin="$(pg_config --bindir)"
else
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
        [[ -x "$dir/initdb" && -x "$dir/pgbench" ]] && pg_bin="$dir"
    done
fi
[[ -n "$pg_bin" && -x "$pg_bin/pgbench" ]] || fail "no PostgreSQL server programs with pgbench (apt-get install postgresql)"

case "$build" in
    release|debug)
        log "building atmpd and atmpctl ($build)"
        swift build -c "$build" --product atmpd >&2
        swift build -c "$build" --product atmpctl >&2
        bin="$(swift build -c "$build" --show-bin-path)" ;;
    none) bin="$(swift build -c release --show-bin-path)" ;;
    *) fail "--build takes release, debug or none" ;;
esac
atmpd="$bin/atmpd"
atmpctl="$bin/atmpctl"
[[ -x "$atmpd" && -x "$atmpctl" ]] || fail "no built atmpd/atmpctl in $bin"

# --- The cluster ---------------------------------------------------------------

# As root, PostgreSQL runs as `postgres` (it refuses root), as the tests do.
as_server=()
if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || fail "running as root needs a 'postgres' user for the server"
    as_server=(runuser -u postgres --)
fi

work="$(mktemp -d /tmp/atmp-cmp-XXXXXX)"
chmod 755 "$work"
pgdir="$work/pg"
mkdir -p "$pgdir"
[[ ${#as_server[@]} -gt 0 ]] && chown postgres: "$pgdir"
port=$(( 20000 + RANDOM % 20000 ))
atmpd_pid=""

cleanup() {
    local status=$?
    [[ -n "$atmpd_pid" ]] && kill "$atmpd_pid" 2>/dev/null && wait "$atmpd_pid" 2>/dev/null || true
    if [[ -f "$pgdir/data/postmaster.pid" ]]; then
        "${as_server[@]}" "$pg_bin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    if [[ $status -ne 0 ]]; then
        log "failed; logs kept in $work"
        tail -n 20 "$work/atmpd.log" 2>/dev/null >&2 || true
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

log "initdb in $pgdir (PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'))"
"${as_server[@]}" "$pg_bin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
# Default durability: fsync and synchronous_commit stay on. Only the size
# of shared buffers and the connection limit are set, the same for both.
"${as_server[@]}" "$pg_bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
    -o "-k $pgdir -p $port -c listen_addresses= -c max_connections=200 -c shared_buffers=$shared_buffers" \
    start >/dev/null

psql() { "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgdir" -p "$port" -U postgres "$@"; }
psql -d postgres -c "CREATE DATABASE atmp" >/dev/null
[[ "$(psql -d atmp -Atc 'SHOW fsync')" == on && "$(psql -d atmp -Atc 'SHOW synchronous_commit')" == on ]] \
    || fail "fsync and synchronous_commit must be on"
database="postgresql:///atmp?host=$pgdir&port=$port&user=postgres"

# --- The daemon ------------------------------------------------------------------

export ATMP_PASSWORD="bench-password"
"$atmpd" migrate --database "$database" >/dev/null
echo "$ATMP_PASSWORD" | "$atmpd" user add bench --roles admin,lead --database "$database" >/dev/null
mkdir -p "$work/workflows"
socket="$work/atmpd.sock"
(cd "$work" && exec "$atmpd" serve --database "$database" --socket "$socket" --workflows "$work/workflows" \
    --log-level warning >"$work/atmpd.log" 2>&1) &
atmpd_pid=$!
for _ in $(seq 1 300); do
    "$atmpctl" ping --socket "$socket" >/dev/null 2>&1 && break
    kill -0 "$atmpd_pid" 2>/dev/null || fail "atmpd exited at start: $(cat "$work/atmpd.log")"
    sleep 0.1
done
"$atmpctl" ping --socket "$socket" >/dev/null || fail "atmpd does not answer on $socket"

bench() { "$atmpctl" bench --socket "$socket" --user bench "$@"; }

# --- pgbench's own cases -------------------------------------------------------------
# One atmpctl run on the empty database opens (and advances a little) the
# cases pgbench will use; every later atmpctl run opens fresh ones, so the
# two never touch each other's cases. One connection keeps their numbers
# contiguous.

pg_cases_per_client=4
pg_cases=$(( pg_cases_per_client * max_connections ))
bench --connections 1 --cases "$pg_cases" --duration 1 --json >"$work/setup.json" \
    || fail "the setup run failed: $(cat "$work/setup.json")"
read -r lo hi count < <(psql -d atmp -Atc "SELECT min(num), max(num), count(*) FROM cases" | tr '|' ' ')
[[ "$count" == "$pg_cases" && $(( hi - lo + 1 )) == "$pg_cases" ]] \
    || fail "pgbench's cases are not numbers $lo..$hi ($count cases, expected $pg_cases)"

# Payloads copied from a real case after one advance, and its advance event.
sample=$(psql -d atmp -Atc "SELECT id FROM cases WHERE version >= 2 ORDER BY num LIMIT 1")
[[ -n "$sample" ]] || fail "the setup run advanced no case"
field() { psql -d atmp -Atc "SELECT $1 FROM cases WHERE id = '$sample'"; }
title=$(field title); head=$(field head); updated=$(field updated); body=$(field body)
events=$(psql -d atmp -Atc "SELECT json_build_array(json_build_object('at', at, 'actor', actor, 'role', role,
    'action', action, 'data', data::json, 'prev', prev, 'hash', hash)) FROM audit_events WHERE chain = '$sample' AND seq = 2")
[[ -n "$events" ]] || fail "no advance event on $sample"
log "payload: body ${#body} bytes, event data $(psql -d atmp -Atc "SELECT length(data) FROM audit_events WHERE chain = '$sample' AND seq = 2") bytes"

# --- Runs ----------------------------------------------------------------------

# Each run sets `figure` (throughput) and `p99` (µs). Not called in $(…):
# a failure must end the script, not a subshell.
figure=""
p99=""

# pgbench with N clients on N threads (atmpctl bench: N connections, N threads).
run_pgbench() {
    local n=$1 tag=$2 per=$(( pg_cases / $1 ))
    local before after out
    before=$(psql -d atmp -Atc "SELECT sum(version) FROM cases WHERE num BETWEEN $lo AND $hi")
    out="$work/pgbench-$tag.out"
    (cd "$work" && "$pg_bin/pgbench" -n -M prepared -h "$pgdir" -p "$port" -U postgres \
        -c "$n" -j "$n" -T "$duration" -f "$repo/Benchmarks/advance.pgbench" \
        -D lo="$lo" -D per="$per" -D clients="$n" -D title="$title" -D head="$head" -D updated="$updated" \
        -D body="$body" -D events="$events" \
        --log --log-prefix="$work/pgb-$tag" atmp) >"$out" 2>&1 || fail "pgbench failed: $(cat "$out")"
    local tps transactions
    tps=$(sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\).*/\1/p' "$out")
    transactions=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$out")
    [[ -n "$tps" && -n "$transactions" ]] || fail "cannot read pgbench's output: $(cat "$out")"
    # Every transaction must have advanced a case: no silent no-ops.
    after=$(psql -d atmp -Atc "SELECT sum(version) FROM cases WHERE num BETWEEN $lo AND $hi")
    (( after - before == transactions )) \
        || fail "pgbench ran $transactions transactions but the versions of its cases rose by $(( after - before ))"
    # Per-transaction log: client, transaction, latency in µs, script, epoch s, µs.
    p99=$(cat "$work/pgb-$tag".* | awk '{print $3}' | sort -n \
        | awk '{v[NR] = $1} END { if (NR == 0) { print 0; exit } i = int(NR * 0.99); if (i < NR * 0.99) i++; if (i < 1) i = 1; print v[i] }')
    rm -f "$work/pgb-$tag".*
    figure=$tps
}

run_engine() {
    local n=$1 tag=$2
    local out="$work/engine-$tag.json"
    bench --connections "$n" --duration "$duration" --json >"$out" || fail "atmpctl bench failed: $(cat "$out")"
    local rate
    rate=$(sed -nE 's/.*"changes_per_s":([0-9.]+).*/\1/p' "$out")
    p99=$(sed -nE 's/.*"p99_us":([0-9]+).*/\1/p' "$out")
    [[ -n "$rate" && -n "$p99" ]] || fail "cannot read atmpctl bench's output: $(cat "$out")"
    figure=$rate
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)
pg_version=$(psql -d atmp -Atc 'SHOW server_version')
machine="nproc=$(nproc) cpu=\"$cpu\" postgresql=$pg_version shared_buffers=$shared_buffers fsync=on synchronous_commit=on duration=${duration}s rounds=$rounds"

rows=()
for n in $connections; do
    pg_tps=(); pg_p99=(); en_rate=(); en_p99=()
    for r in $(seq 1 "$rounds"); do
        psql -d atmp -c CHECKPOINT >/dev/null
        run_pgbench "$n" "$n-$r"
        pg_tps+=("$figure"); pg_p99+=("$p99")
        log "connections $n round $r: pgbench $figure tps, p99 $p99 µs"
        psql -d atmp -c CHECKPOINT >/dev/null
        run_engine "$n" "$n-$r"
        en_rate+=("$figure"); en_p99+=("$p99")
        log "connections $n round $r: engine $figure changes/s, p99 $p99 µs"
    done
    rows+=("$n $(median "${pg_tps[@]}") $(median "${pg_p99[@]}") $(median "${en_rate[@]}") $(median "${en_p99[@]}")")
done

# The daemon survived the load and every chain it wrote still verifies.
# (pgbench's cases are left out: their chains hold pgbench's copies of one
# event, which do not chain, by design.)
"$atmpctl" audit verify system --socket "$socket" --user bench >/dev/null || fail "AUDIT VERIFY system failed"
verified=0
for id in $(psql -d atmp -Atc "SELECT id FROM cases WHERE num > $hi ORDER BY num"); do
    "$atmpctl" audit verify "$id" --socket "$socket" --user bench >/dev/null || fail "AUDIT VERIFY $id failed"
    verified=$(( verified + 1 ))
done
log "audit verify: system and $verified engine case chains intact"

if $json; then
    echo "{\"machine\":{\"nproc\":$(nproc),\"cpu\":\"$cpu\",\"postgresql\":\"$pg_version\",\"shared_buffers\":\"$shared_buffers\",\"duration_s\":$duration,\"rounds\":$rounds}}"
    for row in "${rows[@]}"; do
        read -r n tps p99 rate ep99 <<<"$row"
        awk -v n="$n" -v tps="$tps" -v p99="$p99" -v rate="$rate" -v ep99="$ep99" 'BEGIN {
            printf "{\"connections\":%d,\"pgbench_tps\":%.1f,\"pgbench_p99_us\":%d,\"engine_changes_per_s\":%.1f,\"engine_p99_us\":%d,\"ratio\":%.2f}\n",
                n, tps, p99, rate, ep99, (tps > 0 ? rate / tps : 0) }'
    done
else
    echo "machine: $machine"
    printf '%-11s  %12s  %14s  %16s  %13s  %6s\n' connections "pgbench tps" "pgbench p99 ms" "engine changes/s" "engine p99 ms" ratio
    for row in "${rows[@]}"; do
        read -r n tps p99 rate ep99 <<<"$row"
        awk -v n="$n" -v tps="$tps" -v p99="$p99" -v rate="$rate" -v ep99="$ep99" 'BEGIN {
            printf "%-11d  %12.1f  %14.3f  %16.1f  %13.3f  %6.2f\n", n, tps, p99 / 1000, rate, ep99 / 1000, (tps > 0 ? rate / tps : 0) }'
    done
fi
