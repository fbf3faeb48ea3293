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

-- The previous form, whose floor the caller computed, now follows the rule
-- above and ignores the floor: change_rrsets (0004) calls it, and replicas
-- of the previous version still pass one during a rolling upgrade.
CREATE OR REPLACE FUNCTION dnsv1.next_serial(cur BIGINT, floor BIGINT) RETURNS BIGINT
LANGUAGE sql STABLE AS $$
  SELECT dnsv1.next_serial(cur, now())
$$;

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
