#!/usr/bin/env python3
"""A local dns.v1 stack on loopback: PostgreSQL + pdns_server + dnsd.

As a command (state in .stack/ at the repo root, or $DNS_STACK_DIR):

    python3 deploy/local_stack.py up       # start everything, print endpoints
    python3 deploy/local_stack.py status   # what runs where
    python3 deploy/local_stack.py demo     # a zone, a record, a provisioned domain and its
                                           # failover via dnsctl, checked with dig
    python3 deploy/local_stack.py down     # stop everything, remove the state

As a module (tests):

    pg = start_postgres(state_dir)                 # creates database "dns"
    standby = start_standby(state_dir, pg)         # a streaming hot standby of it
    pdns = start_pdns(state_dir, pg)               # gpgsql on that database
    dnsd = start_dnsd(state_dir, pg, ["--flag"])   # runs `dnsd migrate` first
    stop_all({"postgres": pg, "standby": standby, "pdns": [pdns], "dnsd": [dnsd]})

`up` starts PostgreSQL, a streaming standby of it, three pdns_servers (two
SHARED_DB on gpgsql, "pdns-shared" reading the primary and "ns-standby"
reading the standby, and "pdns-api", API mode on gsqlite3) and dnsd, and
registers the servers. Everything listens on 127.0.0.1 only, on free ports.
PostgreSQL runs as user `postgres` (it refuses root) with trust
authentication for user postgres; PowerDNS runs with every cache off, so it
answers what the database holds at once. Binaries: $DNSD_BIN (default build/server/dnsd), $DNSCTL_BIN (default
build/cli/dnsctl). Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pwd
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = Path(os.environ.get("DNS_STACK_DIR", ROOT / ".stack"))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_SCHEMA_SQLITE = Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql")
DEFAULT_NAMESERVERS = "ns1.example.net.,ns2.example.net."
DEFAULT_API_KEY = "local-stack-key"
START_TIMEOUT = 30.0

# Popen objects of the processes this Python process started, by pid, so that
# stopping them also reaps them.
_CHILDREN: dict[int, subprocess.Popen] = {}
_HANDED_OUT_PORTS: set[int] = set()


class StackError(RuntimeError):
    """Something of the stack failed to start or stop."""


# --------------------------------------------------------------------------
# Small helpers


def dnsd_bin() -> Path:
    return Path(os.environ.get("DNSD_BIN", ROOT / "build" / "server" / "dnsd"))


def dnsctl_bin() -> Path:
    return Path(os.environ.get("DNSCTL_BIN", ROOT / "build" / "cli" / "dnsctl"))


def _require_executable(path: Path, what: str) -> None:
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise StackError(
            f"{what} not found at {path}: build it with deploy/build.sh "
            f"or point ${what.upper()}_BIN at it")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _can_bind(kind: int, port: int) -> bool:
    for addr in ("127.0.0.1", "0.0.0.0"):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_port() -> int:
    """A port free on 127.0.0.1 for TCP and UDP, below the ephemeral range
    (so no outgoing connection takes it while a server restarts on it)."""
    high = _ephemeral_low() - 1
    low = 10000 if high > 11000 else 1024
    rng = random.Random(os.getpid() ^ time.time_ns())
    for _ in range(1000):
        port = rng.randint(low, high)
        if port in _HANDED_OUT_PORTS:
            continue
        if _can_bind(socket.SOCK_STREAM, port) and _can_bind(socket.SOCK_DGRAM, port):
            _HANDED_OUT_PORTS.add(port)
            return port
    raise StackError("no free port found")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def pid_alive(pid: int | None) -> bool:
    """True if pid runs (zombies count as dead; our own children are reaped)."""
    if not pid:
        return False
    proc = _CHILDREN.get(pid)
    if proc is not None:
        return proc.poll() is None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat[stat.rfind(")") + 2:][:1]
    return state not in ("Z", "X", "")


def log_tail(path: str | Path, max_bytes: int = 3000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _run(argv: list[str], what: str, timeout: float = 120.0,
         env: dict[str, str] | None = None) -> str:
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=timeout, env=env)
    except FileNotFoundError as e:
        raise StackError(f"{what}: {e}") from e
    except subprocess.TimeoutExpired as e:
        raise StackError(f"{what}: timed out after {timeout} s") from e
    if r.returncode != 0:
        raise StackError(f"{what} failed (exit {r.returncode}): {' '.join(argv)}\n"
                         f"{r.stdout}{r.stderr}")
    return r.stdout


def _spawn(argv: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Starts a process detached from our session (it outlives this command),
    stdout and stderr appended to log_path."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env=env)
    _CHILDREN[proc.pid] = proc
    return proc


def stop_pid(pid: int | None, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `timeout` seconds."""
    if not pid_alive(pid):
        _CHILDREN.pop(pid or 0, None)
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.05)
        if not pid_alive(pid):
            break
    _CHILDREN.pop(pid, None)


def _wait_ready(check, pid: int | None, log: Path, what: str,
                timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if pid is not None and not pid_alive(pid):
            raise StackError(f"{what} exited during start; log tail ({log}):\n{log_tail(log)}")
        if check():
            return
        if time.monotonic() > deadline:
            stop_pid(pid)
            raise StackError(f"{what} not ready after {timeout:.0f} s; log tail ({log}):\n"
                             f"{log_tail(log)}")
        time.sleep(0.1)


# --------------------------------------------------------------------------
# PostgreSQL


def _postgres_ids() -> tuple[int, int]:
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError as e:
        raise StackError("user postgres missing: run deploy/setup-debian.sh "
                         "(Debian's postgresql package creates it)") from e
    return pw.pw_uid, pw.pw_gid


def _as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + argv
    if pwd.getpwuid(os.geteuid()).pw_name == "postgres":
        return argv
    return ["sudo", "-u", "postgres", "--"] + argv


def _postgres_can_use(directory: Path) -> bool:
    r = subprocess.run(_as_postgres(["test", "-w", str(directory), "-a", "-x", str(directory)]),
                       stdin=subprocess.DEVNULL, capture_output=True)
    return r.returncode == 0


def psql(pg: dict, sql: str, db: str | None = None) -> str:
    """Runs SQL through psql (ON_ERROR_STOP); unaligned, tuples-only output."""
    return _run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                 "-h", pg["host"], "-p", str(pg["port"]), "-U", "postgres",
                 "-d", db or pg["dbname"], "-c", sql], "psql")


def start_postgres(state_dir: str | Path, dbname: str = "dns", fsync: bool = False,
                   max_connections: int = 300, port: int | None = None) -> dict:
    """initdb (if needed) + a postmaster on a free 127.0.0.1 port, started with
    pg_ctl (it outlives this process), and database `dbname` created.
    Returns {host, port, dbname, url, dir, data_dir, socket_dir, log, pid}."""
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o755)
    uid, gid = _postgres_ids()
    pg_dir = state_dir / "postgres"
    pg_dir.mkdir(exist_ok=True)
    os.chown(pg_dir, uid, gid)
    os.chmod(pg_dir, 0o700)
    if not _postgres_can_use(pg_dir):
        # A parent folder is closed to user postgres (e.g. under /root):
        # keep the cluster in a temporary folder instead.
        pg_dir = Path(tempfile.mkdtemp(prefix="dns-stack-pg-"))
        os.chown(pg_dir, uid, gid)
    data_dir = pg_dir / "data"
    log = pg_dir / "postgres.log"
    if not (data_dir / "PG_VERSION").exists():
        _run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data_dir), "-A", "trust",
                           "-U", "postgres", "--no-sync", "-E", "UTF8",
                           "--locale=C.UTF-8"]), "initdb")
    port = port or free_port()
    pg = _start_postmaster(pg_dir, data_dir, log, port, dbname, fsync, max_connections)
    exists = psql(pg, f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'", db="postgres")
    if not exists.strip():
        psql(pg, f'CREATE DATABASE "{dbname}"', db="postgres")
    return pg


def _start_postmaster(pg_dir: Path, data_dir: Path, log: Path, port: int, dbname: str,
                      fsync: bool, max_connections: int, extra: str = "") -> dict:
    """pg_ctl start on `data_dir` (the postmaster outlives this process), then
    waits until it accepts connections; returns the dict psql() and
    stop_postgres() take."""
    options = (f"-p {port} -k {pg_dir} -c listen_addresses=127.0.0.1 "
               f"-c fsync={'on' if fsync else 'off'} "
               f"-c full_page_writes={'on' if fsync else 'off'} "
               f"-c max_connections={max_connections}{extra}")
    try:
        _run(_as_postgres([str(PG_BIN / "pg_ctl"), "start", "-D", str(data_dir), "-l", str(log),
                           "-w", "-t", str(int(START_TIMEOUT)), "-o", options]), "pg_ctl start")
    except StackError as e:
        raise StackError(f"{e}\nlog tail ({log}):\n{log_tail(log)}") from e
    pg = {"host": "127.0.0.1", "port": port, "dbname": dbname,
          "url": f"postgresql://postgres@127.0.0.1:{port}/{dbname}",
          "dir": str(pg_dir), "data_dir": str(data_dir), "socket_dir": str(pg_dir),
          "log": str(log), "pid": _postmaster_pid(data_dir)}
    deadline = time.monotonic() + START_TIMEOUT
    while subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)],
                         stdin=subprocess.DEVNULL).returncode != 0:
        if time.monotonic() > deadline:
            raise StackError(f"PostgreSQL not ready; log tail:\n{log_tail(log)}")
        time.sleep(0.1)
    return pg


def _allow_loopback_replication(primary_pg: dict) -> None:
    """Makes sure the primary lets user postgres replicate from 127.0.0.1
    without a password (initdb -A trust writes such a line; should it be
    missing, ours goes first, since the first matching line decides)."""
    rule = psql(primary_pg, "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host' "
                "AND 'replication' = ANY(database) AND (user_name && '{all,postgres}') "
                "AND address = '127.0.0.1' AND netmask = '255.255.255.255' "
                "AND auth_method = 'trust'", db="postgres")
    if int(rule.strip() or 0) > 0:
        return
    hba = psql(primary_pg, "SHOW hba_file", db="postgres").strip()
    _run(_as_postgres(["sed", "-i", "1i host replication postgres 127.0.0.1/32 trust", hba]),
         "adding a replication line to pg_hba.conf")
    psql(primary_pg, "SELECT pg_reload_conf()", db="postgres")


def start_standby(state_dir: str | Path, primary_pg: dict, fsync: bool = False,
                  port: int | None = None) -> dict:
    """A streaming hot standby of `primary_pg` (a start_postgres() dict) on
    its own free 127.0.0.1 port and directory: pg_basebackup -R -X stream
    (standby.signal and primary_conninfo pointing at the primary), then
    pg_ctl start with hot_standby on, waited for until it is in recovery.
    Returns a dict shaped like start_postgres()'s (psql() and stop_postgres()
    take it) plus primary_port."""
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    uid, gid = _postgres_ids()
    pg_dir = state_dir / "standby"
    pg_dir.mkdir(exist_ok=True)
    os.chown(pg_dir, uid, gid)
    os.chmod(pg_dir, 0o700)
    if not _postgres_can_use(pg_dir):
        pg_dir = Path(tempfile.mkdtemp(prefix="dns-stack-standby-"))
        os.chown(pg_dir, uid, gid)
    data_dir = pg_dir / "data"
    log = pg_dir / "postgres.log"
    if not (data_dir / "standby.signal").exists():
        shutil.rmtree(data_dir, ignore_errors=True)  # a copy cut short
        _allow_loopback_replication(primary_pg)
        _run(_as_postgres([str(PG_BIN / "pg_basebackup"), "-h", primary_pg["host"],
                           "-p", str(primary_pg["port"]), "-U", "postgres",
                           "-D", str(data_dir), "-R", "-X", "stream",
                           "--checkpoint=fast", "--no-sync"]), "pg_basebackup")
    # A hot standby refuses to start with fewer connections than its primary.
    max_connections = int(psql(primary_pg, "SHOW max_connections", db="postgres").strip())
    port = port or free_port()
    pg = _start_postmaster(pg_dir, data_dir, log, port, primary_pg["dbname"], fsync,
                           max_connections, " -c hot_standby=on")
    pg["primary_port"] = primary_pg["port"]
    deadline = time.monotonic() + START_TIMEOUT
    while psql(pg, "SELECT pg_is_in_recovery()", db="postgres").strip() != "t":
        if time.monotonic() > deadline:
            raise StackError(f"PostgreSQL on port {port} is not a standby; log tail:\n"
                             f"{log_tail(log)}")
        time.sleep(0.1)
    return pg


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((Path(data_dir) / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def stop_postgres(pg: dict) -> None:
    data_dir = Path(pg["data_dir"])
    if (data_dir / "postmaster.pid").exists():
        try:
            _run(_as_postgres([str(PG_BIN / "pg_ctl"), "stop", "-D", str(data_dir),
                               "-m", "fast", "-w", "-t", "30"]), "pg_ctl stop")
        except StackError as e:
            print(f"warning: {e}; killing it", file=sys.stderr)
            stop_pid(_postmaster_pid(data_dir) or pg.get("pid"), timeout=5)


# --------------------------------------------------------------------------
# dnsd


def migrate_database(pg: dict) -> None:
    """`dnsd migrate`: creates or upgrades every table, PowerDNS's included."""
    binary = dnsd_bin()
    _require_executable(binary, "dnsd")
    _run([str(binary), "migrate", f"--database_url={pg['url']}"], "dnsd migrate")


def create_token(pg: dict, name: str, role: str, accounts: Iterable[str] = ()) -> str:
    """`dnsd token create` straight on the database; returns the bearer
    secret (shown only this once)."""
    binary = dnsd_bin()
    _require_executable(binary, "dnsd")
    argv = [str(binary), "token", "create", name, f"--role={role}",
            f"--database_url={pg['url']}", "--log_level=warn"]
    if accounts:
        argv.append(f"--accounts={','.join(accounts)}")
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)
    if done.returncode != 0 or not done.stdout.strip():
        raise StackError(f"dnsd token create {name} failed: {done.stderr.strip()}")
    return done.stdout.splitlines()[0].strip()


def bearer_channel(target: str, token: str):
    """A gRPC channel to dnsd that sends `authorization: Bearer <token>` on
    every call (grpcio is imported here only: the stack itself needs none)."""
    import collections
    import grpc

    class _Details(collections.namedtuple(
            "_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready",
                         "compression")), grpc.ClientCallDetails):
        pass

    class _Bearer(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                  grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
        def _details(self, d):
            metadata = list(d.metadata or []) + [("authorization", f"Bearer {token}")]
            return _Details(d.method, d.timeout, metadata, d.credentials,
                            getattr(d, "wait_for_ready", None), getattr(d, "compression", None))

        def intercept_unary_unary(self, continuation, details, request):
            return continuation(self._details(details), request)

        def intercept_unary_stream(self, continuation, details, request):
            return continuation(self._details(details), request)

        def intercept_stream_unary(self, continuation, details, requests):
            return continuation(self._details(details), requests)

        def intercept_stream_stream(self, continuation, details, requests):
            return continuation(self._details(details), requests)

    return grpc.intercept_channel(grpc.insecure_channel(target), _Bearer())


def read_token(state: dict) -> str:
    """The stack's admin token (made by `up`)."""
    path = state.get("token_file")
    return Path(path).read_text().strip() if path else ""


def start_dnsd(state_dir: str | Path, pg: dict, extra_flags: Iterable[str] = (),
               migrate: bool = True, port: int | None = None,
               env: dict[str, str] | None = None) -> dict:
    """dnsd --listen=127.0.0.1:PORT --database_url=URL <extra_flags>, after
    `dnsd migrate` unless migrate=False; `env` is added to the environment
    (secrets go there, not on the command line). Returns {port, target, pid,
    log, argv}."""
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    binary = dnsd_bin()
    _require_executable(binary, "dnsd")
    if migrate:
        migrate_database(pg)
    port = port or free_port()
    log = state_dir / f"dnsd-{port}.log"
    argv = [str(binary), f"--listen=127.0.0.1:{port}", f"--database_url={pg['url']}",
            *extra_flags]
    proc = _spawn(argv, log, env=dict(os.environ, **(env or {})))
    _wait_ready(lambda: port_open(port), proc.pid, log, "dnsd")
    return {"port": port, "target": f"127.0.0.1:{port}", "pid": proc.pid,
            "log": str(log), "argv": argv}


def stop_dnsd(dnsd: dict) -> None:
    stop_pid(dnsd.get("pid"), timeout=15)


# --------------------------------------------------------------------------
# PowerDNS


def _api_get(url: str, key: str, timeout: float = 2.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"X-API-Key": key, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def start_pdns(state_dir: str | Path, pg: dict | None, backend: str = "gpgsql",
               name: str | None = None, api_key: str = DEFAULT_API_KEY,
               extra_config: Iterable[str] = ()) -> dict:
    """pdns_server with its own config dir, DNS and API on free ports, every
    cache off. backend 'gpgsql' serves pg's database; 'gsqlite3' its own file.
    Returns {name, backend, dns_port, dns_address, api_port, api_url, api_key,
    pid, dir, log, sqlite_path}."""
    if backend not in ("gpgsql", "gsqlite3"):
        raise ValueError(f"backend must be gpgsql or gsqlite3, not {backend!r}")
    state_dir = Path(state_dir).resolve()
    dns_port, api_port = free_port(), free_port()
    name = name or f"pdns-{dns_port}"
    conf_dir = state_dir / name
    conf_dir.mkdir(parents=True, exist_ok=True)
    conf = []
    sqlite_path = None
    if backend == "gpgsql":
        if pg is None:
            raise ValueError("gpgsql needs a PostgreSQL (pg)")
        conf += ["launch=gpgsql", f"gpgsql-host={pg['host']}", f"gpgsql-port={pg['port']}",
                 f"gpgsql-dbname={pg['dbname']}", "gpgsql-user=postgres", "gpgsql-dnssec=no"]
    else:
        sqlite_path = conf_dir / "pdns.sqlite3"
        if not sqlite_path.exists():
            with sqlite3.connect(sqlite_path) as db:
                db.executescript(PG_SCHEMA_SQLITE.read_text())
        conf += ["launch=gsqlite3", f"gsqlite3-database={sqlite_path}", "gsqlite3-dnssec=no"]
    conf += [
        "local-address=127.0.0.1", f"local-port={dns_port}", f"socket-dir={conf_dir}",
        "daemon=no", "guardian=no", "disable-syslog=yes", "write-pid=no",
        "api=yes", f"api-key={api_key}",
        "webserver=yes", "webserver-address=127.0.0.1", f"webserver-port={api_port}",
        "webserver-allow-from=127.0.0.0/8", "loglevel=4",
        # Every cache off: the database is the truth, answers follow it at once.
        "cache-ttl=0", "negquery-cache-ttl=0", "query-cache-ttl=0",
        "zone-cache-refresh-interval=0", "consistent-backends=yes",
        *extra_config,
    ]
    (conf_dir / "pdns.conf").write_text("\n".join(conf) + "\n")
    log = conf_dir / "pdns.log"
    proc = _spawn(["pdns_server", f"--config-dir={conf_dir}"], log)
    api_url = f"http://127.0.0.1:{api_port}"
    _wait_ready(lambda: _api_get(f"{api_url}/api/v1/servers/localhost", api_key)[0] == 200
                and port_open(dns_port), proc.pid, log, "pdns_server")
    return {"name": name, "backend": backend, "dns_port": dns_port,
            "dns_address": f"127.0.0.1:{dns_port}", "api_port": api_port,
            "api_url": api_url, "api_key": api_key, "pid": proc.pid, "dir": str(conf_dir),
            "log": str(log), "sqlite_path": str(sqlite_path) if sqlite_path else None}


def stop_pdns(pdns: dict) -> None:
    stop_pid(pdns.get("pid"), timeout=10)


def dig(pdns: dict, name: str, rtype: str = "A") -> str:
    """`dig +short +norecurse` against the server; the answer, stripped."""
    return _run(["dig", "+short", "+norecurse", "+time=2", "+tries=2", "@127.0.0.1",
                 "-p", str(pdns["dns_port"]), name, rtype], "dig").strip()


# --------------------------------------------------------------------------
# The whole stack


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def stop_all(state: dict | None) -> None:
    """Stops dnsd(s), pdns server(s), the standby and PostgreSQL of a state
    dict ({"postgres": pg, "standby": pg, "pdns": [..] or {..}, "dnsd": [..]
    or {..}}). Never raises for an already stopped process."""
    if not state:
        return
    for dnsd in _as_list(state.get("dnsd")):
        stop_dnsd(dnsd)
    for pdns in _as_list(state.get("pdns")):
        stop_pdns(pdns)
    if state.get("standby"):
        stop_postgres(state["standby"])
    if state.get("postgres"):
        stop_postgres(state["postgres"])


def _state_file(state_dir: Path) -> Path:
    return state_dir / "state.json"


def load_state(state_dir: Path = DEFAULT_STATE_DIR) -> dict | None:
    try:
        return json.loads(_state_file(state_dir).read_text())
    except (OSError, ValueError):
        return None


def _save_state(state_dir: Path, state: dict) -> None:
    tmp = _state_file(state_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(_state_file(state_dir))


def _remove_state(state_dir: Path, state: dict | None) -> None:
    pg_dirs = [((state or {}).get(key) or {}).get("dir") for key in ("postgres", "standby")]
    shutil.rmtree(state_dir, ignore_errors=True)
    for pg_dir in pg_dirs:
        if pg_dir and not Path(pg_dir).is_relative_to(state_dir):
            shutil.rmtree(pg_dir, ignore_errors=True)


def _stack_alive(state: dict) -> bool:
    processes = _as_list(state.get("dnsd")) + _as_list(state.get("pdns"))
    if any(pid_alive(p.get("pid")) for p in processes):
        return True
    return any(pid_alive(_postmaster_pid(Path(pg["data_dir"])))
               for pg in (state.get("postgres"), state.get("standby")) if pg)


SERVER_MODES = {"gpgsql": "shared-db", "gsqlite3": "api"}


def register_servers(state: dict) -> None:
    """Registers every pdns_server of the stack with dnsd through dnsctl:
    the gpgsql one as SHARED_DB, the gsqlite3 one as API."""
    server = f"--server={_as_list(state['dnsd'])[0]['target']}"
    for pdns in _as_list(state.get("pdns")):
        argv = [str(dnsctl_bin()), server, "server", "register", pdns["name"],
                "--api-url", pdns["api_url"], "--dns-address", f"127.0.0.1:{pdns['dns_port']}",
                "--mode", SERVER_MODES[pdns["backend"]], "--location", "local"]
        # Secrets in the environment, not on the command line.
        env = dict(os.environ, DNSCTL_API_KEY=pdns["api_key"], DNSCTL_TOKEN=read_token(state))
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              env=env)
        if done.returncode != 0:
            raise StackError(f"registering {pdns['name']} failed: {done.stderr.strip()}")


def print_endpoints(state: dict) -> None:
    pg = state["postgres"]
    pdns_all = _as_list(state.get("pdns"))
    pdns = pdns_all[0]
    dnsd = _as_list(state.get("dnsd"))[0]
    servers = "\n".join(
        f"  PowerDNS {SERVER_MODES[p['backend']]:9} DNS 127.0.0.1:{p['dns_port']}  "
        f"API {p['api_url']}  (log {p['log']})"
        + ("  reads the standby" if p.get("reads") == "standby" else "") for p in pdns_all)
    standby = state.get("standby")
    standby_line = (f"\n  PG standby     {standby['url']}   (log {standby['log']})"
                    if standby else "")
    print(f"""dns.v1 local stack ({state['state_dir']}):
  dnsd gRPC      {dnsd['target']}   (log {dnsd['log']})
  PostgreSQL     {pg['url']}   (log {pg['log']}){standby_line}
{servers}
  PowerDNS API key: {pdns['api_key']}
  Admin token (dnsd token create): {state.get('token_file', '-')}
Try:
  export DNSCTL_TOKEN=$(cat {state.get('token_file', '-')})
  {dnsctl_bin()} --server={dnsd['target']} zone list
  dig @127.0.0.1 -p {pdns['dns_port']} www.demo.example A
Stop with: python3 deploy/local_stack.py down""")


def cmd_up(state_dir: Path) -> int:
    old = load_state(state_dir)
    if old and _stack_alive(old):
        print("stack already up (run `python3 deploy/local_stack.py down` first):")
        print_endpoints(old)
        return 0
    if old or state_dir.exists():
        stop_all(old)
        _remove_state(state_dir, old)
    _require_executable(dnsd_bin(), "dnsd")
    state_dir.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {"state_dir": str(state_dir), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    try:
        print("starting PostgreSQL ...", flush=True)
        state["postgres"] = start_postgres(state_dir)
        _save_state(state_dir, state)
        print("running dnsd migrate ...", flush=True)
        migrate_database(state["postgres"])
        print("creating an admin token (dnsd token create local-admin --role=admin) ...",
              flush=True)
        token_file = state_dir / "admin.token"
        token_file.touch(mode=0o600)
        token_file.write_text(create_token(state["postgres"], "local-admin", "admin") + "\n")
        state["token_file"] = str(token_file)
        print("starting pdns_server (gpgsql, SHARED_DB) ...", flush=True)
        state["pdns"] = [start_pdns(state_dir, state["postgres"], name="pdns-shared")]
        _save_state(state_dir, state)
        print("starting pdns_server (gsqlite3, API) ...", flush=True)
        state["pdns"].append(start_pdns(state_dir, None, backend="gsqlite3", name="pdns-api"))
        _save_state(state_dir, state)
        print("starting a PostgreSQL streaming standby ...", flush=True)
        state["standby"] = start_standby(state_dir, state["postgres"])
        _save_state(state_dir, state)
        print("starting pdns_server (gpgsql on the standby, SHARED_DB) ...", flush=True)
        standby_pdns = start_pdns(state_dir, state["standby"], name="ns-standby")
        standby_pdns["reads"] = "standby"
        state["pdns"].append(standby_pdns)
        _save_state(state_dir, state)
        print("starting dnsd ...", flush=True)
        # A throwaway sealing key for the local stack's PowerDNS API keys.
        secret = base64.b64encode(os.urandom(32)).decode()
        state["dnsd"] = [start_dnsd(state_dir, state["postgres"],
                                    [f"--default_nameservers={DEFAULT_NAMESERVERS}"],
                                    migrate=False, env={"DNSD_SECRET_KEY": secret})]
        _save_state(state_dir, state)
        print("registering the PowerDNS servers with dnsd ...", flush=True)
        register_servers(state)
    except (StackError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        print("stopping what was started", file=sys.stderr)
        stop_all(state)
        return 1
    print_endpoints(state)
    return 0


def cmd_down(state_dir: Path) -> int:
    state = load_state(state_dir)
    if state is None and not state_dir.exists():
        print("no stack state; nothing to stop")
        return 0
    stop_all(state)
    _remove_state(state_dir, state)
    print("stack stopped and its state removed")
    return 0


def cmd_status(state_dir: Path) -> int:
    state = load_state(state_dir)
    if state is None:
        print("no stack (python3 deploy/local_stack.py up)")
        return 1
    ok = True
    pg = state.get("postgres")
    if pg:
        up = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(pg["port"])],
                            stdin=subprocess.DEVNULL).returncode == 0
        ok &= up
        print(f"postgres  {'UP  ' if up else 'DOWN'} {pg['url']}")
    standby = state.get("standby")
    if standby:
        try:
            recovering = psql(standby, "SELECT pg_is_in_recovery()", db="postgres").strip()
        except StackError:
            recovering = ""
        up = recovering == "t"
        ok &= up
        behind = "?"
        if up and pg:
            try:
                # WAL the primary wrote that the standby has not replayed yet.
                lsn = psql(pg, "SELECT pg_current_wal_lsn()", db="postgres").strip()
                behind = psql(standby, f"SELECT pg_wal_lsn_diff('{lsn}', "
                              "pg_last_wal_replay_lsn())", db="postgres").strip()
            except StackError:
                pass
        print(f"standby   {'UP  ' if up else 'DOWN'} {standby['url']} (standby of port "
              f"{standby.get('primary_port')}"
              + (f", replay {behind} bytes behind)" if up else ")"))
    for pdns in _as_list(state.get("pdns")):
        up = pid_alive(pdns["pid"]) and \
            _api_get(f"{pdns['api_url']}/api/v1/servers/localhost", pdns["api_key"])[0] == 200
        ok &= up
        print(f"pdns      {'UP  ' if up else 'DOWN'} dns 127.0.0.1:{pdns['dns_port']} "
              f"api {pdns['api_url']} pid {pdns['pid']}"
              + (" (reads the standby)" if pdns.get("reads") == "standby" else ""))
    for dnsd in _as_list(state.get("dnsd")):
        up = pid_alive(dnsd["pid"]) and port_open(dnsd["port"])
        ok &= up
        print(f"dnsd      {'UP  ' if up else 'DOWN'} {dnsd['target']} pid {dnsd['pid']}")
    return 0 if ok else 1


def _demo_label(pdns: dict) -> str:
    mode = SERVER_MODES[pdns["backend"]]
    return f"{mode}, reads the standby" if pdns.get("reads") == "standby" else mode


def cmd_demo(state_dir: Path) -> int:
    state = load_state(state_dir)
    if state is None:
        print("no stack: run `python3 deploy/local_stack.py up` first", file=sys.stderr)
        return 1
    binary = dnsctl_bin()
    try:
        _require_executable(binary, "dnsctl")
    except StackError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    server = f"--server={_as_list(state['dnsd'])[0]['target']}"
    pdns = _as_list(state["pdns"])[0]

    env = dict(os.environ, DNSCTL_TOKEN=read_token(state))

    def dnsctl(*args: str, check: bool = True) -> int:
        argv = [str(binary), server, *args]
        print(f"$ dnsctl {server} {' '.join(args)}", flush=True)
        rc = subprocess.run(argv, stdin=subprocess.DEVNULL, env=env).returncode
        if check and rc != 0:
            raise StackError(f"dnsctl {' '.join(args)} failed (exit {rc})")
        return rc

    try:
        exists = subprocess.run([str(binary), server, "zone", "get", "demo.example"],
                                stdin=subprocess.DEVNULL, capture_output=True,
                                env=env).returncode == 0
        if exists:
            print("zone demo.example exists already; reusing it")
        else:
            dnsctl("zone", "create", "demo.example", "--nameserver", "ns1.demo.example.")
        # --wait: answer once every server has the change (shows each outcome).
        dnsctl("rrset", "replace", "demo.example", "www", "A", "192.0.2.10", "--ttl", "300",
               "--wait", "5")
        dnsctl("zone", "get", "demo.example", "--full")
        dnsctl("server", "list")
        # Every health check of one server, run now (the monitor runs them
        # every 10 s on its own).
        dnsctl("server", "health", pdns["name"])
        # A hosting domain in one call, then its server failing over to a
        # replacement: reviewed, executed, confirmed on every server.
        shop = subprocess.run([str(binary), server, "rrset", "get", "shop.demo.example",
                               "www", "A"], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, env=env)
        if shop.returncode != 0:
            dnsctl("domain", "provision", "shop.demo.example", "--ip", "192.0.2.20",
                   "--account", "demo", "--rrset", "@ MX 3600 10 mail.demo.example.",
                   "--wait", "5")
            current = "192.0.2.20"
        else:
            current = json.loads(shop.stdout)["records"][0]["content"]
        replacement = "192.0.2.21" if current == "192.0.2.20" else "192.0.2.20"
        dnsctl("failover", "plan", current, replacement, "--account", "demo", "--ttl", "60")
        dnsctl("failover", "execute", current, replacement, "--account", "demo", "--ttl", "60",
               "--force")
        # Who changed what: the audit trail of the demo zone.
        dnsctl("audit", "list", "--zone", "shop.demo.example", "--page-size", "5")
    except StackError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for pdns in _as_list(state["pdns"]):
        mode = _demo_label(pdns)
        answer = dig(pdns, "www.shop.demo.example", "A")
        print(f"$ dig +short @127.0.0.1 -p {pdns['dns_port']} www.shop.demo.example A   # {mode}"
              f"\n{answer}", flush=True)
        if answer != replacement:
            print(f"error: {mode} PowerDNS answered {answer!r} after the failover, expected "
                  f"{replacement}", file=sys.stderr)
            return 1
    for pdns in _as_list(state["pdns"]):
        mode = _demo_label(pdns)
        print(f"$ dig +short @127.0.0.1 -p {pdns['dns_port']} www.demo.example A   # {mode}",
              flush=True)
        answer = ""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                answer = dig(pdns, "www.demo.example", "A")
            except StackError as e:
                answer = str(e)
            if answer == "192.0.2.10":
                break
            time.sleep(0.2)
        print(answer)
        if answer != "192.0.2.10":
            print(f"error: {mode} PowerDNS answered {answer!r}, expected 192.0.2.10",
                  file=sys.stderr)
            return 1
    standby_note = (" and by the SHARED_DB server reading the streaming standby (once replayed "
                    "there)" if any(p.get("reads") == "standby" for p in _as_list(state["pdns"]))
                    else "")
    print("demo OK: www.demo.example A 192.0.2.10 is served by the SHARED_DB server (from the "
          "database), by the API server (pushed through its HTTP API)"
          f"{standby_note}; shop.demo.example was provisioned in one call and failed over to "
          f"{replacement} on every server")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down", "status", "demo"])
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                        help=f"where state and data live (default {DEFAULT_STATE_DIR})")
    args = parser.parse_args(argv)
    state_dir = args.state_dir.resolve()
    return {"up": cmd_up, "down": cmd_down, "status": cmd_status,
            "demo": cmd_demo}[args.command](state_dir)


if __name__ == "__main__":
    sys.exit(main())
