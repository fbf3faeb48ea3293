-- A zone written many times a second keeps its propagation rows hot: every
-- commit re-queues the zone for each server, and every push claims and
-- records each row. PostgreSQL rewrites such a row in place (a HOT update:
-- no new index entries, dead versions pruned on the page without VACUUM)
-- only when no indexed column changes. Measured with 16 writers on 16
-- zones and three servers: 113 of 11,877 updates were HOT, so each second
-- left thousands of dead versions and index entries that every later lookup
-- of those 48 rows had to step over until autovacuum came by.
--
-- What changes on the hot path is now outside every index:
--  * lease_owner loses its index: renewal and release filter on
--    state <> 'IN_SYNC' (a leased row is never IN_SYNC) and use the pending
--    index instead;
--  * the per-server index keeps the pending rows only, which is what is
--    asked of it (wake a server's rows, the pending gauge), so a row that
--    stays pending does not touch it;
--  * a commit to a row that is already pending leaves next_attempt_time
--    alone: it is due already, or held back on purpose (below).
-- The transitions in and out of IN_SYNC still rewrite index entries: once
-- per push, not once per commit.
--
-- A zone that keeps changing is pushed to a server at most once per hold
-- (dnsd's --propagation_coalesce): a claim sets hold_until, and a row that
-- is committed to again, or found newer changes when its push was
-- recorded, is not due before then; its changes go out together. A zone
-- that changes now and then is due at once, and a write whose caller waits
-- for propagation is claimed at once. Without the hold, 16 writers on 16
-- zones made one push per server for every 1.7 commits, and each push (a
-- claim, the PowerDNS call, a DNS probe, the record) cost more than the
-- commit it carried.
DROP INDEX dnsv1.zone_servers_lease_owner_idx;
DROP INDEX dnsv1.zone_servers_server_idx;
CREATE INDEX zone_servers_server_pending_idx ON dnsv1.zone_servers (server)
  WHERE state <> 'IN_SYNC';
ALTER TABLE dnsv1.zone_servers ADD COLUMN hold_until TIMESTAMPTZ;

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
        state = 'PENDING', attempts = 0,
        next_attempt_time = CASE WHEN zs.state = 'PENDING' THEN zs.next_attempt_time
                                 WHEN zs.state = 'IN_SYNC' AND zs.hold_until > now()
                                   THEN zs.hold_until
                                 ELSE now() END,
        update_time = now();
END;
$$;
