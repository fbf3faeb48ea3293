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

-- Plans handed out by PlanFailover, by checksum: one line per zone ("zone
-- serial digest"), so that ExecuteFailover with a stale checksum can say
-- which zones differ on any replica. Pruned after a day.
CREATE TABLE dnsv1.failover_plans (
  checksum    TEXT COLLATE "C" PRIMARY KEY,
  zone_digests TEXT NOT NULL,
  create_time TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Commits a recorded failover: every zone of its plan, locked in name order
-- and required at its planned serial, gets its changed RRsets (the rows of
-- each replaced, keeping the name's auth flag), one serial bump (the SOA
-- rewritten), a journal entry and its propagation rows, set-based: the
-- same outcome as dnsv1.change_rrsets once per zone, at a fraction of the
-- cost for thousands of zones. Raises DN404 for a zone that is gone and
-- DN409 for one that changed since the plan; returns the zones committed.
CREATE FUNCTION dnsv1.commit_failover(p_id TEXT) RETURNS INT
LANGUAGE plpgsql AS $$
DECLARE
  missing TEXT;
  stale RECORD;
  committed INT;
BEGIN
  PERFORM 1 FROM dnsv1.zones z JOIN dnsv1.failover_zones fz ON fz.zone = z.name
   WHERE fz.failover_id = p_id ORDER BY z.name FOR UPDATE OF z;
  SELECT fz.zone INTO missing FROM dnsv1.failover_zones fz
   WHERE fz.failover_id = p_id AND NOT EXISTS (SELECT 1 FROM dnsv1.zones z WHERE z.name = fz.zone)
   LIMIT 1;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'zone % does not exist', missing USING ERRCODE = 'DN404';
  END IF;

  CREATE TEMP TABLE failover_commit_zones ON COMMIT DROP AS
    SELECT z.domain_id, z.name AS zone, z.serial, fz.planned_serial,
           dnsv1.next_serial(z.serial, now()) AS new_serial, fz.after
      FROM dnsv1.failover_zones fz JOIN dnsv1.zones z ON z.name = fz.zone
     WHERE fz.failover_id = p_id;
  ANALYZE failover_commit_zones;
  SELECT zone, serial, planned_serial INTO stale FROM failover_commit_zones
   WHERE serial <> planned_serial LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'zone % is at serial %, not the planned %', stale.zone, stale.serial,
      stale.planned_serial USING ERRCODE = 'DN409';
  END IF;

  CREATE TEMP TABLE failover_commit_rrsets ON COMMIT DROP AS
    SELECT c.domain_id, rtrim(a->>'name', '.') AS n, a->>'type' AS t, a AS rrset,
           coalesce((SELECT bool_or(r.auth) FROM records r
                      WHERE r.domain_id = c.domain_id AND r.name = rtrim(a->>'name', '.')
                        AND r.type = a->>'type'), true) AS auth
      FROM failover_commit_zones c, jsonb_array_elements(c.after) a;
  ANALYZE failover_commit_rrsets;
  DELETE FROM records r USING failover_commit_rrsets k
   WHERE r.domain_id = k.domain_id AND r.name = k.n AND r.type = k.t;
  INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth)
    SELECT k.domain_id, k.n, k.t, rec.value->>'content', (k.rrset->>'ttl')::int, 0,
           (rec.value->>'disabled')::boolean, k.auth
      FROM failover_commit_rrsets k,
           jsonb_array_elements(k.rrset->'records') WITH ORDINALITY AS rec(value, ord)
     ORDER BY k.domain_id, k.n, k.t, rec.ord;

  UPDATE records r SET content = regexp_replace(r.content, '^(\S+\s+\S+\s+)\d+', '\1' || c.new_serial)
    FROM failover_commit_zones c WHERE r.domain_id = c.domain_id AND r.type = 'SOA';
  UPDATE dnsv1.zones z SET serial = c.new_serial, version = z.version + 1, update_time = now()
    FROM failover_commit_zones c WHERE z.domain_id = c.domain_id;
  UPDATE dnsv1.failover_zones f SET committed_serial = c.new_serial
    FROM failover_commit_zones c WHERE f.failover_id = p_id AND f.zone = c.zone;

  IF EXISTS (SELECT 1 FROM dnsv1.servers) THEN
    INSERT INTO dnsv1.zone_changes (zone, serial, keys)
      SELECT c.zone, c.new_serial, k.keys
        FROM failover_commit_zones c
        JOIN (SELECT r.domain_id, jsonb_agg(jsonb_build_object('n', r.n, 't', r.t)) AS keys
                FROM failover_commit_rrsets r GROUP BY r.domain_id) k USING (domain_id);
    -- As dnsv1.enqueue_propagation (0006) does for one zone.
    INSERT INTO dnsv1.zone_servers AS zs (zone, server, desired_serial, zone_deleted, full_sync,
                                           pending_since)
      SELECT c.zone, s.name, c.new_serial, false, false, now()
        FROM failover_commit_zones c CROSS JOIN dnsv1.servers s
    ON CONFLICT (zone, server) DO UPDATE
      SET desired_serial = EXCLUDED.desired_serial, zone_deleted = false,
          pending_since = CASE WHEN zs.state = 'IN_SYNC' THEN now()
                               ELSE COALESCE(zs.pending_since, now()) END,
          state = 'PENDING', attempts = 0,
          next_attempt_time = CASE WHEN zs.state = 'PENDING' THEN zs.next_attempt_time
                                   WHEN zs.state = 'IN_SYNC' AND zs.hold_until > now()
                                     THEN zs.hold_until
                                   ELSE now() END,
          update_time = now();
  END IF;
  SELECT count(*) INTO committed FROM failover_commit_zones;
  DROP TABLE failover_commit_rrsets;
  DROP TABLE failover_commit_zones;
  RETURN committed;
END;
$$;
