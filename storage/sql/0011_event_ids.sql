-- One place hands out the ids of the shared event feed (health and
-- consistency events): from the sequence under a transaction-scoped
-- advisory lock, so ids become visible in increasing order and a watcher
-- resuming after an id never skips one that commits late.
CREATE FUNCTION dnsv1.next_event_id() RETURNS BIGINT LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('dnsv1.health_events ids'));
  RETURN nextval('dnsv1.health_event_ids');
END $$;

CREATE OR REPLACE FUNCTION dnsv1.add_health_event(p_time TIMESTAMPTZ, p_type TEXT, p_server TEXT,
                                                  p_from TEXT, p_to TEXT, p_reason TEXT,
                                                  p_alert TEXT, p_value DOUBLE PRECISION,
                                                  p_threshold DOUBLE PRECISION)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  new_id BIGINT := dnsv1.next_event_id();
BEGIN
  INSERT INTO dnsv1.health_events
    (id, time, type, server, from_status, to_status, reason, alert, value, threshold)
    VALUES (new_id, p_time, p_type, p_server, p_from, p_to, left(p_reason, 1000), p_alert,
            p_value, p_threshold);
  PERFORM pg_notify('dnsv1_events', '{"t":"health"}');
  RETURN new_id;
END $$;

CREATE OR REPLACE FUNCTION dnsv1.add_consistency_event(p_type TEXT, p_server TEXT, p_zone TEXT,
                                                       p_kind TEXT, p_truth BIGINT,
                                                       p_theirs BIGINT, p_detail TEXT,
                                                       p_count BIGINT, p_request_id TEXT)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  new_id BIGINT := dnsv1.next_event_id();
BEGIN
  INSERT INTO dnsv1.health_events
    (id, time, type, server, reason, zone, kind, truth_serial, server_serial, count, request_id)
    VALUES (new_id, now(), p_type, p_server, left(p_detail, 1000), p_zone, p_kind, p_truth,
            p_theirs, p_count, p_request_id);
  PERFORM pg_notify('dnsv1_events', '{"t":"health"}');
  RETURN new_id;
END $$;
