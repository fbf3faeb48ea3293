-- The health monitor's state on each server row, kept there (not in the
-- leader's memory) so that another replica taking over goes on counting.
ALTER TABLE dnsv1.servers
  ADD COLUMN status_reason  TEXT NOT NULL DEFAULT '',
  ADD COLUMN down_streak    INT NOT NULL DEFAULT 0,
  ADD COLUMN bad_streak     INT NOT NULL DEFAULT 0,
  ADD COLUMN good_streak    INT NOT NULL DEFAULT 0,
  ADD COLUMN up_streak      INT NOT NULL DEFAULT 0,
  ADD COLUMN active_alerts  TEXT[] NOT NULL DEFAULT '{}',
  ADD COLUMN failing_checks TEXT[] NOT NULL DEFAULT '{}';

-- One sample per server per round of checks. Partitioned by day (UTC) so
-- that retention drops whole partitions instead of deleting rows; REAL
-- figures and no primary key keep a row near 100 bytes with its index entry.
CREATE TABLE dnsv1.health_samples (
  time                  TIMESTAMPTZ NOT NULL,
  server                TEXT COLLATE "C" NOT NULL,
  good                  BOOLEAN NOT NULL,
  status                SMALLINT NOT NULL,
  api                   REAL,
  dns_probe             REAL,
  memory                REAL,
  cpu                   REAL,
  query_rate            REAL,
  packet_cache_hit_rate REAL,
  query_cache_hit_rate  REAL,
  servfail_rate         REAL,
  latency               REAL,
  fd_usage              REAL,
  uptime                REAL,
  zones                 REAL,
  zones_out_of_sync     REAL,
  propagation_lag       REAL
) PARTITION BY RANGE (time);
CREATE INDEX health_samples_server_time_idx ON dnsv1.health_samples (server, time);

-- Creates the daily partitions from p_from's day through p_days after it;
-- returns how many it made. Safe to run from several sessions at once.
CREATE FUNCTION dnsv1.ensure_health_partitions(p_from TIMESTAMPTZ, p_days INT)
RETURNS INT LANGUAGE plpgsql AS $$
DECLARE
  d DATE := (p_from AT TIME ZONE 'UTC')::date;
  part TEXT;
  made INT := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('dnsv1.health_samples partitions'));
  FOR i IN 0..GREATEST(p_days, 0) LOOP
    part := 'health_samples_' || to_char(d + i, 'YYYYMMDD');
    IF to_regclass('dnsv1.' || part) IS NULL THEN
      EXECUTE format(
        'CREATE TABLE dnsv1.%I PARTITION OF dnsv1.health_samples FOR VALUES FROM (%L) TO (%L)',
        part, ((d + i)::timestamp AT TIME ZONE 'UTC'), ((d + i + 1)::timestamp AT TIME ZONE 'UTC'));
      made := made + 1;
    END IF;
  END LOOP;
  RETURN made;
END $$;

-- Drops the partitions whose whole day ended before p_before; returns how
-- many.
CREATE FUNCTION dnsv1.drop_health_partitions(p_before TIMESTAMPTZ)
RETURNS INT LANGUAGE plpgsql AS $$
DECLARE
  part RECORD;
  dropped INT := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('dnsv1.health_samples partitions'));
  FOR part IN
    SELECT c.relname FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace
     WHERE n.nspname = 'dnsv1' AND p.relname = 'health_samples'
       AND c.relname ~ '^health_samples_[0-9]{8}$'
  LOOP
    IF (to_date(substr(part.relname, 16), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC'
        <= p_before THEN
      EXECUTE format('DROP TABLE dnsv1.%I', part.relname);
      dropped := dropped + 1;
    END IF;
  END LOOP;
  RETURN dropped;
END $$;

SELECT dnsv1.ensure_health_partitions(now(), 2);

-- Health events (status changes, alerts, failing checks), durable so that a
-- watcher resumes after the last id it saw. Ids come from the sequence
-- under a transaction-scoped advisory lock, so they become visible in
-- increasing order and a reader never skips one that commits late.
CREATE SEQUENCE dnsv1.health_event_ids;
CREATE TABLE dnsv1.health_events (
  id          BIGINT PRIMARY KEY,
  time        TIMESTAMPTZ NOT NULL,
  type        TEXT NOT NULL
              CHECK (type IN ('STATUS_CHANGED', 'ALERT_RAISED', 'ALERT_CLEARED', 'CHECK_FAILED')),
  server      TEXT COLLATE "C" NOT NULL,
  from_status TEXT NOT NULL DEFAULT '',
  to_status   TEXT NOT NULL DEFAULT '',
  reason      TEXT NOT NULL DEFAULT '',
  alert       TEXT NOT NULL DEFAULT '',
  value       DOUBLE PRECISION NOT NULL DEFAULT 0,
  threshold   DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX health_events_time_idx ON dnsv1.health_events (time);

-- Stores one event and tells every replica (on commit) through the channel
-- dnsd's replicas listen on; returns its id.
CREATE FUNCTION dnsv1.add_health_event(p_time TIMESTAMPTZ, p_type TEXT, p_server TEXT,
                                       p_from TEXT, p_to TEXT, p_reason TEXT, p_alert TEXT,
                                       p_value DOUBLE PRECISION, p_threshold DOUBLE PRECISION)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  new_id BIGINT;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('dnsv1.health_events ids'));
  new_id := nextval('dnsv1.health_event_ids');
  INSERT INTO dnsv1.health_events
    (id, time, type, server, from_status, to_status, reason, alert, value, threshold)
    VALUES (new_id, p_time, p_type, p_server, p_from, p_to, left(p_reason, 1000), p_alert,
            p_value, p_threshold);
  PERFORM pg_notify('dnsv1_events', '{"t":"health"}');
  RETURN new_id;
END $$;
