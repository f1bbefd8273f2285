#!/usr/bin/env bash
# Ensures the local PostgreSQL (Debian cluster <ver>/main, 127.0.0.1:5432, trust auth) is up, archives WAL,
# has database "test", and feeds a streaming hot standby on 127.0.0.1:5433 (physical slot deployclaw_standby).
# Idempotent: safe to run repeatedly; rebuilds the standby when it is missing, broken, promoted or not streaming.
set -euo pipefail

PGVER=${DEPLOYCLAW_PG_VERSION:-$(ls /etc/postgresql | sort -V | tail -n 1)}
PGBIN=/usr/lib/postgresql/$PGVER/bin
CONF_DIR=/etc/postgresql/$PGVER/main
PRIMARY_PORT=5432
STANDBY_PORT=5433
STANDBY_DIR=/var/lib/postgresql/deployclaw-standby-$PGVER
STANDBY_LOG=$(dirname "$STANDBY_DIR")/deployclaw-standby.log
STANDBY_NAME=deployclaw-standby
SLOT=deployclaw_standby
ARCHIVE_DIR=/var/lib/postgresql/deployclaw-archive
SOCKET_DIR=/var/run/postgresql
TIMEOUT=${DEPLOYCLAW_PG_TIMEOUT:-60}
# Standby identity is also passed on the command line: -c beats postgresql.auto.conf, which pg_basebackup
# copies from the primary (archive_mode=on etc.).
STANDBY_OPTS="-p $STANDBY_PORT -c listen_addresses=127.0.0.1 -c cluster_name=$STANDBY_NAME -c hot_standby_feedback=on -c archive_mode=off"

log() { echo "[postgres.sh] $*" >&2; }
die() { echo "[postgres.sh] ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -x $PGBIN/postgres ]] || die "PostgreSQL $PGVER binaries not found in $PGBIN"

# Serialise concurrent runs. Servers started below get "9>&-" so they do not inherit (and keep) the lock.
exec 9>/run/lock/deployclaw-ci-postgres.lock
flock -w 180 9 || die "another postgres.sh run holds /run/lock/deployclaw-ci-postgres.lock"

as_pg() { runuser -u postgres -- "$@"; }
psql_on() { # port, sql
    psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2"
}
pri() { psql_on "$PRIMARY_PORT" "$1"; }
sby() { psql_on "$STANDBY_PORT" "$1"; }

wait_ready() { # port, seconds
    local i
    for ((i = 0; i < $2 * 2; i++)); do
        pg_isready -q -h 127.0.0.1 -p "$1" && return 0
        sleep 0.5
    done
    return 1
}

# ---------------------------------------------------------------------------------------------------- primary
if ! pg_ctlcluster "$PGVER" main status >/dev/null 2>&1; then
    log "primary cluster $PGVER/main is down, starting it"
    pg_ctlcluster --skip-systemctl-redirect "$PGVER" main start 9>&- || die "could not start cluster $PGVER/main (see /var/log/postgresql/postgresql-$PGVER-main.log)"
fi
wait_ready "$PRIMARY_PORT" "$TIMEOUT" || die "primary on 127.0.0.1:$PRIMARY_PORT not ready after ${TIMEOUT}s"

install -d -o postgres -g postgres -m 0700 "$ARCHIVE_DIR"
# Refuse to overwrite a different file, but succeed if the same segment is archived twice (e.g. after a crash).
ARCHIVE_CMD="test ! -f $ARCHIVE_DIR/%f && cp %p $ARCHIVE_DIR/%f.tmp && mv $ARCHIVE_DIR/%f.tmp $ARCHIVE_DIR/%f || cmp -s %p $ARCHIVE_DIR/%f"

need_restart=()
changed=0
alter() { # name, value, context
    log "primary: ALTER SYSTEM SET $1 = '$2'"
    pri "ALTER SYSTEM SET $1 = '$2'"
    changed=1
    [[ $3 == postmaster ]] && need_restart+=("$1")
    return 0
}
setting() { pri "SELECT setting FROM pg_settings WHERE name = '$1'"; }

[[ $(setting wal_level) == minimal ]] && alter wal_level replica postmaster
[[ $(setting archive_mode) == off ]] && alter archive_mode on postmaster
(($(setting max_wal_senders) < 10)) && alter max_wal_senders 10 postmaster
(($(setting max_replication_slots) < 10)) && alter max_replication_slots 10 postmaster
(($(setting wal_keep_size) < 256)) && alter wal_keep_size 256MB sighup
[[ -n $(setting archive_library) ]] && { log "primary: ALTER SYSTEM RESET archive_library"; pri "ALTER SYSTEM RESET archive_library"; changed=1; }
# SHOW archive_command says "(disabled)" while archive_mode is off, so compare what the config files say.
file_cmd=$(pri "SELECT setting FROM pg_file_settings WHERE name = 'archive_command' AND error IS NULL ORDER BY seqno DESC LIMIT 1")
[[ $file_cmd == "$ARCHIVE_CMD" ]] || alter archive_command "$ARCHIVE_CMD" sighup

if ! grep -qE '^[[:space:]]*host[[:space:]]+replication[[:space:]]+(all|postgres)[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$CONF_DIR/pg_hba.conf"; then
    log "appending replication trust entry for 127.0.0.1 to $CONF_DIR/pg_hba.conf"
    printf '\n# deployclaw CI: streaming standby on 127.0.0.1:%s\nhost    replication     all             127.0.0.1/32            trust\n' "$STANDBY_PORT" >>"$CONF_DIR/pg_hba.conf"
    changed=1
fi

if ((${#need_restart[@]})); then
    log "restarting primary (changed: ${need_restart[*]})"
    pg_ctlcluster --skip-systemctl-redirect "$PGVER" main restart 9>&- || die "restart of $PGVER/main failed"
    wait_ready "$PRIMARY_PORT" "$TIMEOUT" || die "primary not ready after restart"
elif ((changed)); then
    pri "SELECT pg_reload_conf()" >/dev/null
    sleep 1
fi
hba_errors=$(pri "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL")
[[ $hba_errors == 0 ]] || die "pg_hba.conf has $hba_errors invalid line(s): $(pri "SELECT string_agg(line_number || ': ' || error, '; ') FROM pg_hba_file_rules WHERE error IS NOT NULL")"
[[ $(pri "SHOW archive_mode") == on ]] || die "archive_mode is still not on"

if [[ -z $(pri "SELECT 1 FROM pg_database WHERE datname = 'test'") ]]; then
    log "creating database test"
    pri "CREATE DATABASE test"
fi

# Prove archiving works: archive a segment if nothing was archived yet, the last attempt failed, or it is old.
stale=$(pri "SELECT last_archived_time IS NULL OR last_archived_time < now() - interval '1 hour'
                    OR coalesce(last_failed_time > last_archived_time, false) FROM pg_stat_archiver")
if [[ $stale == t ]]; then
    before=$(pri "SELECT archived_count FROM pg_stat_archiver")
    pri "SELECT txid_current()" >/dev/null
    pri "SELECT pg_switch_wal()" >/dev/null
    for ((i = 0; i < 60; i++)); do
        (($(pri "SELECT archived_count FROM pg_stat_archiver") > before)) && break
        sleep 0.5
    done
    (($(pri "SELECT archived_count FROM pg_stat_archiver") > before)) ||
        die "WAL archiving does not work: $(pri "SELECT 'last_failed_wal=' || coalesce(last_failed_wal, '-') || ' at ' || coalesce(last_failed_time::text, '-') FROM pg_stat_archiver") (see /var/log/postgresql/postgresql-$PGVER-main.log)"
fi
# Keep the archive from growing forever.
find "$ARCHIVE_DIR" -maxdepth 1 -type f -mtime +7 -delete 2>/dev/null || true

# ---------------------------------------------------------------------------------------------------- standby
alive() { # pid exists and is not a zombie (PID 1 here may reap killed daemons late; pg_ctl counts zombies as running)
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ -n $st && $st != Z* ]]
}

standby_pid() { # postmaster pid on the standby port, via the socket lock file (works even if the datadir is gone)
    local lock=$SOCKET_DIR/.s.PGSQL.$STANDBY_PORT.lock pid
    [[ -f $lock ]] || return 1
    pid=$(head -n 1 "$lock")
    [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */postgres ]] || return 1
    echo "$pid"
}

clear_stale_pidfile() { # a postmaster.pid naming a dead or zombie process makes "pg_ctl start" refuse
    local pid
    [[ -f $STANDBY_DIR/postmaster.pid ]] || return 0
    pid=$(head -n 1 "$STANDBY_DIR/postmaster.pid")
    if [[ $pid =~ ^[0-9]+$ ]] && ! alive "$pid"; then
        log "removing stale postmaster.pid (pid $pid is gone)"
        rm -f "$STANDBY_DIR/postmaster.pid"
        sleep 1 # let orphaned backends of a killed postmaster exit and detach from shared memory
    fi
}

stop_standby() {
    if [[ -f $STANDBY_DIR/postmaster.pid ]] && as_pg "$PGBIN/pg_ctl" -D "$STANDBY_DIR" status >/dev/null 2>&1; then
        as_pg "$PGBIN/pg_ctl" -D "$STANDBY_DIR" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    local pid
    if pid=$(standby_pid); then
        log "stopping orphaned postmaster $pid on port $STANDBY_PORT"
        kill -QUIT "$pid" 2>/dev/null || true
        for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    return 0
}

write_standby_conf() {
    # The Debian primary keeps its config in /etc, so the base backup has no postgresql.conf of its own.
    cat >"$STANDBY_DIR/postgresql.conf" <<EOF
# Written by .ci/postgres.sh: deployclaw CI streaming standby of 127.0.0.1:$PRIMARY_PORT.
# Settings here are overridden by postgresql.auto.conf (copied from the primary by pg_basebackup);
# .ci/postgres.sh also passes port, listen_addresses, cluster_name, hot_standby_feedback and archive_mode with -c.
listen_addresses = '127.0.0.1'
port = $STANDBY_PORT
cluster_name = '$STANDBY_NAME'
unix_socket_directories = '$SOCKET_DIR'
hba_file = '$CONF_DIR/pg_hba.conf'
ident_file = '$CONF_DIR/pg_ident.conf'
max_connections = 100
shared_buffers = 128MB
dynamic_shared_memory_type = posix
hot_standby = on
hot_standby_feedback = on
archive_mode = off
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'Etc/UTC'
timezone = 'Etc/UTC'
datestyle = 'iso, mdy'
lc_messages = 'C.UTF-8'
lc_monetary = 'C.UTF-8'
lc_numeric = 'C.UTF-8'
lc_time = 'C.UTF-8'
default_text_search_config = 'pg_catalog.english'
EOF
    chown postgres:postgres "$STANDBY_DIR/postgresql.conf"
    chmod 0600 "$STANDBY_DIR/postgresql.conf"
    # Never archive from the standby, even after an ALTER SYSTEM there or a promotion.
    sed -i -E '/^[[:space:]]*archive_(mode|command|library)[[:space:]]*=/d' "$STANDBY_DIR/postgresql.auto.conf"
    echo "archive_mode = 'off'" >>"$STANDBY_DIR/postgresql.auto.conf"
}

start_standby() {
    as_pg "$PGBIN/pg_ctl" -D "$STANDBY_DIR" -o "$STANDBY_OPTS" -l "$STANDBY_LOG" -t "$TIMEOUT" -w start >/dev/null 9>&-
}

drop_slot() {
    local active
    active=$(pri "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$SLOT'")
    if [[ -n $active ]]; then
        pri "SELECT pg_terminate_backend($active)" >/dev/null || true
        for ((i = 0; i < 20; i++)); do
            [[ -z $(pri "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$SLOT'") ]] && break
            sleep 0.5
        done
    fi
    if [[ -n $(pri "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$SLOT'") ]]; then
        log "dropping replication slot $SLOT"
        pri "SELECT pg_drop_replication_slot('$SLOT')" >/dev/null
    fi
}

build_standby() {
    log "building standby in $STANDBY_DIR (pg_basebackup from 127.0.0.1:$PRIMARY_PORT)"
    stop_standby
    drop_slot
    rm -rf "$STANDBY_DIR"
    as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$STANDBY_DIR" \
        -R -X stream -C -S "$SLOT" -c fast || die "pg_basebackup failed"
    write_standby_conf
    start_standby || die "standby did not start, see $STANDBY_LOG"
}

standby_dir_ok() {
    [[ -f $STANDBY_DIR/PG_VERSION && $(cat "$STANDBY_DIR/PG_VERSION") == "$PGVER" && -f $STANDBY_DIR/global/pg_control &&
        -f $STANDBY_DIR/standby.signal && -f $STANDBY_DIR/postgresql.conf && -f $STANDBY_DIR/postgresql.auto.conf &&
        -d $STANDBY_DIR/pg_wal && $(stat -c %U "$STANDBY_DIR") == postgres ]] &&
        grep -q "primary_slot_name = '$SLOT'" "$STANDBY_DIR/postgresql.auto.conf"
}

streaming_state() {
    pri "SELECT state FROM pg_stat_replication WHERE application_name = '$STANDBY_NAME' ORDER BY backend_start DESC LIMIT 1"
}

wait_streaming() { # seconds
    local i
    for ((i = 0; i < $1 * 2; i++)); do
        [[ $(streaming_state) == streaming ]] && return 0
        sleep 0.5
    done
    return 1
}

resume_if_paused() {
    if [[ $(sby "SELECT pg_is_in_recovery() AND pg_is_wal_replay_paused()" 2>/dev/null) == t ]]; then
        log "WAL replay on the standby was paused, resuming"
        sby "SELECT pg_wal_replay_resume()" >/dev/null
    fi
}

# Returns non-zero if the existing standby can not be brought up as a streaming standby.
reuse_standby() {
    standby_dir_ok || { log "standby data directory $STANDBY_DIR is missing or incomplete"; return 1; }
    clear_stale_pidfile
    if ! as_pg "$PGBIN/pg_ctl" -D "$STANDBY_DIR" status >/dev/null 2>&1; then
        stop_standby # an orphan may still hold the port
        [[ -n $(pri "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$SLOT'") ]] ||
            pri "SELECT pg_create_physical_replication_slot('$SLOT', true)" >/dev/null
        log "starting existing standby"
        if ! start_standby; then
            sleep 2
            start_standby || { log "existing standby failed to start (see $STANDBY_LOG)"; return 1; }
        fi
    fi
    wait_ready "$STANDBY_PORT" 20 || { log "standby does not accept connections"; return 1; }
    [[ $(sby "SELECT pg_is_in_recovery()") == t ]] || { log "standby is not in recovery (promoted?)"; return 1; }
    resume_if_paused
    wait_streaming 30 || { log "standby is up but not streaming after 30s"; return 1; }
}

if ! reuse_standby; then
    build_standby
    wait_ready "$STANDBY_PORT" "$TIMEOUT" || die "standby on 127.0.0.1:$STANDBY_PORT not ready, see $STANDBY_LOG"
    resume_if_paused
fi
wait_streaming "$TIMEOUT" || die "standby $STANDBY_NAME is not streaming after ${TIMEOUT}s (state: '$(streaming_state)'), see $STANDBY_LOG"

summary=$(pri "SELECT 'sent ' || sent_lsn || ', replayed ' || coalesce(replay_lsn::text, '-') || ', replay lag '
                      || coalesce(pg_wal_lsn_diff(sent_lsn, replay_lsn)::text, '?') || ' bytes'
               FROM pg_stat_replication WHERE application_name = '$STANDBY_NAME' ORDER BY backend_start DESC LIMIT 1")
archived=$(pri "SELECT archived_count || ' segments archived, last ' || coalesce(last_archived_wal, '-') FROM pg_stat_archiver")
echo "PostgreSQL $PGVER OK: primary 127.0.0.1:$PRIMARY_PORT (archive_mode=on, $archived into $ARCHIVE_DIR); standby 127.0.0.1:$STANDBY_PORT ($STANDBY_DIR, slot $SLOT) streaming: $summary"
