#!/usr/bin/env python3
"""dnsd's memory under the largest inputs it accepts, with a fleet registered.

Starts PostgreSQL, two pdns_servers (SHARED_DB on gpgsql, API on gsqlite3) and
dnsd (default flags, default log level), registers both servers, then imports
zone files through the generated Python stubs as PRAHO would and samples
dnsd's resident memory (VmRSS, from /proc) while they run and after they
settle. Each variant (a dnsd binary, optionally with extra environment) gets
the same workload; with --rounds > 1 variants alternate.

  /usr/bin/python3 bench/memory_bench.py                      # 12 x 40,000 RRsets, one at a time
  /usr/bin/python3 bench/memory_bench.py --parallel=4 --rrsets=100000 --imports=8
  /usr/bin/python3 bench/memory_bench.py --variant old=/path/to/old/dnsd --variant new=build/server/dnsd

Prints one line per import and a summary per variant: peak RSS, RSS after
the last import settled. It reports; it does not gate anything.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy"))
import local_stack  # noqa: E402

STUBS = ROOT / "python" / "dns_v1_stubs"
sys.path.insert(0, str(STUBS))
import grpc  # noqa: E402
from dns.v1 import resources_pb2, zone_service_pb2, zone_service_pb2_grpc  # noqa: E402

MiB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def zone_file(zone: str, rrsets: int) -> str:
    """`rrsets` RRsets (A, AAAA, TXT, MX mixed) in RFC 1035 form."""
    lines = [f"$ORIGIN {zone}.", "$TTL 300", "@ IN NS ns1.example.net.", "@ IN NS ns2.example.net."]
    for i in range(rrsets - 1):  # the apex NS is one
        kind = i % 4
        if kind == 0:
            lines.append(f"h{i} IN A 192.0.{i % 250}.{i % 200 + 1}")
        elif kind == 1:
            lines.append(f"h{i} IN AAAA 2001:db8::{i // 65536:x}:{i % 65536:x}")
        elif kind == 2:
            lines.append(f'h{i} IN TXT "v=spf1 include:_spf{i}.example.net -all"')
        else:
            lines.append(f"h{i} IN MX 10 mx{i % 7}.example.net.")
    return "\n".join(lines) + "\n"


class Sampler:
    """Samples a pid's RSS every 100 ms; keeps the peak."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.1)

    def stop(self):
        self._stop.set()
        self._thread.join()


def run_variant(name: str, binary: str, env: dict[str, str], args) -> dict:
    state_dir = Path(tempfile.mkdtemp(prefix=f"memory-bench-{name}-"))
    os.environ["DNSD_BIN"] = binary
    state: dict = {"state_dir": str(state_dir)}
    try:
        state["postgres"] = local_stack.start_postgres(state_dir)
        local_stack.migrate_database(state["postgres"])
        state["pdns"] = []
        if args.fleet:
            state["pdns"].append(local_stack.start_pdns(state_dir, state["postgres"],
                                                        name="pdns-shared"))
            state["pdns"].append(local_stack.start_pdns(state_dir, None, backend="gsqlite3",
                                                        name="pdns-api"))
        secret = base64.b64encode(os.urandom(32)).decode()
        dnsd = local_stack.start_dnsd(
            state_dir, state["postgres"], [f"--default_nameservers={local_stack.DEFAULT_NAMESERVERS}"],
            migrate=False, env={"DNSD_SECRET_KEY": secret, **env})
        state["dnsd"] = [dnsd]
        if args.fleet:
            local_stack.register_servers(state)
        pid = dnsd["pid"]
        channel = grpc.insecure_channel(
            dnsd["target"], options=[("grpc.max_send_message_length", 64 * MiB)])
        zones = zone_service_pb2_grpc.ZoneServiceStub(channel)
        start_rss = rss_bytes(pid)
        sampler = Sampler(pid)

        def one(i: int) -> tuple[int, float, int, str]:
            zone = f"mem{i}-{uuid.uuid4().hex[:6]}.example"
            text = zone_file(zone, args.rrsets)
            t0 = time.monotonic()
            try:
                zones.ImportZone(zone_service_pb2.ImportZoneRequest(
                    zone=resources_pb2.Zone(name=zone), zone_file=text,
                    request_id=str(uuid.uuid4())), timeout=600)
                outcome = "OK"
            except grpc.RpcError as e:
                outcome = f"{e.code().name}: {e.details()[:80]}"
            return i, time.monotonic() - t0, len(text), outcome

        print(f"[{name}] dnsd {binary} {' '.join(f'{k}={v}' for k, v in env.items())}")
        print(f"[{name}] RSS at start: {start_rss / MiB:.0f} MiB")
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.parallel) as pool:
            for i, seconds, size, outcome in pool.map(one, range(args.imports)):
                print(f"[{name}] import {i + 1:2d}: {size / MiB:.2f} MiB file, {seconds:6.2f} s, "
                      f"{outcome}; RSS now {rss_bytes(pid) / MiB:.0f} MiB", flush=True)
        # What stays once propagation of the imported zones is done.
        time.sleep(args.settle)
        sampler.stop()
        end_rss = rss_bytes(pid)
        channel.close()
        return {"name": name, "start": start_rss, "peak": sampler.peak, "end": end_rss}
    finally:
        local_stack.stop_all(state)
        local_stack._remove_state(state_dir, state)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--imports", type=int, default=12)
    parser.add_argument("--rrsets", type=int, default=40000)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds to wait after the last import before the final reading")
    parser.add_argument("--no-fleet", dest="fleet", action="store_false")
    parser.add_argument("--variant", action="append", default=[],
                        help="NAME=BINARY[;ENV=VALUE...] (default: this build's dnsd)")
    args = parser.parse_args()
    variants = []
    for spec in args.variant or [f"dnsd={local_stack.dnsd_bin()}"]:
        name, _, rest = spec.partition("=")
        binary, *env_parts = rest.split(";")
        env = dict(p.split("=", 1) for p in env_parts)
        variants.append((name, str(Path(binary).resolve()), env))
    results = []
    for _ in range(args.rounds):
        for name, binary, env in variants:
            results.append(run_variant(name, binary, env, args))
    print()
    print(f"{'variant':<16} {'start MiB':>9} {'peak MiB':>9} {'settled MiB':>11}")
    for r in results:
        print(f"{r['name']:<16} {r['start'] / MiB:9.0f} {r['peak'] / MiB:9.0f} {r['end'] / MiB:11.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
