#!/usr/bin/env bash
# Configures and builds dns.v1 into build/ (RelWithDebInfo, all cores).
# Extra arguments go to cmake's configure step, e.g. -DDNS_SANITIZE=ON.
# BUILD_DIR overrides the folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
make -C "$BUILD_DIR" -j"$(nproc)"
