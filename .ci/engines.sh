# The SQL engines the engine tests run against: a PostgreSQL 15 server of its own (an
# unprivileged user, a fresh data directory, a free loopback port), the sqlite3 client
# and the DuckDB command-line client (from PyPI, into a throwaway folder).
#
# Sourced, it provisions and starts them, exports
#   RECONTACT_TEST_POSTGRES   a URL of the server's database
#   RECONTACT_TEST_SQLITE     the sqlite3 client
#   RECONTACT_TEST_DUCKDB     the DuckDB client
#   RECONTACT_REQUIRE_ENGINES=1 (a test whose engine is missing fails instead of skipping)
# and defines `recontact_engines_stop`, which stops the server and removes every
# temporary file; call it when done (`.ci/run` does, from a trap, even on failure):
#
#   source .ci/engines.sh && cargo test -p recontact-engine; recontact_engines_stop
#
# Run as a script, it starts the engines, runs the command given after it, and stops
# them whatever the command's outcome:
#
#   bash .ci/engines.sh cargo test -p recontact-engine --test connection
#
# Installing uses Debian's packages and PyPI, and only when something is missing.

recontact_engines_pg_version=15
recontact_engines_pg_bin=/usr/lib/postgresql/${recontact_engines_pg_version}/bin
recontact_engines_user=recontact-ci

# apt-get install, refreshing the package lists only when the first try fails.
recontact_engines_apt() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
}

# Runs a command as the server's user (root is refused by PostgreSQL).
recontact_engines_as_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$recontact_engines_user" -- "$@"
    else
        "$@"
    fi
}

recontact_engines_start_postgres() {
    if [ ! -x "$recontact_engines_pg_bin/postgres" ]; then
        echo "engines: installing postgresql-$recontact_engines_pg_version"
        recontact_engines_apt "postgresql-$recontact_engines_pg_version" || return 1
    fi
    local user=$recontact_engines_user
    if [ "$(id -u)" -eq 0 ]; then
        id -u "$user" >/dev/null 2>&1 ||
            useradd --system --no-create-home --shell /usr/sbin/nologin "$user" || return 1
    else
        user=$(id -un)
    fi
    local dir=$RECONTACT_ENGINES_DIR
    mkdir -p "$dir/pgdata" "$dir/pgsocket" || return 1
    chown "$user" "$dir/pgdata" "$dir/pgsocket" || return 1
    chmod 700 "$dir/pgdata"
    recontact_engines_as_user "$recontact_engines_pg_bin/initdb" -D "$dir/pgdata" -U "$user" \
        --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; return 1; }
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
        return 1
    # The server log goes where the user may write it.
    touch "$dir/postgres.log" && chown "$user" "$dir/postgres.log"
    recontact_engines_as_user "$recontact_engines_pg_bin/pg_ctl" -w -t 60 -D "$dir/pgdata" \
        -l "$dir/postgres.log" \
        -o "-p $port -k $dir/pgsocket -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
        { cat "$dir/postgres.log" >&2; return 1; }
    RECONTACT_ENGINES_PG_STARTED=1
    recontact_engines_as_user "$recontact_engines_pg_bin/createdb" -h 127.0.0.1 -p "$port" -U "$user" recontact ||
        return 1
    export RECONTACT_TEST_POSTGRES="postgresql://$user@127.0.0.1:$port/recontact"
}

recontact_engines_start_clients() {
    if ! command -v sqlite3 >/dev/null 2>&1; then
        echo "engines: installing sqlite3"
        recontact_engines_apt sqlite3 || return 1
    fi
    export RECONTACT_TEST_SQLITE
    RECONTACT_TEST_SQLITE=$(command -v sqlite3)
    # PyPI's duckdb-cli ships the client's binary inside a Python package. Installed
    # into a throwaway folder (or, where python3 has no pip of its own, a throwaway
    # virtual environment), the binary is used directly, without the package's Python
    # launcher (which would run it as a child process).
    local target=$RECONTACT_ENGINES_DIR/duckdb-cli
    local pip_options=(-q --disable-pip-version-check --no-warn-script-location)
    if ! python3 -m pip install "${pip_options[@]}" --root-user-action=ignore --target "$target" duckdb-cli \
        >/dev/null 2>&1; then
        rm -rf "$target"
        python3 -m venv "$target" && "$target/bin/pip" install "${pip_options[@]}" duckdb-cli || return 1
    fi
    local client
    client=$(ls "$target"/duckdb_cli/duckdb "$target"/lib/python3*/site-packages/duckdb_cli/duckdb 2>/dev/null |
        head -n 1) || true
    [ -n "$client" ] || { echo "engines: no duckdb client in $target" >&2; return 1; }
    export RECONTACT_TEST_DUCKDB=$client
}

recontact_engines_stop() {
    if [ -n "${RECONTACT_ENGINES_PG_STARTED:-}" ] && [ -n "${RECONTACT_ENGINES_DIR:-}" ]; then
        recontact_engines_as_user "$recontact_engines_pg_bin/pg_ctl" -w -t 60 -m fast \
            -D "$RECONTACT_ENGINES_DIR/pgdata" stop >/dev/null 2>&1 ||
            echo "engines: PostgreSQL did not stop (data in $RECONTACT_ENGINES_DIR/pgdata)" >&2
    fi
    unset RECONTACT_ENGINES_PG_STARTED
    if [ -n "${RECONTACT_ENGINES_DIR:-}" ]; then
        rm -rf "$RECONTACT_ENGINES_DIR"
    fi
    unset RECONTACT_ENGINES_DIR RECONTACT_TEST_POSTGRES RECONTACT_TEST_DUCKDB RECONTACT_TEST_SQLITE
    unset RECONTACT_REQUIRE_ENGINES
}

recontact_engines_start() {
    local started=$SECONDS
    RECONTACT_ENGINES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/recontact-engines.XXXXXX") || return 1
    # The server's user must reach its data directory inside.
    chmod 755 "$RECONTACT_ENGINES_DIR"
    recontact_engines_start_clients || { recontact_engines_stop; return 1; }
    local clients=$((SECONDS - started))
    recontact_engines_start_postgres || { recontact_engines_stop; return 1; }
    export RECONTACT_REQUIRE_ENGINES=1
    echo "engines: PostgreSQL at $RECONTACT_TEST_POSTGRES, sqlite3 $RECONTACT_TEST_SQLITE," \
        "DuckDB $RECONTACT_TEST_DUCKDB (ready in $((SECONDS - started)) s:" \
        "clients $clients s, PostgreSQL $((SECONDS - started - clients)) s)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    # Run as a script: the engines for one command.
    set -u
    recontact_engines_start || exit 1
    trap recontact_engines_stop EXIT
    trap 'exit 130' INT TERM
    "$@"
else
    recontact_engines_start
fi
