#!/usr/bin/env bash
# Test support for the MySQL-family gates: a throwaway MariaDB on 127.0.0.1:3308 started with performance_schema ON
# and the metadata-lock instrument enabled (MariaDB ships both off), with binary logging OFF, and the
# metadata_lock_info plugin installed. The table-lock tests switch between the three lock sources on this server
# (performance_schema.metadata_locks, information_schema.METADATA_LOCK_INFO, processlist + innodb_trx); the
# rollback-validation tests use it as the "binary log off" server.
# Idempotent: does nothing when it already answers; re-creates the data directory when it is missing or broken.
# Left running on purpose (the lead's .ci/run calls this script).
set -euo pipefail

PORT=${DEPLOYCLAW_MARIADB_PFS_PORT:-3308}
DIR=/var/lib/deployclaw-mariadb-pfs
SOCKET=/run/mysqld/deployclaw-pfs.sock
PIDFILE=/run/mysqld/deployclaw-pfs.pid
LOG=/var/log/mysql/deployclaw-pfs.err
TIMEOUT=${DEPLOYCLAW_MARIADB_TIMEOUT:-60}

log() { echo "[mariadb-pfs.sh] $*" >&2; }
die() { echo "[mariadb-pfs.sh] ERROR: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "must run as root"

exec 9>/run/lock/deployclaw-ci-mariadb-pfs.lock
flock -w 120 9 || die "another mariadb-pfs.sh run holds the lock"

sql() { mariadb -h127.0.0.1 -P"$PORT" -uroot -N -B -e "$1"; }
up() { mariadb-admin --socket="$SOCKET" -uroot --connect-timeout=2 ping >/dev/null 2>&1; }
tcp_ok() { sql "SELECT 1" >/dev/null 2>&1; }
wait_for() { local i; for ((i = 0; i < $1 * 2; i++)); do "${@:2}" && return 0; sleep 0.5; done; return 1; }

install -d -o mysql -g mysql -m 0755 /run/mysqld /var/log/mysql

init_dir() {
    log "initialising $DIR"
    rm -rf "$DIR"
    install -d -o mysql -g mysql -m 0750 "$DIR"
    mariadb-install-db --no-defaults --datadir="$DIR" --user=mysql --skip-test-db --skip-name-resolve \
        >/tmp/deployclaw-pfs-install.log 2>&1 || die "mariadb-install-db failed, see /tmp/deployclaw-pfs-install.log"
    chown -R mysql:mysql "$DIR"
}

start() {
    start-stop-daemon --start --oknodo --background --pidfile "$PIDFILE" --exec /usr/sbin/mariadbd -- \
        --no-defaults --datadir="$DIR" --port="$PORT" --bind-address=127.0.0.1 --socket="$SOCKET" \
        --pid-file="$PIDFILE" --log-error="$LOG" --user=mysql --server-id=3 --skip-log-bin --skip-name-resolve \
        --performance-schema=ON --performance-schema-instrument='wait/lock/metadata/sql/mdl=ON' \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
        --innodb-buffer-pool-size=64M 9>&-
    wait_for "$TIMEOUT" up
}

if ! up; then
    [[ -d $DIR/mysql && -f $DIR/ibdata1 ]] || init_dir
    log "starting MariaDB (performance_schema ON, binlog OFF) on 127.0.0.1:$PORT"
    start || { log "start failed (see $LOG), re-creating $DIR"; init_dir; start || die "mariadbd did not start (see $LOG)"; }
fi

if ! tcp_ok; then
    log "enabling root@127.0.0.1 without password"
    mariadb --socket="$SOCKET" -uroot -N -B -e "
        ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;
        CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
        GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" || die "could not set up root"
    tcp_ok || die "root@127.0.0.1 cannot log in on port $PORT"
fi

sql "CREATE DATABASE IF NOT EXISTS test"
if [[ $(sql "SELECT COUNT(*) FROM information_schema.plugins WHERE plugin_name = 'METADATA_LOCK_INFO'") == 0 ]]; then
    sql "INSTALL SONAME 'metadata_lock_info'"
fi
# tests switch the instrument off to exercise the other sources; start every run from the documented state
sql "UPDATE performance_schema.setup_instruments SET ENABLED = 'YES', TIMED = 'YES' WHERE NAME = 'wait/lock/metadata/sql/mdl'"

read -r pfs mdl binlog < <(sql "SELECT @@performance_schema,
    (SELECT ENABLED FROM performance_schema.setup_instruments WHERE NAME = 'wait/lock/metadata/sql/mdl'), @@log_bin")
[[ $pfs == 1 && $mdl == YES && $binlog == 0 ]] || die "unexpected state: performance_schema=$pfs mdl instrument=$mdl log_bin=$binlog"
echo "MariaDB performance_schema server OK: 127.0.0.1:$PORT ($DIR) performance_schema=ON, mdl instrument=YES, METADATA_LOCK_INFO installed, log_bin=OFF"
