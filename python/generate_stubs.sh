#!/usr/bin/env bash
# Generates importable Python gRPC stubs for dns.v1 into python/dns_v1_stubs/
# (gitignored). Uses Debian's protoc (3.21) with grpc_python_plugin (gRPC 1.51)
# rather than `python3 -m grpc_tools.protoc`: Debian's python3-grpc-tools
# bundles protoc 3.5, which rejects proto3 `optional` fields. Layout:
#   dns/v1/*                       the contract (import dns.v1.zone_service_pb2)
#   grpc_health/v1/health*         grpc.health.v1 (as grpcio-health-checking lays it out)
#   grpc_reflection/v1alpha/*      grpc.reflection.v1alpha (as grpcio-reflection does)
#   google/rpc/{status,error_details,code}_pb2  error details
# Put python/dns_v1_stubs first on sys.path to use them.
#
# Health and reflection are generated under grpc_health/ and grpc_reflection/,
# not grpc/, because a grpc/ package here would shadow grpcio itself. Every
# generated package gets an __init__.py (so our `dns` wins over dnspython's),
# except google/, which must stay a namespace package shared with protobuf.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/python/dns_v1_stubs}"
PYTHON="${PYTHON:-/usr/bin/python3}"
GRPC_PROTO=/usr/share/grpc-proto
GOOGLEAPIS=/usr/share/gocode/src/github.com/gogo/googleapis

for f in "$GRPC_PROTO/grpc/health/v1/health.proto" \
         "$GRPC_PROTO/grpc/reflection/v1alpha/reflection.proto" \
         "$GOOGLEAPIS/google/rpc/status.proto"; do
  [[ -f "$f" ]] || { echo "generate_stubs: missing $f (run deploy/setup-debian.sh)" >&2; exit 1; }
done
PROTOC="${PROTOC:-protoc}"
GRPC_PY_PLUGIN="${GRPC_PY_PLUGIN:-/usr/bin/grpc_python_plugin}"
command -v "$PROTOC" >/dev/null ||
  { echo "generate_stubs: no protoc (apt-get install protobuf-compiler)" >&2; exit 1; }
[[ -x "$GRPC_PY_PLUGIN" ]] ||
  { echo "generate_stubs: no $GRPC_PY_PLUGIN (apt-get install protobuf-compiler-grpc)" >&2; exit 1; }
"$PYTHON" -c 'import grpc, google.protobuf' 2>/dev/null ||
  { echo "generate_stubs: $PYTHON lacks grpc/protobuf (apt-get install python3-grpcio python3-protobuf)" >&2; exit 1; }

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/grpc_health/v1" "$STAGE/grpc_reflection/v1alpha"
cp "$GRPC_PROTO/grpc/health/v1/health.proto" "$STAGE/grpc_health/v1/"
cp "$GRPC_PROTO/grpc/reflection/v1alpha/reflection.proto" "$STAGE/grpc_reflection/v1alpha/"

rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp"
cd "$ROOT/proto"
"$PROTOC" \
  -I "$ROOT/proto" -I "$STAGE" -I "$GOOGLEAPIS" \
  --plugin=protoc-gen-grpc_python="$GRPC_PY_PLUGIN" \
  --python_out="$OUT.tmp" --grpc_python_out="$OUT.tmp" \
  dns/v1/*.proto \
  grpc_health/v1/health.proto \
  grpc_reflection/v1alpha/reflection.proto
"$PROTOC" \
  -I "$GOOGLEAPIS" --python_out="$OUT.tmp" \
  google/rpc/status.proto google/rpc/error_details.proto google/rpc/code.proto

find "$OUT.tmp" -mindepth 1 -type d ! -path "$OUT.tmp/google" \
  -exec touch {}/__init__.py \;
touch "$OUT.tmp/__init__.py"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "generate_stubs: wrote $(find "$OUT" -name '*_pb2*.py' | wc -l) modules to $OUT"
