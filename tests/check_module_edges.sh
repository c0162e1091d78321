#!/usr/bin/env bash
# Fails when a pure module (DESIGN.md §2: smtp, sasl, session, policy, config) includes Asio,
# OpenSSL's SSL layer or SQLite, or names a non-pure module's headers.
set -u
root=${1:-$(dirname "$0")/..}
status=0
for m in smtp sasl session policy config; do
  dir="$root/src/$m"
  [ -d "$dir" ] || continue
  hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](boost/asio|asio|boost/beast|openssl/ssl|openssl/tls|sqlite3|(net|server|queue|auth|delivery|observe)/)' "$dir" || true)
  if [ -n "$hits" ]; then
    echo "pure module src/$m includes an I/O header:"
    echo "$hits"
    status=1
  fi
done
[ $status -eq 0 ] && echo "module edges ok"
exit $status
