-- Consistency: events of the sweeps and reconciles share the health events'
-- table, ids and channel (one feed, one resume id per watcher), the drifts
-- the sweeps track, and applied reconciles by request id.
ALTER TABLE dnsv1.health_events DROP CONSTRAINT health_events_type_check;
ALTER TABLE dnsv1.health_events ADD CONSTRAINT health_events_type_check
  CHECK (type IN ('STATUS_CHANGED', 'ALERT_RAISED', 'ALERT_CLEARED', 'CHECK_FAILED',
                  'DRIFT_FOUND', 'DRIFT_RESOLVED', 'RECONCILE_APPLIED'));
ALTER TABLE dnsv1.health_events
  ADD COLUMN zone          TEXT NOT NULL DEFAULT '',
  ADD COLUMN kind          TEXT NOT NULL DEFAULT '',
  ADD COLUMN truth_serial  BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN server_serial BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN count         BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN request_id    TEXT NOT NULL DEFAULT '';

CREATE FUNCTION dnsv1.add_consistency_event(p_type TEXT, p_server TEXT, p_zone TEXT,
                                            p_kind TEXT, p_truth BIGINT, p_theirs BIGINT,
                                            p_detail TEXT, p_count BIGINT, p_request_id TEXT)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  new_id BIGINT;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('dnsv1.health_events ids'));
  new_id := nextval('dnsv1.health_event_ids');
  INSERT INTO dnsv1.health_events
    (id, time, type, server, reason, zone, kind, truth_serial, server_serial, count, request_id)
    VALUES (new_id, now(), p_type, p_server, left(p_detail, 1000), p_zone, p_kind, p_truth,
            p_theirs, p_count, p_request_id);
  PERFORM pg_notify('dnsv1_events', '{"t":"health"}');
  RETURN new_id;
END $$;

-- The drifts the sweeps found and have not seen resolved: one row per
-- (server, zone), so an event is raised when it appears and when it goes.
CREATE TABLE dnsv1.consistency_drifts (
  server        TEXT COLLATE "C" NOT NULL REFERENCES dnsv1.servers (name) ON DELETE CASCADE,
  zone          TEXT COLLATE "C" NOT NULL,
  kind          TEXT NOT NULL,
  truth_serial  BIGINT NOT NULL DEFAULT 0,
  server_serial BIGINT NOT NULL DEFAULT 0,
  detail        TEXT NOT NULL DEFAULT '',
  since         TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (server, zone)
);

-- Applied reconciles by request id: a retry answers the first result.
CREATE TABLE dnsv1.reconciles (
  request_id  TEXT PRIMARY KEY,
  server      TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  result      JSONB NOT NULL,
  create_time TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reconciles_create_time_idx ON dnsv1.reconciles (create_time);
