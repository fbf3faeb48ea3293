#!/usr/bin/env bash
# One command to see dns.v1 working on this machine: installs what it needs,
# builds, starts PostgreSQL + pdns_server + dnsd on loopback
# (deploy/local_stack.py) and runs the demo (a zone and a record through
# dnsctl, answered by PowerDNS). The stack stays up afterwards.
# Idempotent: a stack left by an earlier run is stopped first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash deploy/setup-debian.sh
bash deploy/build.sh
python3 deploy/local_stack.py down
python3 deploy/local_stack.py up
python3 deploy/local_stack.py demo

cat <<'NOTE'

The stack is still running:
  python3 deploy/local_stack.py status   # what runs where
  python3 deploy/local_stack.py down     # stop it and remove .stack/
NOTE
