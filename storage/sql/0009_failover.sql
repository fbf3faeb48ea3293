-- Failover operations. The row is written before the change (PENDING) and
-- moved to PROPAGATING in the change's own transaction, so a dnsd killed at
-- any point leaves either an uncommitted operation (re-run from its stored
-- plan) or a committed one (its progress watched again); owner/lease_until
-- say which replica drives it, and a replica takes over an operation whose
-- lease ran out.
CREATE TABLE dnsv1.failovers (
  id              TEXT COLLATE "C" PRIMARY KEY,
  seq             BIGSERIAL UNIQUE,
  request_id      TEXT UNIQUE,
  -- A digest of the request without its id: the same id with another
  -- request is refused.
  fingerprint     TEXT NOT NULL DEFAULT '',
  requested_by    TEXT NOT NULL DEFAULT '',
  state           TEXT NOT NULL
                  CHECK (state IN ('PENDING', 'PROPAGATING', 'SUCCEEDED', 'INCOMPLETE', 'FAILED')),
  from_ip         TEXT NOT NULL,
  to_ip           TEXT NOT NULL,
  -- {"all_zones", "zones", "account", "customer_id", "hosting_service_id"}
  scope           JSONB NOT NULL,
  apex_and_www_only BOOLEAN NOT NULL DEFAULT false,
  ttl             BIGINT,
  forced          BOOLEAN NOT NULL DEFAULT false,
  -- The plan's counts and checksum; its zones are in failover_zones.
  summary         JSONB NOT NULL,
  -- Per-server progress: [{"server", "mode", "state", ...}]
  servers         JSONB NOT NULL DEFAULT '[]',
  error           TEXT NOT NULL DEFAULT '',
  owner           TEXT,
  lease_until     TIMESTAMPTZ,
  create_time     TIMESTAMPTZ NOT NULL DEFAULT now(),
  commit_time     TIMESTAMPTZ,
  end_time        TIMESTAMPTZ,
  reverses        TEXT NOT NULL DEFAULT '',
  reversed_by     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX failovers_unfinished_idx ON dnsv1.failovers (lease_until)
  WHERE state IN ('PENDING', 'PROPAGATING');

-- The zones of a plan: the planned serial, the RRsets before and after
-- ([{"name", "type", "ttl", "records": [{"content", "disabled"}]}]), and
-- the serial the commit gave the zone.
CREATE TABLE dnsv1.failover_zones (
  failover_id      TEXT COLLATE "C" NOT NULL REFERENCES dnsv1.failovers (id) ON DELETE CASCADE,
  zone             TEXT COLLATE "C" NOT NULL,
  planned_serial   BIGINT NOT NULL,
  before           JSONB NOT NULL,
  after            JSONB NOT NULL,
  committed_serial BIGINT,
  PRIMARY KEY (failover_id, zone)
);

-- Failover selection reads A/AAAA records by content.
CREATE INDEX records_address_idx ON records (content) WHERE type IN ('A', 'AAAA');

-- Plans handed out by PlanFailover, by checksum: one line per zone ("zone
-- serial digest"), so that ExecuteFailover with a stale checksum can say
-- which zones differ on any replica. Pruned after a day.
CREATE TABLE dnsv1.failover_plans (
  checksum    TEXT COLLATE "C" PRIMARY KEY,
  zone_digests TEXT NOT NULL,
  create_time TIMESTAMPTZ NOT NULL DEFAULT now()
);
