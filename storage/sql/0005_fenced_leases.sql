-- Leases on propagation work name their owner and carry a fencing token.
--
-- A replica that claims a (zone, server) row becomes its owner for a short
-- lease (seconds) that it renews while it lives; every claim bumps
-- claim_seq, and every outcome it records (applied, failed, released) is
-- matched against the claim_seq it claimed with. A worker whose lease ran
-- out and whose row another replica claimed since records nothing: its late
-- result is discarded instead of overwriting the new owner's.
ALTER TABLE dnsv1.zone_servers
  ADD COLUMN lease_owner TEXT,
  ADD COLUMN claim_seq BIGINT NOT NULL DEFAULT 0;
-- Renewal and release find the rows one replica holds.
CREATE INDEX zone_servers_lease_owner_idx ON dnsv1.zone_servers (lease_owner)
  WHERE lease_owner IS NOT NULL;

-- The journal is pruned by age too (a server that stays away past the
-- horizon gets a full sync instead of pinning every zone's history).
CREATE INDEX zone_changes_create_time_idx ON dnsv1.zone_changes (create_time);

-- The SOA serial rule, in one place: every serial the service writes comes
-- from here, inside the writing transaction. The next serial after `cur` is
-- YYYYMMDD00 of `at`'s UTC day when that is ahead, else cur + 1, wrapping
-- from 4294967295 to 1 (0 is never used: some secondaries read it as unset).
-- A zone created or imported passes cur = (its file's serial) - 1, so an
-- imported serial ahead of the date is kept.
CREATE FUNCTION dnsv1.next_serial(cur BIGINT, at TIMESTAMPTZ) RETURNS BIGINT
LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN cur < to_char(at AT TIME ZONE 'UTC', 'YYYYMMDD')::bigint * 100
      THEN to_char(at AT TIME ZONE 'UTC', 'YYYYMMDD')::bigint * 100
    WHEN cur >= 4294967295 THEN 1
    ELSE cur + 1 END
$$;

-- change_rrsets as in 0004, with the serial from the rule above. The floor
-- argument is kept so that replicas of the previous version, still running
-- during a rolling upgrade, call it unchanged; it is ignored.
CREATE OR REPLACE FUNCTION dnsv1.change_rrsets(
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

  WITH old AS (
    SELECT r.id, r.name AS n, r.type AS t,
           row_number() OVER (PARTITION BY r.name, r.type ORDER BY r.id) AS k
      FROM records r
      JOIN jsonb_to_recordset(p_deletes) AS d(n TEXT, t TEXT) ON r.name = d.n AND r.type = d.t
     WHERE r.domain_id = z.domain_id
  ), new AS (
    SELECT i.n, i.t, i.c, i.ttl, i.p, i.d,
           row_number() OVER (PARTITION BY i.n, i.t ORDER BY i.ord) AS k
      FROM ROWS FROM (jsonb_to_recordset(p_inserts)
                        AS (n TEXT, t TEXT, c TEXT, ttl INT, p INT, d BOOLEAN))
           WITH ORDINALITY AS i(n, t, c, ttl, p, d, ord)
  ), rewritten AS (
    UPDATE records r SET content = new.c, ttl = new.ttl, prio = new.p, disabled = new.d
      FROM old JOIN new ON new.n = old.n AND new.t = old.t AND new.k = old.k
     WHERE r.id = old.id
       AND (r.content, r.ttl, r.prio, r.disabled) IS DISTINCT FROM (new.c, new.ttl, new.p, new.d)
    RETURNING 1
  ), removed AS (
    DELETE FROM records r USING old
     WHERE r.id = old.id
       AND NOT EXISTS (SELECT 1 FROM new WHERE new.n = old.n AND new.t = old.t AND new.k = old.k)
    RETURNING 1
  )
  INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth)
    SELECT z.domain_id, new.n, new.t, new.c, new.ttl, new.p, new.d, true
      FROM new
     WHERE NOT EXISTS (SELECT 1 FROM old WHERE old.n = new.n AND old.t = new.t AND old.k = new.k);

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

  serial := dnsv1.next_serial(z.serial, now());
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

-- The previous form of the rule, with the floor computed by the caller.
DROP FUNCTION dnsv1.next_serial(BIGINT, BIGINT);

-- Since when a row has waited for its server (the propagation lag a metric
-- and the health monitor report): set when the row leaves IN_SYNC, kept
-- through retries, cleared when the server confirms.
ALTER TABLE dnsv1.zone_servers ADD COLUMN pending_since TIMESTAMPTZ;
UPDATE dnsv1.zone_servers SET pending_since = update_time WHERE state <> 'IN_SYNC';

CREATE OR REPLACE FUNCTION dnsv1.enqueue_propagation(p_zone TEXT, p_serial BIGINT,
                                                     p_deleted BOOLEAN DEFAULT false,
                                                     p_full BOOLEAN DEFAULT false)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dnsv1.servers) THEN RETURN; END IF;
  INSERT INTO dnsv1.zone_servers AS zs (zone, server, desired_serial, zone_deleted, full_sync,
                                         pending_since)
    SELECT p_zone, s.name, p_serial, p_deleted, p_full, now() FROM dnsv1.servers s
  ON CONFLICT (zone, server) DO UPDATE
    SET desired_serial = EXCLUDED.desired_serial, zone_deleted = EXCLUDED.zone_deleted,
        full_sync = zs.full_sync OR EXCLUDED.full_sync,
        pending_since = CASE WHEN zs.state = 'IN_SYNC' THEN now()
                             ELSE COALESCE(zs.pending_since, now()) END,
        state = 'PENDING', attempts = 0, next_attempt_time = now(), update_time = now();
END;
$$;
