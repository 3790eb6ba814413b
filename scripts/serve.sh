#!/usr/bin/env bash
# The run command: installs what the service needs, then serves it on http://127.0.0.1:${EINVOICE_PORT:-8000}.
# Configuration comes from EINVOICE_* variables (see README.md).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$EINVOICE_ROOT"

einvoice_ensure_debs "${EINVOICE_RUNTIME_DEBS[@]}"
# The service alone, without the dev extra: a first start stays quick and pulls no test tools. A venv
# that scripts/test.sh already filled with the dev extra is accepted as it is (see lib.sh).
einvoice_ensure_venv ""

exec .venv/bin/flask --app wsgi run --host 127.0.0.1 --port "${EINVOICE_PORT:-8000}"
