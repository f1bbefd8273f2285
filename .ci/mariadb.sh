#!/usr/bin/env bash
# Ensures the local MariaDB (127.0.0.1:3306, root without password) is up with binary logging, has database "test",
# and feeds a GTID replica on 127.0.0.1:3307 (datadir /var/lib/deployclaw-mariadb-replica).
# Idempotent: safe to run repeatedly; restarts a stopped replica, restarts stopped replication threads,
# re-seeds a broken replica, and re-creates a replica whose data directory is missing or unusable.
set -euo pipefail

PRIMARY_PORT=3306
PRIMARY_PIDFILE=/run/mysqld/mysqld.pid
REPLICA_PORT=3307
REPLICA_DIR=/var/lib/deployclaw-mariadb-replica
REPLICA_SOCKET=/run/mysqld/deployclaw-replica.sock
REPLICA_PIDFILE=/run/mysqld/deployclaw-replica.pid
REPLICA_SSD_PIDFILE=/run/mysqld/deployclaw-replica.start.pid
REPLICA_LOG=/var/log/mysql/deployclaw-replica.err
REPL_USER=deployclaw_repl
REPL_PASSWORD=${DEPLOYCLAW_REPL_PASSWORD:-deployclaw_repl_pw}
MY_CNF=/etc/mysql/my.cnf
CONF_D=/etc/mysql/mariadb.conf.d
BINLOG_CNF=$CONF_D/60-deployclaw-binlog.cnf
TIMEOUT=${DEPLOYCLAW_MARIADB_TIMEOUT:-60}
SYSTEM_DBS="'information_schema','performance_schema','mysql','sys'"

log() { echo "[mariadb.sh] $*" >&2; }
die() { echo "[mariadb.sh] ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root"

# Serialise concurrent runs. Servers started below get "9>&-" so they do not inherit (and keep) the lock.
exec 9>/run/lock/deployclaw-ci-mariadb.lock
flock -w 180 9 || die "another mariadb.sh run holds /run/lock/deployclaw-ci-mariadb.lock"

pri() { mariadb -h127.0.0.1 -P"$PRIMARY_PORT" -uroot -N -B -e "$1"; }
rep() { mariadb -h127.0.0.1 -P"$REPLICA_PORT" -uroot -N -B -e "$1"; }
rep_sock() { mariadb --socket="$REPLICA_SOCKET" -uroot -N -B -e "$1"; } # root via unix_socket, before TCP root exists

wait_for() { # seconds, command...
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 2; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

alive() { # pid exists and is not a zombie
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ -n $st && $st != Z* ]]
}

pid_from() { # pidfile -> pid of a live mariadbd, or fail
    local pid
    [[ -f $1 ]] || return 1
    pid=$(head -n 1 "$1")
    [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */mariadbd ]] || return 1
    echo "$pid"
}

wait_gone() { # pid, seconds
    local i
    for ((i = 0; i < $2 * 4; i++)); do
        alive "$1" || return 0
        sleep 0.25
    done
    return 1
}

install -d -o mysql -g mysql -m 0755 /run/mysqld /var/log/mysql

# ---------------------------------------------------------------------------------------------------- primary
primary_up() { mariadb-admin -h127.0.0.1 -P"$PRIMARY_PORT" -uroot --connect-timeout=2 ping >/dev/null 2>&1; }

start_primary() {
    # --pidfile matters: without it start-stop-daemon would take the replica's mariadbd for the primary.
    start-stop-daemon --start --oknodo --background --pidfile "$PRIMARY_PIDFILE" --exec /usr/sbin/mariadbd 9>&-
    wait_for "$TIMEOUT" primary_up || die "primary MariaDB did not come up on 127.0.0.1:$PRIMARY_PORT within ${TIMEOUT}s (see /var/log/mysql/error.log)"
}

stop_primary() {
    local pid
    pid=$(pid_from "$PRIMARY_PIDFILE") || pid=
    mariadb-admin -h127.0.0.1 -P"$PRIMARY_PORT" -uroot shutdown || die "mariadb-admin shutdown of the primary failed"
    if [[ -n $pid ]]; then wait_gone "$pid" "$TIMEOUT" || die "primary mariadbd ($pid) did not stop"; fi
    wait_for 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$PRIMARY_PORT) 2>/dev/null" || true
}

if ! primary_up; then
    log "primary MariaDB is down, starting it"
    start_primary
fi

# Binary logging. This my.cnf (not the stock Debian one) has no !includedir, so add one for $CONF_D.
install -d -m 0755 "$CONF_D"
if ! grep -qE "^[[:space:]]*!includedir[[:space:]]+$CONF_D/?[[:space:]]*$" "$MY_CNF"; then
    log "adding !includedir $CONF_D/ to $MY_CNF"
    printf '\n# deployclaw CI: binary logging etc.\n!includedir %s/\n' "$CONF_D" >>"$MY_CNF"
fi
desired_cnf='# Written by .ci/mariadb.sh: binary logging for the deployclaw CI replica on 127.0.0.1:3307.
[mariadbd]
log_bin = deployclaw-bin
server_id = 1
binlog_format = ROW
binlog_expire_logs_seconds = 604800'
if [[ ! -f $BINLOG_CNF || $(cat "$BINLOG_CNF") != "$desired_cnf" ]]; then
    log "writing $BINLOG_CNF"
    printf '%s\n' "$desired_cnf" >"$BINLOG_CNF"
    chmod 0644 "$BINLOG_CNF"
fi
read -r cur_log_bin cur_basename cur_server_id cur_format cur_expire < <(pri "SELECT @@log_bin, @@log_bin_basename, @@server_id, @@binlog_format, @@binlog_expire_logs_seconds")
if [[ $cur_log_bin != 1 || $cur_basename != */deployclaw-bin || $cur_server_id != 1 ]]; then
    log "restarting primary to enable binary logging (log_bin=$cur_log_bin basename=$cur_basename server_id=$cur_server_id)"
    stop_primary
    start_primary
else # dynamic settings need no restart
    [[ $cur_format == ROW ]] || { log "primary: SET GLOBAL binlog_format=ROW"; pri "SET GLOBAL binlog_format = 'ROW'"; }
    [[ $cur_expire == 604800 ]] || { log "primary: SET GLOBAL binlog_expire_logs_seconds=604800"; pri "SET GLOBAL binlog_expire_logs_seconds = 604800"; }
fi
read -r cur_log_bin cur_format < <(pri "SELECT @@log_bin, @@binlog_format")
[[ $cur_log_bin == 1 && $cur_format == ROW ]] || die "binary logging is not active on the primary (log_bin=$cur_log_bin, binlog_format=$cur_format)"
pri "SELECT 1" >/dev/null || die "root@127.0.0.1 cannot log in to the primary without a password"

pri "CREATE DATABASE IF NOT EXISTS test"

# Replication account (not binlogged: the replica does not need it).
if ! mariadb -h127.0.0.1 -P"$PRIMARY_PORT" -u"$REPL_USER" -p"$REPL_PASSWORD" -N -B -e "SELECT 1" >/dev/null 2>&1 ||
    ! pri "SHOW GRANTS FOR '$REPL_USER'@'127.0.0.1'" | grep -q 'REPLICATION SLAVE'; then
    log "creating replication user $REPL_USER@127.0.0.1 on the primary"
    pri "SET SESSION sql_log_bin = 0;
         CREATE USER IF NOT EXISTS '$REPL_USER'@'127.0.0.1' IDENTIFIED BY '$REPL_PASSWORD';
         ALTER USER '$REPL_USER'@'127.0.0.1' IDENTIFIED BY '$REPL_PASSWORD';
         GRANT REPLICATION SLAVE ON *.* TO '$REPL_USER'@'127.0.0.1';"
fi

# ---------------------------------------------------------------------------------------------------- replica
replica_up() { mariadb-admin --socket="$REPLICA_SOCKET" -uroot --connect-timeout=2 ping >/dev/null 2>&1; }

start_replica() {
    install -d -o mysql -g mysql -m 0755 /run/mysqld
    # mariadbd writes --pid-file only once it is nearly up; start-stop-daemon records the pid at once (own file),
    # so a replica that dies during startup is noticed without waiting for the whole timeout.
    start-stop-daemon --start --oknodo --background --make-pidfile --pidfile "$REPLICA_SSD_PIDFILE" --exec /usr/sbin/mariadbd -- \
        --no-defaults --datadir="$REPLICA_DIR" --port="$REPLICA_PORT" --bind-address=127.0.0.1 \
        --socket="$REPLICA_SOCKET" --pid-file="$REPLICA_PIDFILE" --log-error="$REPLICA_LOG" --user=mysql \
        --server-id=2 --log-bin=replica-bin --relay-log=replica-relay --relay-log-recovery --read-only=OFF \
        --skip-name-resolve --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
        --innodb-buffer-pool-size=128M 9>&-
    local i pid
    for ((i = 0; i < TIMEOUT * 2; i++)); do
        replica_up && return 0
        pid=$(pid_from "$REPLICA_SSD_PIDFILE") || { ((i < 2)) || return 1; } # died during startup
        sleep 0.5
    done
    return 1
}

stop_replica() {
    local pid
    pid=$(pid_from "$REPLICA_PIDFILE") || pid=$(pid_from "$REPLICA_SSD_PIDFILE") || return 0
    log "stopping replica mariadbd $pid"
    mariadb-admin --socket="$REPLICA_SOCKET" -uroot shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" 30 || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true; }
}

replica_dir_ok() {
    [[ -d $REPLICA_DIR/mysql && -f $REPLICA_DIR/mysql/global_priv.frm && -f $REPLICA_DIR/ibdata1 &&
        $(stat -c %U "$REPLICA_DIR") == mysql ]]
}

init_replica_dir() {
    log "initialising replica data directory $REPLICA_DIR"
    stop_replica
    rm -rf "$REPLICA_DIR"
    install -d -o mysql -g mysql -m 0750 "$REPLICA_DIR"
    mariadb-install-db --no-defaults --datadir="$REPLICA_DIR" --user=mysql --skip-test-db \
        --skip-name-resolve >/tmp/deployclaw-replica-install.log 2>&1 ||
        die "mariadb-install-db failed, see /tmp/deployclaw-replica-install.log"
    chown -R mysql:mysql "$REPLICA_DIR"
}

# root over TCP with an empty password (mariadb-install-db leaves root@localhost on unix_socket only).
ensure_replica_root() {
    rep "SELECT 1" >/dev/null 2>&1 && return 0
    log "replica: enabling root@127.0.0.1 / root@localhost without password"
    rep_sock "SET SESSION sql_log_bin = 0;
              ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;
              CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
              GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
              GRANT PROXY ON ''@'%' TO 'root'@'127.0.0.1' WITH GRANT OPTION;" ||
        die "could not set up root on the replica"
    rep "SELECT 1" >/dev/null || die "root@127.0.0.1 still cannot log in to the replica"
}

# Vertical output ("Key: value" lines); -N would drop the keys.
slave_status() { mariadb -h127.0.0.1 -P"$REPLICA_PORT" -uroot -e "SHOW SLAVE STATUS\G" 2>/dev/null || true; }
field() { # status-text, key
    awk -v k="$2" '{ line = $0; sub(/^[ \t]+/, "", line); n = index(line, ":")
                     if (n > 0 && substr(line, 1, n - 1) == k) { v = substr(line, n + 1); sub(/^ /, "", v); print v; exit } }' <<<"$1"
}

change_master() {
    rep "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$PRIMARY_PORT, MASTER_USER='$REPL_USER',
         MASTER_PASSWORD='$REPL_PASSWORD', MASTER_CONNECT_RETRY=1, MASTER_DELAY=0, MASTER_USE_GTID=slave_pos"
}

# Copy the primary's user databases consistently and start replication at exactly the dump's GTID position.
resync_replica() {
    log "re-seeding replica from the primary's current state"
    rep "STOP SLAVE; RESET SLAVE ALL" >/dev/null 2>&1 || true
    local dbs dump=/tmp/deployclaw-replica-seed.sql gtid attempt
    dbs=$(pri "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ($SYSTEM_DBS)" | paste -sd' ')
    for attempt in 1 2 3; do
        # --master-data=2 --gtid: consistent snapshot (brief global read lock) + its GTID position as a comment.
        if mariadb-dump -h127.0.0.1 -P"$PRIMARY_PORT" -uroot --single-transaction --master-data=2 --gtid \
            --routines --events --triggers --databases $dbs >"$dump" 2>/tmp/deployclaw-replica-seed.err; then
            break
        fi
        ((attempt < 3)) || die "mariadb-dump of the primary failed: $(cat /tmp/deployclaw-replica-seed.err)"
        sleep 2
    done
    gtid=$(grep -m1 -oE "gtid_slave_pos='[^']*'" "$dump" | sed -E "s/gtid_slave_pos='(.*)'/\1/") ||
        die "no GTID position found in the seed dump"
    mariadb -h127.0.0.1 -P"$REPLICA_PORT" -uroot --init-command="SET SESSION sql_log_bin = 0" <"$dump" ||
        die "loading the seed dump into the replica failed"
    rm -f "$dump"
    rep "SET GLOBAL gtid_slave_pos = '$gtid'"
    change_master
    rep "START SLAVE"
    log "replica seeded ($dbs) at GTID '$gtid'"
}

if ! replica_dir_ok; then
    init_replica_dir
    start_replica || die "replica mariadbd did not start on 127.0.0.1:$REPLICA_PORT (see $REPLICA_LOG)"
    ensure_replica_root
    resync_replica
else
    if ! replica_up; then
        log "replica is down, starting it"
        if ! start_replica; then
            log "replica failed to start (see $REPLICA_LOG), re-creating it"
            init_replica_dir
            start_replica || die "replica mariadbd did not start on 127.0.0.1:$REPLICA_PORT (see $REPLICA_LOG)"
        fi
    fi
    ensure_replica_root
    st=$(slave_status)
    if [[ -z $st ]]; then
        resync_replica
    else
        if [[ $(field "$st" Master_Host) != 127.0.0.1 || $(field "$st" Master_Port) != "$PRIMARY_PORT" ||
            $(field "$st" Master_User) != "$REPL_USER" || $(field "$st" Using_Gtid) != Slave_Pos ||
            $(field "$st" SQL_Delay) != 0 ]]; then
            log "replica: fixing replication source settings"
            rep "STOP SLAVE"
            change_master
            rep "START SLAVE"
        fi
        sql_errno=$(field "$st" Last_SQL_Errno)
        io_errno=$(field "$st" Last_IO_Errno)
        if [[ $sql_errno != 0 || $io_errno == 1236 ]]; then
            # 1236: the primary no longer has the binlogs for our position.
            log "replication is broken (Last_SQL_Errno=$sql_errno: $(field "$st" Last_SQL_Error); Last_IO_Errno=$io_errno)"
            resync_replica
        elif [[ $(field "$st" Slave_IO_Running) == No || $(field "$st" Slave_SQL_Running) == No ]]; then
            log "replication threads were stopped (IO=$(field "$st" Slave_IO_Running), SQL=$(field "$st" Slave_SQL_Running)), starting them"
            rep "START SLAVE"
        fi
    fi
fi

running() {
    local st
    st=$(slave_status)
    [[ $(field "$st" Slave_IO_Running) == Yes && $(field "$st" Slave_SQL_Running) == Yes ]]
}
if ! wait_for "$TIMEOUT" running; then
    st=$(slave_status)
    die "replication not running after ${TIMEOUT}s: IO=$(field "$st" Slave_IO_Running) ($(field "$st" Last_IO_Error)), SQL=$(field "$st" Slave_SQL_Running) ($(field "$st" Last_SQL_Error)); see $REPLICA_LOG"
fi

# Prove it end to end: a row written on the primary shows up on the replica.
token=$(cat /proc/sys/kernel/random/uuid)
# Metadata locks visible on the primary (the table-lock gate's precise source on MariaDB): the metadata_lock_info
# plugin ships with the server package. Installing it is recorded in mysql.plugin, so it is done once.
if [[ $(pri "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO'") != 1 ]]; then
    pri "INSTALL SONAME 'metadata_lock_info'" || die "could not install the metadata_lock_info plugin on the primary"
fi

pri "CREATE TABLE IF NOT EXISTS test.deployclaw_ci_marker (
         id BIGINT AUTO_INCREMENT PRIMARY KEY,
         token VARCHAR(64) NOT NULL,
         created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB;
     DELETE FROM test.deployclaw_ci_marker WHERE created_at < NOW() - INTERVAL 1 DAY;
     INSERT INTO test.deployclaw_ci_marker (token) VALUES ('$token');"
marker_seen() { [[ $(rep "SELECT COUNT(*) FROM test.deployclaw_ci_marker WHERE token = '$token'" 2>/dev/null) == 1 ]]; }
if ! wait_for "$TIMEOUT" marker_seen; then
    st=$(slave_status)
    die "marker row did not reach the replica within ${TIMEOUT}s (IO=$(field "$st" Slave_IO_Running), SQL=$(field "$st" Slave_SQL_Running), $(field "$st" Last_SQL_Error))"
fi

st=$(slave_status)
echo "MariaDB OK: primary 127.0.0.1:$PRIMARY_PORT (log_bin=deployclaw-bin, binlog_format=ROW, gtid $(pri "SELECT @@gtid_binlog_pos")); replica 127.0.0.1:$REPLICA_PORT ($REPLICA_DIR, user $REPL_USER) IO=$(field "$st" Slave_IO_Running) SQL=$(field "$st" Slave_SQL_Running) Seconds_Behind_Master=$(field "$st" Seconds_Behind_Master) Gtid_IO_Pos=$(field "$st" Gtid_IO_Pos); marker $token replicated"
