# shellcheck shell=bash
# Shared set-up for scripts/test.sh and scripts/serve.sh: Debian packages and the project's venv.
# Sourced, never run. Both commands must work on a fresh Debian 12 machine as root and cost next to
# nothing when everything is already there, so every step first checks and only then acts.

EINVOICE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EINVOICE_VENV="$EINVOICE_ROOT/.venv"

# What the service needs at run time: WeasyPrint's text stack and the fonts the PDFs embed.
EINVOICE_RUNTIME_DEBS=(
    fonts-dejavu-core fonts-dejavu-extra libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
)
# What the test suite needs on top: a signature checker independent of our code, a PostgreSQL
# server, the browser Playwright drives, and tools that read the PDFs and QR codes we print.
EINVOICE_TEST_DEBS=(
    "${EINVOICE_RUNTIME_DEBS[@]}" xmlsec1 postgresql chromium poppler-utils zbar-tools
)

einvoice_heading() {
    printf '\n==> %s\n' "$*"
}

# Install the Debian packages named as arguments that are not installed yet; no apt-get otherwise.
einvoice_ensure_debs() {
    local pkg missing=()
    for pkg in "$@"; do
        # `dpkg -s` also succeeds for a removed package that left its config files: read the status.
        dpkg -s "$pkg" 2>/dev/null | grep -qx 'Status: install ok installed' || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    einvoice_heading "Installing Debian packages: ${missing[*]}"
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || {
            echo "error: not root and no sudo; install as root: ${missing[*]}" >&2
            return 1
        }
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Print the first Python interpreter on PATH that is at least 3.11.
einvoice_find_python() {
    local candidate
    for candidate in ${EINVOICE_PYTHON:-} python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "error: no python3 >= 3.11 on PATH (set EINVOICE_PYTHON to one)" >&2
    return 1
}

# Make .venv exist and hold the project installed in editable mode with the extra named in $1
# ("" for the service alone, "dev" for the tools and tests too). pip runs only when pyproject.toml
# changed since the last install or a wider extra is asked for: the stamp in .venv records both.
einvoice_ensure_venv() {
    local extra="${1:-}" python stamp="$EINVOICE_VENV/.einvoice-install" hash have
    if ! "$EINVOICE_VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        2>/dev/null; then
        python="$(einvoice_find_python)" || return 1
        einvoice_heading "Creating $EINVOICE_VENV with $python"
        rm -rf "$EINVOICE_VENV"
        "$python" -m venv "$EINVOICE_VENV"
    fi
    hash="$(sha256sum "$EINVOICE_ROOT/pyproject.toml" | cut -d' ' -f1)"
    have="$(cat "$stamp" 2>/dev/null || true)"
    # A "dev" install also serves the service: only a missing or narrower install needs pip.
    if [[ $have == "$hash dev" || $have == "$hash $extra" ]]; then
        return 0
    fi
    local target="$EINVOICE_ROOT${extra:+[$extra]}"
    einvoice_heading "Installing einvoice into .venv: pip install -e '$target'"
    "$EINVOICE_VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$target"
    printf '%s %s\n' "$hash" "$extra" >"$stamp"
}
