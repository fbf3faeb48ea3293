-- PowerDNS servers the service drives.
CREATE TABLE dnsv1.servers (
  name            TEXT COLLATE "C" PRIMARY KEY,
  api_url         TEXT NOT NULL,
  -- The API key, sealed with AES-256-GCM under the key in DNSD_SECRET_KEY
  -- ("aesgcm:" prefix), or "plain:" when the service runs without one.
  api_key_sealed  TEXT NOT NULL,
  dns_address     TEXT NOT NULL DEFAULT '',
  location        TEXT NOT NULL DEFAULT '',
  capacity_qps    BIGINT NOT NULL DEFAULT 0,
  mode            TEXT NOT NULL CHECK (mode IN ('SHARED_DB', 'API')),
  maintenance     BOOLEAN NOT NULL DEFAULT false,
  status          TEXT NOT NULL DEFAULT 'UNSPECIFIED',
  version         TEXT NOT NULL DEFAULT '',
  last_error      TEXT NOT NULL DEFAULT '',
  last_check_time TIMESTAMPTZ,
  row_version     BIGINT NOT NULL DEFAULT 1,
  create_time     TIMESTAMPTZ NOT NULL DEFAULT now(),
  update_time     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The durable per-server record of what is pending: one row per (zone,
-- server). desired_serial moves in the write's own transaction; the
-- propagator moves applied_serial once the server confirmed it.
CREATE TABLE dnsv1.zone_servers (
  zone              TEXT COLLATE "C" NOT NULL,
  server            TEXT COLLATE "C" NOT NULL REFERENCES dnsv1.servers (name) ON DELETE CASCADE,
  desired_serial    BIGINT NOT NULL,
  applied_serial    BIGINT NOT NULL DEFAULT 0,
  -- The zone was deleted from the truth: remove it from the server.
  zone_deleted      BOOLEAN NOT NULL DEFAULT false,
  -- Zone attributes (kind, masters) changed: re-create or PUT, not PATCH.
  full_sync         BOOLEAN NOT NULL DEFAULT false,
  state             TEXT NOT NULL DEFAULT 'PENDING'
                    CHECK (state IN ('PENDING', 'IN_SYNC', 'ERROR')),
  last_error        TEXT NOT NULL DEFAULT '',
  attempts          INT NOT NULL DEFAULT 0,
  next_attempt_time TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- A propagator working on the row holds it until lease_until, so two
  -- replicas never push one zone to one server at once.
  lease_until       TIMESTAMPTZ,
  update_time       TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (zone, server)
);
CREATE INDEX zone_servers_pending_idx ON dnsv1.zone_servers (next_attempt_time)
  WHERE state <> 'IN_SYNC';
CREATE INDEX zone_servers_server_idx ON dnsv1.zone_servers (server, state);

-- Which RRsets each committed batch touched, so the pending batches of a
-- zone can be coalesced into one PATCH of their current state.
CREATE TABLE dnsv1.zone_changes (
  id          BIGSERIAL PRIMARY KEY,
  zone        TEXT COLLATE "C" NOT NULL,
  serial      BIGINT NOT NULL,
  keys        JSONB NOT NULL,  -- [{"n": bare name, "t": type}]
  create_time TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX zone_changes_zone_idx ON dnsv1.zone_changes (zone, id);

-- Marks the zone pending on every registered server, in the caller's
-- transaction. (No pg_notify: it serialises every commit on the notify
-- queue; propagators are kicked in-process and poll for other replicas.)
CREATE FUNCTION dnsv1.enqueue_propagation(p_zone TEXT, p_serial BIGINT,
                                          p_deleted BOOLEAN DEFAULT false,
                                          p_full BOOLEAN DEFAULT false)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dnsv1.servers) THEN RETURN; END IF;
  INSERT INTO dnsv1.zone_servers AS zs (zone, server, desired_serial, zone_deleted, full_sync)
    SELECT p_zone, s.name, p_serial, p_deleted, p_full FROM dnsv1.servers s
  ON CONFLICT (zone, server) DO UPDATE
    SET desired_serial = EXCLUDED.desired_serial, zone_deleted = EXCLUDED.zone_deleted,
        full_sync = zs.full_sync OR EXCLUDED.full_sync,
        state = 'PENDING', attempts = 0, next_attempt_time = now(), update_time = now();
END;
$$;

-- Applies one ChangeRRsets batch in one statement (so one round trip and one
-- transaction): locks the zone row, checks the expected serial/version,
-- deletes then inserts, enforces CNAME exclusivity against stored data,
-- rectifies delegation auth flags, bumps the SOA serial once, and journals
-- the batch and marks it pending on every server (only when servers are
-- registered: a fleet-less service pays nothing).
-- p_deletes: [{"n": name, "t": type}] for every changed RRset (REPLACE too).
-- p_inserts: [{"n","t","c","ttl","p","d"}] rows in gpgsql form (MX/SRV
-- priority in "p"). Names are without the trailing dot, as PowerDNS stores them.
CREATE FUNCTION dnsv1.change_rrsets(
    p_zone TEXT, p_deletes JSONB, p_inserts JSONB,
    p_expected_serial BIGINT, p_expected_version BIGINT, p_serial_floor BIGINT,
    p_request_id TEXT, p_fingerprint TEXT,
    OUT serial BIGINT, OUT version BIGINT, OUT replayed BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
  z RECORD;
  apex TEXT;
  conflict TEXT;
BEGIN
  SELECT c.serial, c.version, c.replayed INTO serial, version, replayed
    FROM dnsv1.claim_request(p_request_id, 'ChangeRRsets', p_fingerprint, p_zone) c;
  IF replayed THEN RETURN; END IF;

  SELECT zz.domain_id, zz.serial, zz.version INTO z
    FROM dnsv1.zones zz WHERE zz.name = p_zone FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'zone % does not exist', p_zone USING ERRCODE = 'DN404';
  END IF;
  IF p_expected_serial IS NOT NULL AND z.serial <> p_expected_serial THEN
    RAISE EXCEPTION 'zone % is at serial %, not the expected %', p_zone, z.serial,
      p_expected_serial USING ERRCODE = 'DN409';
  END IF;
  IF p_expected_version IS NOT NULL AND z.version <> p_expected_version THEN
    RAISE EXCEPTION 'zone % was changed since the given etag was read', p_zone
      USING ERRCODE = 'DN409';
  END IF;
  apex := rtrim(p_zone, '.');

  DELETE FROM records r
    USING jsonb_to_recordset(p_deletes) AS d(n TEXT, t TEXT)
    WHERE r.domain_id = z.domain_id AND r.name = d.n AND r.type = d.t;

  INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth)
    SELECT z.domain_id, i.n, i.t, i.c, i.ttl, i.p, i.d, true
      FROM jsonb_to_recordset(p_inserts) AS i(n TEXT, t TEXT, c TEXT, ttl INT, p INT, d BOOLEAN);

  SELECT r.name INTO conflict
    FROM records r
    WHERE r.domain_id = z.domain_id
      AND r.name IN (SELECT d.n FROM jsonb_to_recordset(p_deletes) AS d(n TEXT, t TEXT))
    GROUP BY r.name
    HAVING bool_or(r.type = 'CNAME') AND count(DISTINCT r.type) > 1
    LIMIT 1;
  IF conflict IS NOT NULL THEN
    RAISE EXCEPTION 'name %. would hold a CNAME next to other data', conflict
      USING ERRCODE = 'DN400';
  END IF;

  IF EXISTS (SELECT 1 FROM jsonb_to_recordset(p_deletes) AS d(n TEXT, t TEXT)
             WHERE d.t = 'NS' AND d.n <> apex) THEN
    PERFORM dnsv1.rectify_auth(z.domain_id, apex);
  ELSE
    PERFORM dnsv1.rectify_auth(z.domain_id, apex, true);
  END IF;

  serial := dnsv1.next_serial(z.serial, p_serial_floor);
  version := z.version + 1;
  UPDATE records r
    SET content = regexp_replace(r.content, '^(\S+\s+\S+\s+)\d+', '\1' || serial)
    WHERE r.domain_id = z.domain_id AND r.type = 'SOA';
  UPDATE dnsv1.zones zz SET serial = change_rrsets.serial, version = change_rrsets.version,
      update_time = now()
    WHERE zz.domain_id = z.domain_id;
  IF p_request_id <> '' THEN
    UPDATE dnsv1.requests q SET serial = change_rrsets.serial, version = change_rrsets.version
      WHERE q.request_id = p_request_id;
  END IF;
  IF EXISTS (SELECT 1 FROM dnsv1.servers) THEN
    INSERT INTO dnsv1.zone_changes (zone, serial, keys) VALUES (p_zone, serial, p_deletes);
    PERFORM dnsv1.enqueue_propagation(p_zone, serial);
  END IF;
END;
$$;
