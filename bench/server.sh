# Sourced by the bench scripts. `start_server CMD…` runs `CMD serve --demo`
# on $DATA and 127.0.0.1:$PORT (with SERVE_ARGS, if any) in the background,
# sets SERVER to its pid and returns once it answers; CMD may be a binary or
# a wrapper such as valgrind with the binary. `stop_server` stops it.
start_server() {
  RUST_LOG=${RUST_LOG:-warn} "$@" serve --demo --data-dir "$DATA" --listen "127.0.0.1:$PORT" \
    ${SERVE_ARGS[@]+"${SERVE_ARGS[@]}"} >>"$DATA/serve.out" 2>>"$DATA/serve.err" &
  SERVER=$!
  for _ in $(seq 1 600); do
    [ -f "$DATA/demo.json" ] && curl -sf --cacert "$DATA/certs/ca.pem" "https://localhost:$PORT/healthz" >/dev/null && return
    sleep 0.1
  done
  echo "the server did not start:" >&2; cat "$DATA/serve.err" >&2; exit 1
}
stop_server() { kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""; }
