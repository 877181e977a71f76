# Shared by the project's scripts: start and stop a hub on a free port.

# Builds the release binary once per script run.
build_release() {
    swift build -c release --product livehub >&2
    LIVEHUB_BIN="$(swift build -c release --show-bin-path)/livehub"
    export LIVEHUB_BIN
}

# start_hub PORT ARGS...: runs the hub in the background, waits until /healthz answers.
start_hub() {
    local port=$1; shift
    "$LIVEHUB_BIN" serve --port "$port" "$@" >"${HUB_LOG:-/dev/null}" 2>&1 &
    HUB_PID=$!
    for _ in $(seq 1 100); do
        if curl -fsk "${HUB_HEALTH_URL:-http://127.0.0.1:$port/healthz}" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "the hub did not start on port $port" >&2
    return 1
}

stop_hub() {
    [ -n "${HUB_PID:-}" ] || return 0
    kill -TERM "$HUB_PID" 2>/dev/null || true
    wait "$HUB_PID" 2>/dev/null || true
    HUB_PID=
}
