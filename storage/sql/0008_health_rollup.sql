-- Hourly roll-ups of the health samples: a month of one server is 720 rows
-- here instead of 259,200 there, so GetServerMetrics over long ranges reads
-- these (with raw samples only at the range's ragged edges). Per figure:
-- the sum and count (for averages over any whole number of hours) and the
-- maximum. Filled by the leader's housekeeping for hours that ended; the
-- watermark says up to where.
CREATE TABLE dnsv1.health_hourly (
  server TEXT COLLATE "C" NOT NULL,
  hour   TIMESTAMPTZ NOT NULL,
  n      INT NOT NULL,
  good   INT NOT NULL,
  api_sum DOUBLE PRECISION, api_n INT NOT NULL DEFAULT 0, api_max REAL,
  dns_probe_sum DOUBLE PRECISION, dns_probe_n INT NOT NULL DEFAULT 0, dns_probe_max REAL,
  memory_sum DOUBLE PRECISION, memory_n INT NOT NULL DEFAULT 0, memory_max REAL,
  cpu_sum DOUBLE PRECISION, cpu_n INT NOT NULL DEFAULT 0, cpu_max REAL,
  query_rate_sum DOUBLE PRECISION, query_rate_n INT NOT NULL DEFAULT 0, query_rate_max REAL,
  packet_cache_hit_rate_sum DOUBLE PRECISION, packet_cache_hit_rate_n INT NOT NULL DEFAULT 0, packet_cache_hit_rate_max REAL,
  query_cache_hit_rate_sum DOUBLE PRECISION, query_cache_hit_rate_n INT NOT NULL DEFAULT 0, query_cache_hit_rate_max REAL,
  servfail_rate_sum DOUBLE PRECISION, servfail_rate_n INT NOT NULL DEFAULT 0, servfail_rate_max REAL,
  latency_sum DOUBLE PRECISION, latency_n INT NOT NULL DEFAULT 0, latency_max REAL,
  fd_usage_sum DOUBLE PRECISION, fd_usage_n INT NOT NULL DEFAULT 0, fd_usage_max REAL,
  uptime_sum DOUBLE PRECISION, uptime_n INT NOT NULL DEFAULT 0, uptime_max REAL,
  zones_sum DOUBLE PRECISION, zones_n INT NOT NULL DEFAULT 0, zones_max REAL,
  zones_out_of_sync_sum DOUBLE PRECISION, zones_out_of_sync_n INT NOT NULL DEFAULT 0, zones_out_of_sync_max REAL,
  propagation_lag_sum DOUBLE PRECISION, propagation_lag_n INT NOT NULL DEFAULT 0, propagation_lag_max REAL,
  PRIMARY KEY (server, hour)
);

CREATE TABLE dnsv1.health_rollup_state (
  singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
  -- Samples before this instant are in health_hourly.
  rolled_until TIMESTAMPTZ NOT NULL
);

-- Rolls up every whole hour that ended before p_before and is not rolled
-- up yet; returns the hours rolled. The first run starts at the oldest
-- sample.
CREATE FUNCTION dnsv1.roll_up_health(p_before TIMESTAMPTZ)
RETURNS INT LANGUAGE plpgsql AS $$
DECLARE
  v_since TIMESTAMPTZ;
  v_until TIMESTAMPTZ := date_trunc('hour', p_before AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('dnsv1.health_hourly roll-up'));
  SELECT rolled_until INTO v_since FROM dnsv1.health_rollup_state;
  IF v_since IS NULL THEN
    SELECT date_trunc('hour', min(time) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' INTO v_since
      FROM dnsv1.health_samples;
    IF v_since IS NULL THEN v_since := v_until; END IF;
    INSERT INTO dnsv1.health_rollup_state (rolled_until) VALUES (v_since);
  END IF;
  -- A week per call at most: a long backlog is caught up over several runs.
  v_until := LEAST(v_until, v_since + interval '7 days');
  IF v_since >= v_until THEN RETURN 0; END IF;
  INSERT INTO dnsv1.health_hourly (server, hour, n, good, api_sum, api_n, api_max, dns_probe_sum, dns_probe_n, dns_probe_max, memory_sum, memory_n, memory_max, cpu_sum, cpu_n, cpu_max, query_rate_sum, query_rate_n, query_rate_max, packet_cache_hit_rate_sum, packet_cache_hit_rate_n, packet_cache_hit_rate_max, query_cache_hit_rate_sum, query_cache_hit_rate_n, query_cache_hit_rate_max, servfail_rate_sum, servfail_rate_n, servfail_rate_max, latency_sum, latency_n, latency_max, fd_usage_sum, fd_usage_n, fd_usage_max, uptime_sum, uptime_n, uptime_max, zones_sum, zones_n, zones_max, zones_out_of_sync_sum, zones_out_of_sync_n, zones_out_of_sync_max, propagation_lag_sum, propagation_lag_n, propagation_lag_max)
    SELECT server, date_trunc('hour', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
           count(*), count(*) FILTER (WHERE good),
           sum(api), count(api), max(api),
           sum(dns_probe), count(dns_probe), max(dns_probe),
           sum(memory), count(memory), max(memory),
           sum(cpu), count(cpu), max(cpu),
           sum(query_rate), count(query_rate), max(query_rate),
           sum(packet_cache_hit_rate), count(packet_cache_hit_rate), max(packet_cache_hit_rate),
           sum(query_cache_hit_rate), count(query_cache_hit_rate), max(query_cache_hit_rate),
           sum(servfail_rate), count(servfail_rate), max(servfail_rate),
           sum(latency), count(latency), max(latency),
           sum(fd_usage), count(fd_usage), max(fd_usage),
           sum(uptime), count(uptime), max(uptime),
           sum(zones), count(zones), max(zones),
           sum(zones_out_of_sync), count(zones_out_of_sync), max(zones_out_of_sync),
           sum(propagation_lag), count(propagation_lag), max(propagation_lag)
      FROM dnsv1.health_samples
     WHERE time >= v_since AND time < v_until
     GROUP BY 1, 2
  ON CONFLICT (server, hour) DO NOTHING;
  UPDATE dnsv1.health_rollup_state SET rolled_until = v_until;
  RETURN (extract(epoch FROM v_until - v_since) / 3600)::int;
END $$;
