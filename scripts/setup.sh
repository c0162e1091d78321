#!/usr/bin/env bash
# Installs every Debian package needed to build, test and run Postern (target: Debian 12).
# Idempotent: asks dpkg what is already there and touches apt only for what is missing.
# Runs as root (CI) or through sudo. Never prompts.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # clang for the fuzz build. libstdc++ 12's <expected> needs __cpp_concepts >= 202002L,
  # which clang 14 cannot provide (no P0848 conditionally trivial destructors); clang 16
  # can, once the macro is raised (see the Makefile's fuzz step).
  clang libclang-rt-14-dev clang-16 libclang-rt-16-dev clang-format
  # libraries
  libboost1.81-dev libboost-json1.81-dev libssl-dev libsqlite3-dev libargon2-dev libcrypt-dev
  libtomlplusplus-dev libcli11-dev libfmt-dev libspdlog-dev libgtest-dev libgmock-dev
  # run and operate
  openssl sqlite3 ca-certificates procps
  # integration tests: real clients driving the real binary
  python3 python3-pytest python3-pytest-timeout swaks msmtp gsasl curl
  # swaks only recommends these: STARTTLS/implicit TLS, IPv6, and AUTH (CRAM-MD5 needs HMAC)
  libnet-ssleay-perl libio-socket-inet6-perl libauthen-sasl-perl libdigest-hmac-perl
  # operations: fail2ban-regex checks the shipped filter, promtool the /metrics exposition
  fail2ban prometheus
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  # "ii " = wanted and installed; anything else (absent, half-configured) needs apt.
  if [[ "$status" != "ii"* ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  # Without a terminal (CI) sudo must not wait for a password nobody will type.
  if [[ -t 0 ]]; then as_root=(sudo); else as_root=(sudo -n); fi
else
  echo "setup: missing packages (${missing[*]}) and neither root nor sudo available" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
echo "setup: done"
