"""Secrets never leave: a whole session of calls, good and bad, and then a
search of every response, every error (message and trailers) and dnsd's
whole log for each token secret and PowerDNS API key that was used.

Run: /usr/bin/python3 -m unittest discover -s tests/e2e -v
"""

from __future__ import annotations

import secrets
import subprocess
import time
import unittest
import uuid

from test_python_client import (  # noqa: E402  (sets up the stubs' path)
    TIMEOUT, StackTestCase, local_stack, unique_zone)

import grpc  # noqa: E402
from dns.v1 import audit_service_pb2, audit_service_pb2_grpc  # noqa: E402
from dns.v1 import record_service_pb2, record_service_pb2_grpc  # noqa: E402
from dns.v1 import resources_pb2, zone_service_pb2, zone_service_pb2_grpc  # noqa: E402
from dns.v1 import server_service_pb2, server_service_pb2_grpc  # noqa: E402
from dns.v1 import token_service_pb2, token_service_pb2_grpc  # noqa: E402


class SecretsTest(StackTestCase):
    STATE_PREFIX = "dns-e2e-secrets-"

    def setUp(self):
        self.seen: list[str] = []  # every response and error, as text

    def call(self, method, request, channel=None, expect_ok=True):
        """Calls `method` (a stub's bound method), keeps what came back."""
        try:
            response, call = method.with_call(request, timeout=TIMEOUT)
            self.seen.append(str(response))
            self.seen.extend(f"{k}={v!r}" for k, v in call.trailing_metadata() or ())
            if not expect_ok:
                self.fail(f"{method} succeeded")
            return response
        except grpc.RpcError as error:
            self.seen.append(f"{error.code()} {error.details()}")
            self.seen.extend(f"{k}={v!r}" for k, v in error.trailing_metadata() or ())
            if expect_ok:
                raise
            return error

    def test_no_token_secret_or_api_key_in_any_response_error_or_log_line(self):
        api_key = "pdns-key-" + secrets.token_hex(16)
        wrong_key = "wrong-key-" + secrets.token_hex(16)
        pdns = local_stack.start_pdns(self.state_dir, None, backend="gsqlite3",
                                      name="ns-secret", api_key=api_key)
        self.state["pdns"].append(pdns)

        tokens = token_service_pb2_grpc.TokenServiceStub(self.channel)
        made = self.call(tokens.CreateToken, token_service_pb2.CreateTokenRequest(
            name="leak-check", role=token_service_pb2.ROLE_OPERATOR))
        operator = made.secret
        self.assertTrue(operator.startswith("dnsv1_"))
        self.seen.remove(str(made))  # the one place a secret is shown, once
        op_channel = local_stack.bearer_channel(self.dnsd["target"], operator)
        self.addCleanup(op_channel.close)

        servers = server_service_pb2_grpc.ServerServiceStub(op_channel)
        # Registered with the wrong key first: pushes fail with 401.
        self.call(servers.RegisterServer, server_service_pb2.RegisterServerRequest(
            server=server_service_pb2.Server(
                name="ns-secret", api_url=pdns["api_url"], api_key=wrong_key,
                dns_address=pdns["dns_address"], mode=server_service_pb2.SERVER_MODE_API),
            skip_check=True, request_id=str(uuid.uuid4())))
        zones = zone_service_pb2_grpc.ZoneServiceStub(op_channel)
        records = record_service_pb2_grpc.RecordServiceStub(op_channel)
        zone = unique_zone("secret")
        self.call(zones.CreateZone, zone_service_pb2.CreateZoneRequest(
            zone=resources_pb2.Zone(name=zone), request_id=str(uuid.uuid4())))
        self.call(records.ChangeRRsets, record_service_pb2.ChangeRRsetsRequest(
            zone=zone, changes=[record_service_pb2.RRsetChange(
                changetype=record_service_pb2.CHANGE_TYPE_REPLACE,
                rrset=resources_pb2.RRset(name="www", type="A", ttl=300,
                                          records=[resources_pb2.Record(content="192.0.2.1")]))],
            propagation_timeout={"seconds": 2}))
        # Then the right key: the zone reaches the server.
        self.call(servers.UpdateServer, server_service_pb2.UpdateServerRequest(
            server=server_service_pb2.Server(name="ns-secret", api_key=api_key),
            update_mask={"paths": ["api_key"]}))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            got = self.call(zones.GetZone, zone_service_pb2.GetZoneRequest(zone=zone))
            if all(p.state == resources_pb2.PROPAGATION_STATE_IN_SYNC for p in got.propagation):
                break
            time.sleep(0.2)
        self.assertTrue(all(p.state == resources_pb2.PROPAGATION_STATE_IN_SYNC
                            for p in got.propagation), str(got))
        self.call(servers.GetServer, server_service_pb2.GetServerRequest(name="ns-secret"))
        self.call(servers.ListServers, server_service_pb2.ListServersRequest())

        # Bad tokens: forged, truncated, revoked.
        for bad in ("dnsv1_" + "A" * 43, operator[:-1], operator + "x"):
            with local_stack.bearer_channel(self.dnsd["target"], bad) as ch:
                self.call(zone_service_pb2_grpc.ZoneServiceStub(ch).GetZone,
                          zone_service_pb2.GetZoneRequest(zone=zone), expect_ok=False)
        self.call(tokens.ListTokens, token_service_pb2.ListTokensRequest(show_revoked=True))
        self.call(tokens.RevokeToken, token_service_pb2.RevokeTokenRequest(name="leak-check"))
        time.sleep(0.5)
        self.call(zones.GetZone, zone_service_pb2.GetZoneRequest(zone=zone), expect_ok=False)

        audit = audit_service_pb2_grpc.AuditServiceStub(self.channel)
        listed = self.call(audit.ListAuditEntries, audit_service_pb2.ListAuditEntriesRequest())
        for entry in listed.entries:
            self.call(audit.GetAuditEntry, audit_service_pb2.GetAuditEntryRequest(id=entry.id))

        # The command-line client's output too.
        out = subprocess.run(
            [str(local_stack.dnsctl_bin()), f"--server={self.dnsd['target']}", "server", "get",
             "ns-secret"], capture_output=True, text=True, timeout=60,
            env={"DNSCTL_TOKEN": self.token, "PATH": "/usr/bin:/bin"})
        self.seen.append(out.stdout + out.stderr)

        log = local_stack.log_tail(self.dnsd["log"], 50_000_000)
        self.assertIn("ns-secret", log)  # the log is the real one
        self.assertIn("401", log)  # and it has the wrong key's failures
        everything = "\n".join(self.seen)
        for name, secret in (("operator token", operator), ("admin token", self.token),
                             ("API key", api_key), ("wrong API key", wrong_key)):
            self.assertNotIn(secret, everything, f"{name} in a response or error")
            self.assertNotIn(secret, log, f"{name} in dnsd's log")
            # Not even most of it.
            self.assertNotIn(secret[:24], everything + log, f"a prefix of the {name}")


if __name__ == "__main__":
    unittest.main()
