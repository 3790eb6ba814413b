#!/usr/bin/env bash
# The run command: installs what the service needs, prepares the database, then serves it with gunicorn on
# http://127.0.0.1:${EINVOICE_PORT:-8000}.
# Configuration comes from EINVOICE_* variables (see README.md).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$EINVOICE_ROOT"

einvoice_ensure_debs "${EINVOICE_RUNTIME_DEBS[@]}"
# The service alone, without the dev extra: a first start stays quick and pulls no test tools. A venv
# that scripts/test.sh already filled with the dev extra is accepted as it is (see lib.sh).
einvoice_ensure_venv ""

# Migrations, production checks (refusing the development secret key or certificate), and on a first start in
# development the demo issuer, series, fees and accounts, whose generated passwords are printed once.
.venv/bin/flask --app wsgi prepare
# Printed QR codes and lookup links point at this service unless a public address is configured.
export EINVOICE_PUBLIC_BASE_URL="${EINVOICE_PUBLIC_BASE_URL:-http://127.0.0.1:${EINVOICE_PORT:-8000}}"
# The road to the tax authority: a worker sends what the service queues. Without a configured T-VAN (development),
# a local simulator of the T-VAN and the authority stands in, so a "C" invoice is seen to get its code.
BACKGROUND=()
stop_background() {
    ((${#BACKGROUND[@]})) && kill "${BACKGROUND[@]}" 2>/dev/null
    wait 2>/dev/null || true
}
trap stop_background EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [[ -z ${EINVOICE_TVAN_URL:-} && ${EINVOICE_ENV:-development} != production ]]; then
    sim_port="${EINVOICE_SIMULATOR_PORT:-8100}"
    export EINVOICE_TVAN_URL="http://127.0.0.1:$sim_port" EINVOICE_TVAN_TOKEN="dev-tvan-token"
    .venv/bin/flask --app wsgi einvoice simulator --port "$sim_port" --token "$EINVOICE_TVAN_TOKEN" &
    BACKGROUND+=($!)
fi
if [[ -n ${EINVOICE_TVAN_URL:-} ]]; then
    .venv/bin/flask --app wsgi einvoice worker &
    BACKGROUND+=($!)
else
    echo "warning: EINVOICE_TVAN_URL is not set: nothing is sent to the tax authority (see README)" >&2
fi
# gunicorn: ${EINVOICE_WORKERS:-2} worker processes; each opens its own database connections on first use.
.venv/bin/gunicorn -c python:einvoice.web.gunicorn_conf --bind "127.0.0.1:${EINVOICE_PORT:-8000}" \
    --workers "${EINVOICE_WORKERS:-2}" wsgi:app
