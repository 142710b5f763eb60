#!/usr/bin/env bash
# Creates deploy/compose/secrets/: a database password, ingång's master and
# blind-index keys and the audit log's signing key (with `ingang keys init`), and a self-signed TLS
# certificate for the load balancer (replace it with a real one). Run once
# from the repository root; never commit the result (.gitignore'd).
set -euo pipefail
cd "$(dirname "$0")"
umask 077
mkdir -p secrets/issuers
[ -s secrets/db-password ] || head -c 32 /dev/urandom | base64 | tr -d '/+=' > secrets/db-password
if [ ! -e secrets/keys/current ]; then
    INGANG_ENV=production INGANG_KEYS_DIR="$PWD/secrets/keys" INGANG_CONFIG="$PWD/ingang.toml" \
        cargo run --release -q -p ingang-api -- keys init
fi
# The container runs as uid 65532 and must read the keys.
chmod 0755 secrets/keys && chmod 0644 secrets/keys/* secrets/db-password || true
if [ ! -e secrets/tls.crt ]; then
    openssl req -x509 -newkey ed25519 -nodes -days 90 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost" \
        -keyout secrets/tls.key -out secrets/tls.crt
fi
ls secrets/issuers/*.pub.pem >/dev/null 2>&1 || \
    echo "note: put each token issuer's Ed25519 public key in deploy/compose/secrets/issuers/ (see ingang.toml)"
