#!/usr/bin/env bash
# The test command: installs what the suite needs, then runs lint, format check, types and pytest.
# Arguments go to pytest (e.g. `bash scripts/test.sh tests/web -x`). Stops at the first failing stage.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$EINVOICE_ROOT"

einvoice_ensure_debs "${EINVOICE_TEST_DEBS[@]}"
einvoice_ensure_venv dev

# A throwaway PostgreSQL cluster, private to this run: its own data dir, port and socket dir, removed
# on exit whatever happened. initdb refuses root, hence the postgres user; Debian keeps the server
# binaries off PATH, hence the glob.
PG_DIR=""
stop_postgres() {
    [[ -n $PG_DIR ]] || return 0
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -s stop \
        >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap stop_postgres EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_postgres() {
    PG_BIN="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    [[ -x $PG_BIN/initdb ]] || {
        echo "error: no PostgreSQL server under /usr/lib/postgresql" >&2
        return 1
    }
    PG_DIR="$(mktemp -d /tmp/einvoice-pg.XXXXXX)"
    mkdir "$PG_DIR/socket"
    chown -R postgres: "$PG_DIR"
    local port
    port="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust \
        -E UTF8 --no-locale --no-sync >"$PG_DIR/initdb.log" \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    # Durability is pointless for a cluster that is deleted in a minute; speed is not.
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -s \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR/socket" \
        -o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off" start \
        || { cat "$PG_DIR/server.log" >&2; return 1; }
    runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres einvoice_test
    export EINVOICE_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/einvoice_test"
    echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

einvoice_heading "Starting a throwaway PostgreSQL"
start_postgres
export EINVOICE_TEST_CHROMIUM=/usr/bin/chromium

einvoice_heading "ruff check"
.venv/bin/ruff check .
einvoice_heading "ruff format --check"
.venv/bin/ruff format --check .
einvoice_heading "mypy"
.venv/bin/mypy
einvoice_heading "pytest"
status=0
.venv/bin/pytest -p no:cacheprovider "$@" || status=$?
if ((status == 5)); then
    echo "error: pytest collected no tests; this suite always has some" >&2
fi
exit "$status"
