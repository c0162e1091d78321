#!/bin/bash
# run-compare.sh: Postern in the side-by-side submission benchmarks of shared/bench.
#
#   bench/run-compare.sh [--interim-no-auth] [options]
#
# Builds Postern (Release, build-bench/) when needed, sets up a data directory under /tmp
# (configuration from bench/postern-bench.toml, accounts bench0..bench99@example.test with
# password benchpass, and sink@example.test), starts Postern on 127.0.0.1:3587 (submission,
# STARTTLS required), and then:
#   1. runs shared/bench/compare.sh with every peer that is up plus postern=127.0.0.1:3587
#      (STARTTLS + AUTH PLAIN for everyone);
#   2. with --interim-no-auth only: runs smtpload directly, the same three scenarios, against
#      Postern with `--auth none` (loopback is a trusted network in this mode) and against
#      Postfix with `--auth plain --users 100`, interleaved, --reps rounds;
#   3. the idle test: idleconns.py --n 10000 against Postern, --n 1000 against Postfix.
# Stops Postern at the end (and on any exit). Start the peers first:
#   ../shared/bench/peers/postfix.sh start
#
# Options:
#   --interim-no-auth  the explicitly named interim mode while Postern has no SMTP AUTH:
#                      for step 2 (and the idle test after it) Postern is restarted with
#                      its submission listener trusting 127.0.0.0/8, so MAIL needs no AUTH.
#                      Step 1 always runs with no trusted network. Without this flag only
#                      steps 1 and 3 run.
#   --reps N           rounds (default 3), for compare.sh and for the direct runs
#   --max-seconds S    cap on one load run (default 60)
#   --idle-postern N   idle connections to Postern (default 10000; 0: skip)
#   --idle-peer N      idle connections to Postfix (default 1000; 0: skip)
#   --skip-compare     do not run compare.sh (step 1)
#   --no-build         use the existing build-bench/postern as it is
#   --postern BIN      use this binary (say, a copy frozen while others keep editing the
#                      tree); implies --no-build
#   --data-dir D       Postern's data directory (default /tmp/postern-bench)
#   --work D           raw outputs and reports (default /tmp/postern-bench-run.<time>)
#
# Outputs in the work directory: compare.md (compare.sh's report), direct.md (the direct
# interim runs), idle-*.md, postern.log, raw/*.
#
# Postern has no delivery yet: every accepted message stays in its queue. The queue
# (DATA_DIR/queue/msg) is emptied after each Postern run, outside the measured interval, by
# moving the files to DATA_DIR/aside, deleted when Postern stops (see clean_queue for why).
# The fsync before 250 is in place (the spool's group commit). Postfix discards what it accepts
# (peers/postfix.sh), and its runs last until its queue is empty, as in compare.sh.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
SHARED=${BENCH_SHARED:-$SRC/../shared/bench}
BUILD=$SRC/build-bench
POSTERN=$BUILD/postern
PORT=3587
PASSWORD=benchpass

INTERIM=0
REPS=3
MAX_SECONDS=60
TIMEOUT=10
IDLE_POSTERN=10000
IDLE_PEER=1000
RUN_COMPARE=1
DO_BUILD=1
DATA=/tmp/postern-bench
WORK=/tmp/postern-bench-run.$(date +%Y%m%d-%H%M%S)
while [ $# -gt 0 ]; do
    case "$1" in
        --interim-no-auth) INTERIM=1; shift ;;
        --reps) REPS=$2; shift 2 ;;
        --max-seconds) MAX_SECONDS=$2; shift 2 ;;
        --idle-postern) IDLE_POSTERN=$2; shift 2 ;;
        --idle-peer) IDLE_PEER=$2; shift 2 ;;
        --skip-compare) RUN_COMPARE=0; shift ;;
        --no-build) DO_BUILD=0; shift ;;
        --postern) POSTERN=$(realpath "$2"); DO_BUILD=0; shift 2 ;;
        --data-dir) DATA=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^set -euo/ { exit } NR > 1' "$0"; exit 0 ;;
        *) echo "run-compare.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$DATA" in /tmp/?*) ;; *) echo "run-compare.sh: --data-dir must be under /tmp" >&2; exit 2 ;; esac

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
mkdir -p "$WORK/raw"
SERVER_PID=""

stop_postern() {
    [ -n "$SERVER_PID" ] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 75); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    rm -f "$DATA/postern.pid"
    log "postern stopped"
    SERVER_PID=""
}
trap 'stop_postern; purge_aside' EXIT

banner_ok() {  # port
    timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; head -c 3 <&3" 2>/dev/null | grep -q '^220'
}

# ---------------------------------------------------------------- (a) build
build_postern() {
    if [ "$DO_BUILD" -eq 0 ]; then
        [ -x "$POSTERN" ] || { echo "run-compare.sh: --no-build but $POSTERN is missing" >&2; exit 1; }
        return 0
    fi
    if ! grep -qs '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD/CMakeCache.txt"; then
        log "configuring $BUILD (Release)"
        cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPOSTERN_PURE_ONLY=OFF > "$WORK/raw/cmake.log" 2>&1 ||
            { tail -n 30 "$WORK/raw/cmake.log" >&2; exit 1; }
    fi
    log "building postern (no-op when up to date)"
    cmake --build "$BUILD" --target postern -j2 > "$WORK/raw/build.log" 2>&1 ||
        { tail -n 30 "$WORK/raw/build.log" >&2; echo "run-compare.sh: build failed (--no-build uses the last binary)" >&2; exit 1; }
}

# ---------------------------------------------------------------- (b) data directory
# Only a Postern that this script started (its pid file, its config) is ever stopped here.
stop_leftover() {
    local pid
    pid=$(cat "$DATA/postern.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "serve --config $DATA/postern.toml"; then
        log "stopping postern left running by an earlier run (pid $pid)"
        kill -TERM "$pid"
        for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -f "$DATA/postern.pid"
    if [ -d "$DATA/aside" ]; then
        log "an earlier run left $DATA/aside: deleting it now; wait 5 minutes before measuring (see bench/README.md)"
        purge_aside
    fi
}

write_config() {  # trusted_networks of the submission listener, as TOML
    sed -e "s#@DATA_DIR@#$DATA#" -e "s#@CERT@#$CERT#" -e "s#@KEY@#$KEY#" -e "s#@TRUSTED@#$1#" \
        "$HERE/postern-bench.toml" > "$DATA/postern.toml.new"
    mv "$DATA/postern.toml.new" "$DATA/postern.toml"
    "$POSTERN" check-config --config "$DATA/postern.toml" >&2
    MODE=$([ "$1" = '[]' ] && echo "AUTH required, no trusted network" || echo "interim no-auth: trusted_networks = $1")
}

setup_data() {
    mkdir -p "$DATA"
    chmod 700 "$DATA"
    local cert=/etc/bench/cert.pem key=/etc/bench/key.pem
    if [ ! -r "$cert" ] || [ ! -r "$key" ]; then
        cert=$DATA/cert.pem; key=$DATA/key.pem
        if [ ! -s "$cert" ] || [ ! -s "$key" ]; then
            log "no /etc/bench certificate (peers/postfix.sh makes it): self-signed one in $DATA"
            openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 -subj "/CN=mx.example.test" \
                -keyout "$key" -out "$cert" 2>/dev/null
        fi
    fi
    CERT=$cert; KEY=$key
    write_config '[]'

    local have want=() a
    have=$("$POSTERN" user list --config "$DATA/postern.toml" 2>/dev/null || true)
    for i in $(seq 0 99); do want+=("bench$i@example.test"); done
    want+=("sink@example.test")
    local added=0 reset=0
    for a in "${want[@]}"; do
        if grep -qx "$a" <<< "$have"; then
            # Existing accounts get the password again, so an edited data dir cannot skew a run.
            [ -f "$DATA/.accounts-ok" ] && continue
            echo "$PASSWORD" | "$POSTERN" user passwd "$a" --password-stdin --config "$DATA/postern.toml" > /dev/null
            reset=$((reset + 1))
        else
            echo "$PASSWORD" | "$POSTERN" user add "$a" --password-stdin --config "$DATA/postern.toml" > /dev/null
            added=$((added + 1))
        fi
    done
    touch "$DATA/.accounts-ok"
    log "accounts: ${#want[@]} wanted, $added added, $reset passwords reset"
}

# Empties the queue between runs by moving the messages aside (same filesystem), and deletes
# them only once Postern has stopped. Deleting them at once would slow the next runs down: on a
# journal-less ext4 (this machine's /) the inode allocator skips, one inode-table lookup each,
# every inode freed in the last 60 s or more (fs/ext4/ialloc.c, recently_deleted()), and the
# spool creates one file per message. See bench/README.md.
clean_queue() {
    mkdir -p "$DATA/aside"
    [ -d "$DATA/queue/msg" ] && find "$DATA/queue/msg" -type f -exec mv -t "$DATA/aside" {} +
    return 0
}
purge_aside() {
    if [ -d "$DATA/aside" ]; then
        log "deleting $(find "$DATA/aside" -type f | wc -l) queued messages moved aside"
        rm -rf "$DATA/aside"
    fi
}

# ---------------------------------------------------------------- (c) start
start_postern() {
    # The idle test holds 10,000 connections: the server needs that many descriptors. Raising
    # the hard limit needs CAP_SYS_RESOURCE; without it, the hard limit is what we get.
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    NOFILE=$(ulimit -n)
    if ss -ltnH "( sport = :$PORT )" | grep -q .; then
        echo "run-compare.sh: 127.0.0.1:$PORT is already in use" >&2; ss -ltnpH "( sport = :$PORT )" >&2; exit 1
    fi
    clean_queue
    "$POSTERN" serve --config "$DATA/postern.toml" >> "$WORK/postern.log" 2>&1 &
    SERVER_PID=$!
    echo "$SERVER_PID" > "$DATA/postern.pid"
    for _ in $(seq 1 50); do banner_ok "$PORT" && break; sleep 0.2; done
    banner_ok "$PORT" || { tail -n 20 "$WORK/postern.log" >&2; echo "run-compare.sh: postern did not answer" >&2; exit 1; }
    log "postern up on 127.0.0.1:$PORT, pid $SERVER_PID, open files limit $NOFILE ($MODE)"
}

# ---------------------------------------------------------------- smtpload
build_smtpload() {
    SMTPLOAD=${BENCH_BUILD_DIR:-/tmp/bench-build}/smtpload
    local src=$SHARED/smtpload.cpp
    mkdir -p "$(dirname "$SMTPLOAD")"
    if [ ! -x "$SMTPLOAD" ] || [ "$src" -nt "$SMTPLOAD" ]; then
        dpkg-query -W -f='${Status}' libasio-dev 2>/dev/null | grep -q 'install ok installed' ||
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libasio-dev >&2
        log "building smtpload"
        g++ -O2 -std=c++20 -o "$SMTPLOAD" "$src" -lssl -lcrypto -lpthread
    fi
}

# Does Postern take AUTH PLAIN from the benchmark accounts yet?
auth_works() {
    "$SMTPLOAD" --port "$PORT" --conns 1 --msgs 1 --total 1 --tls starttls --auth plain --users 100 \
        --timeout 5 --seconds 10 > "$WORK/raw/auth-probe.txt" 2>&1
}

# ---------------------------------------------------------------- (d) direct runs
scenario_args() {
    case "$1" in
        pipelined) echo "--conns 50 --msgs 20 --total 5000" ;;
        session)   echo "--conns 50 --msgs 1 --total 1500" ;;
        big)       echo "--conns 10 --msgs 5 --total 300 --size 1000000" ;;
        warmup)    echo "--conns 20 --msgs 2 --total 100" ;;
    esac
}
ext_tx() {  # packets sent on non-loopback interfaces: must not move
    local n=0 i
    for i in /sys/class/net/*; do
        [ "${i##*/}" = lo ] && continue
        n=$((n + $(cat "$i/statistics/tx_packets")))
    done
    echo $n
}
pidfile() { [ -s "$1" ] && tr -d ' \n' < "$1"; }
postfix_queue_count() {
    local n=0 d
    for d in /var/spool/postfix/incoming /var/spool/postfix/active /var/spool/postfix/deferred /var/spool/postfix/maildrop; do
        [ -d "$d" ] && n=$((n + $(find "$d" -type f | wc -l)))
    done
    echo $n
}
drain() {  # name: Postfix until its queue is empty (as compare.sh); Postern keeps its queue
    if [ "$1" = postfix ]; then
        for _ in $(seq 1 300); do [ "$(postfix_queue_count)" -eq 0 ] && return 0; sleep 0.2; done
        log "  postfix queue still holds $(postfix_queue_count) files"
    fi
}

declare -A D_PORT D_AUTH D_ROOTS
direct_servers() {
    D_PORT[postern]=$PORT; D_AUTH[postern]="--auth none --users 100"; D_ROOTS[postern]=$SERVER_PID
    DIRECT=(postern)
    if banner_ok 587 && [ -s /var/spool/postfix/pid/master.pid ]; then
        D_PORT[postfix]=587; D_AUTH[postfix]="--auth plain --users 100"
        D_ROOTS[postfix]=$(pidfile /var/spool/postfix/pid/master.pid),$(pidfile /run/dovecot/master.pid || true)
        DIRECT+=(postfix)
    else
        log "postfix is not up on 127.0.0.1:587: direct runs against postern only"
    fi
}

direct_one() {  # name scenario rep
    local name=$1 sc=$2 rep=$3 out=$WORK/raw/direct.$1.$2.$3 tx0 tx1 mon
    drain "$name"
    tx0=$(ext_tx)
    python3 "$SHARED/procmon.py" --roots "${D_ROOTS[$name]}" --out "$out.mon" &
    mon=$!
    sleep 0.3
    # shellcheck disable=SC2046,SC2086  # options split into words on purpose
    /usr/bin/time -f "%U %S" -o "$out.time" "$SMTPLOAD" --host 127.0.0.1 --port "${D_PORT[$name]}" \
        $(scenario_args "$sc") --tls starttls ${D_AUTH[$name]} --seconds "$MAX_SECONDS" --timeout "$TIMEOUT" \
        > "$out.load" 2>&1 || true
    drain "$name"
    kill -TERM "$mon"; wait "$mon" || true
    tx1=$(ext_tx)
    [ "$name" = postern ] && clean_queue
    local line err cpu
    line=$(grep -m1 '^accepted=' "$out.load" || echo "accepted=0 errors=1")
    err=$(grep -m1 '^first_error:' "$out.load" | cut -c14- | tr '\t' ' ' | cut -c1-160 || true)
    cpu=$(awk 'END{printf "%.2f", $1+$2}' "$out.time" 2>/dev/null || echo 0)
    printf '%s\t%s\t%s\t%s %s client_cpu_s=%s ext_tx=%s\t%s\n' "$name" "$sc" "$rep" "$line" "$(cat "$out.mon" 2>/dev/null)" \
        "$cpu" "$((tx1 - tx0))" "$err" >> "$WORK/raw/direct.tsv"
    log "  $name $sc #$rep: $line $(cat "$out.mon" 2>/dev/null) client_cpu_s=$cpu${err:+ first_error: $err}"
}

direct_runs() {
    direct_servers
    : > "$WORK/raw/direct.tsv"
    local name rep sc
    for name in "${DIRECT[@]}"; do
        log "direct: warm-up $name"
        # shellcheck disable=SC2046,SC2086
        "$SMTPLOAD" --port "${D_PORT[$name]}" $(scenario_args warmup) --tls starttls ${D_AUTH[$name]} \
            --seconds 60 --timeout "$TIMEOUT" > /dev/null 2>&1 || log "  warm-up of $name had errors"
        drain "$name"
    done
    clean_queue
    for rep in $(seq 1 "$REPS"); do
        log "direct: round $rep of $REPS"
        for sc in pipelined session big; do
            for name in "${DIRECT[@]}"; do direct_one "$name" "$sc" "$rep"; done
        done
    done
    direct_report > "$WORK/direct.md"
}

direct_report() {
    python3 - "$WORK/raw/direct.tsv" "$REPS" "$MAX_SECONDS" <<'PY'
import statistics, sys
raw, reps, maxs = sys.argv[1:]
rows, order = {}, []
for line in open(raw):
    name, sc, rep, kv, err = (line.rstrip("\n").split("\t") + [""])[:5]
    d = dict(x.split("=", 1) for x in kv.split() if "=" in x)
    d["err"] = err
    rows.setdefault((name, sc), []).append(d)
    if name not in order: order.append(name)
med = lambda v: statistics.median(v) if v else 0.0
g = lambda runs, k: [float(r.get(k, 0) or 0) for r in runs]
print(f"Direct smtpload runs, {reps} interleaved rounds, cap {maxs} s each; medians.")
print()
print("| server | scenario | msgs/s | sessions/s | msgs/s of each run | msg p50 / p99 ms | setup p50 / p99 ms | "
      "server CPU ms/msg | smtpload CPU s | peak RSS MiB | peak PSS MiB | procs | accepted / errors | non-loopback packets |")
print("|---|---|---:|---:|---|---|---|---:|---:|---:|---:|---:|---|---:|")
errs = []
for name in order:
    for sc in ("pipelined", "session", "big"):
        runs = rows.get((name, sc))
        if not runs: continue
        mps = g(runs, "msgs_per_s")
        m = sorted(runs, key=lambda r: float(r.get("msgs_per_s", 0)))[len(runs) // 2]
        per = med([c * 1000 / a for c, a in zip(g(runs, "cpu_s"), g(runs, "accepted")) if a > 0])
        print(f"| {name} | {sc} | {med(mps):.1f} | {med(g(runs, 'sessions_per_s')):.1f} | "
              f"{' / '.join(f'{x:.0f}' for x in mps)} | {m.get('msg_p50_ms')} / {m.get('msg_p99_ms')} | "
              f"{m.get('setup_p50_ms')} / {m.get('setup_p99_ms')} | {per:.2f} | {med(g(runs, 'client_cpu_s')):.2f} | "
              f"{max(g(runs, 'rss_mib')):.1f} | {max(g(runs, 'pss_mib')):.1f} | {int(max(g(runs, 'procs')))} | "
              f"{int(sum(g(runs, 'accepted')))} / {int(sum(g(runs, 'errors')))} | {int(sum(g(runs, 'ext_tx')))} |")
        errs += [f"- {name} {sc}: {r['err']}" for r in runs if r["err"]]
if len(order) > 1:
    a, b = order[0], order[1]
    print()
    print(f"Ratios {a} / {b} (medians):")
    print()
    for sc, k in (("pipelined", "msgs_per_s"), ("session", "sessions_per_s"), ("big", "msgs_per_s")):
        x, y = med(g(rows.get((a, sc), []), k)), med(g(rows.get((b, sc), []), k))
        if y: print(f"- {sc} ({k}): {x / y:.2f}x")
if errs:
    print(); print("First errors:"); print(); print("\n".join(errs))
print(); print("Raw lines:"); print(); print("```"); print(open(raw).read().rstrip()); print("```")
PY
}

# ---------------------------------------------------------------- (e) idle
idle_test() {  # name port n roots marks
    local out=$WORK/idle-$1.md
    log "idle: $3 connections to $1 (127.0.0.1:$2)"
    { echo "#### $1: $3 idle connections to 127.0.0.1:$2"; echo
      python3 "$SHARED/idleconns.py" --host 127.0.0.1 --port "$2" --n "$3" --roots "$4" --marks "$5" 2>&1; } > "$out"
    cat "$out" >&2
    sleep 3
}

# Peers that answer, named explicitly: compare.sh (set -euo pipefail) exits silently while it
# asks an absent peer for its version (chasquid's binary missing), so absent ones stay out.
peers_up() {
    local up=()
    banner_ok 587 && up+=(postfix)
    banner_ok 5587 && [ -x /opt/peers/chasquid/usr/bin/chasquid ] && up+=(chasquid)
    banner_ok 6587 && [ -x /opt/peers/opensmtpd/usr/sbin/smtpd ] && up+=(opensmtpd)
    echo "${up[*]}"
}

# ---------------------------------------------------------------- main
build_postern
stop_leftover
setup_data
build_smtpload
start_postern
{
    if [ "$DO_BUILD" -eq 1 ]; then
        echo "- postern: built from $(cd "$SRC" && git rev-parse --short HEAD 2>/dev/null)$(cd "$SRC" && [ -n "$(git status --porcelain 2>/dev/null | head -1)" ] && echo ' + uncommitted changes'), binary md5 $(md5sum "$POSTERN" | cut -c1-12)"
    else
        echo "- postern: $POSTERN as given (built $(date -r "$POSTERN" '+%F %T')), md5 $(md5sum "$POSTERN" | cut -c1-12)"
    fi
    echo "- data dir: $DATA; certificate $CERT; open files limit $NOFILE"
    echo "- compare.sh and the AUTH probe: $MODE"
} > "$WORK/setup.md"

if auth_works; then
    log "postern accepts AUTH PLAIN"
    echo "- AUTH probe: AUTH PLAIN as bench0@example.test accepted" >> "$WORK/setup.md"
else
    err=$(grep -m1 '^first_error:' "$WORK/raw/auth-probe.txt" | cut -c14-120 || true)
    log "postern does not take AUTH PLAIN yet ($err); its compare.sh rows will show errors"
    echo "- AUTH probe: failed: $err" >> "$WORK/setup.md"
fi
clean_queue

if [ "$RUN_COMPARE" -eq 1 ]; then
    PEERS=$(peers_up)
    log "compare.sh: peers up: ${PEERS:-none}; + postern=127.0.0.1:$PORT"
    # No QUEUE_DIR for postern: nothing leaves its queue yet, so there is nothing to wait for.
    (cd "$WORK" && "$SHARED/compare.sh" --peers "${PEERS:-none}" --reps "$REPS" --max-seconds "$MAX_SECONDS" \
        --timeout "$TIMEOUT" --out "$WORK/compare.md" "postern=127.0.0.1:$PORT") > "$WORK/raw/compare.stdout" 2> "$WORK/raw/compare.stderr" ||
        log "compare.sh failed: see $WORK/raw/compare.stderr"
    clean_queue
fi

if [ "$INTERIM" -eq 1 ]; then
    # The trusted network exists only for these runs: restart with it, and nothing else changed.
    stop_postern
    write_config '["127.0.0.0/8"]'
    start_postern
    echo "- direct runs and idle test: $MODE" >> "$WORK/setup.md"
    direct_runs
    clean_queue
fi

if [ "$IDLE_POSTERN" -gt 0 ]; then
    # 250 connections per second: 10,000 take 40 s; the marks go past that.
    idle_test postern "$PORT" "$IDLE_POSTERN" "$SERVER_PID" "5,10,20,30,40,45,50"
fi
if [ "$IDLE_PEER" -gt 0 ] && banner_ok 587; then
    idle_test postfix 587 "$IDLE_PEER" \
        "$(pidfile /var/spool/postfix/pid/master.pid),$(pidfile /run/dovecot/master.pid || true)" "5,10,15,30"
fi

stop_postern
# The interim configuration is not left behind for anyone to start by accident.
[ "$INTERIM" -eq 1 ] && write_config '[]'
log "done: $WORK (setup.md, compare.md, direct.md, idle-*.md, postern.log, raw/)"
