-- The audit trail: one row per mutation, written in the transaction of the
-- change itself (a rolled-back change leaves no entry, a committed one
-- always has one). RRsets are kept in the gpgsql row form change_rrsets
-- takes ({"n","t","c","ttl","p","d"}, names without the trailing dot).
CREATE TABLE dnsv1.audit_log (
  id             BIGSERIAL PRIMARY KEY,
  time           TIMESTAMPTZ NOT NULL DEFAULT now(),
  actor          TEXT NOT NULL,
  client_subject TEXT NOT NULL DEFAULT '',
  rpc            TEXT NOT NULL,
  request_id     TEXT NOT NULL DEFAULT '',
  peer           TEXT NOT NULL DEFAULT '',
  zone           TEXT COLLATE "C",
  account        TEXT,
  target         TEXT NOT NULL DEFAULT '',
  serial_before  BIGINT,
  serial_after   BIGINT,
  -- RRset changes only: [{"n","t"}] touched, and their rows before/after.
  keys           JSONB,
  rrsets_before  JSONB,
  rrsets_after   JSONB,
  details        JSONB NOT NULL DEFAULT '{}',
  reverts        BIGINT,
  reverted_by    BIGINT
);
CREATE INDEX audit_log_zone_idx ON dnsv1.audit_log (zone, id) WHERE zone IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON dnsv1.audit_log (actor, id);
CREATE INDEX audit_log_time_idx ON dnsv1.audit_log (time);

-- p_origin: {"actor","subject","rpc","request_id","peer","reverts"}. A
-- revert marks the entry it undoes. Returns the new entry's id.
CREATE FUNCTION dnsv1.append_audit(
    p_origin JSONB, p_zone TEXT, p_account TEXT, p_target TEXT,
    p_serial_before BIGINT, p_serial_after BIGINT,
    p_keys JSONB, p_before JSONB, p_after JSONB, p_details JSONB DEFAULT '{}')
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  entry BIGINT;
  reverted BIGINT := NULLIF((p_origin->>'reverts')::BIGINT, 0);
BEGIN
  INSERT INTO dnsv1.audit_log (actor, client_subject, rpc, request_id, peer, zone, account,
                               target, serial_before, serial_after, keys, rrsets_before,
                               rrsets_after, details, reverts)
    VALUES (COALESCE(p_origin->>'actor', ''), COALESCE(p_origin->>'subject', ''),
            COALESCE(p_origin->>'rpc', ''), COALESCE(p_origin->>'request_id', ''),
            COALESCE(p_origin->>'peer', ''), p_zone, p_account, COALESCE(p_target, ''),
            p_serial_before, p_serial_after, p_keys, p_before, p_after,
            COALESCE(p_details, '{}'), reverted)
    RETURNING id INTO entry;
  IF reverted IS NOT NULL THEN
    UPDATE dnsv1.audit_log a SET reverted_by = entry WHERE a.id = reverted;
  END IF;
  RETURN entry;
END;
$$;

-- One record as an audit row.
CREATE FUNCTION dnsv1.audit_row(r records)
RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('n', r.name, 't', r.type, 'c', r.content, 'ttl', r.ttl,
                            'p', COALESCE(r.prio, 0), 'd', r.disabled);
$$;

-- The zone's rows of the RRsets named in p_keys ([{"n","t"}]), as stored.
CREATE FUNCTION dnsv1.rrset_rows(p_domain_id INT, p_keys JSONB)
RETURNS JSONB LANGUAGE sql STABLE AS $$
  SELECT COALESCE(jsonb_agg(dnsv1.audit_row(r) ORDER BY r.name, r.type, r.id), '[]')
    FROM records r
    JOIN (SELECT DISTINCT k.n, k.t FROM jsonb_to_recordset(p_keys) AS k(n TEXT, t TEXT)) k
      ON r.name = k.n AND r.type = k.t
   WHERE r.domain_id = p_domain_id;
$$;

-- Every row of the zone except its empty non-terminals (a created or deleted
-- zone's content).
CREATE FUNCTION dnsv1.zone_rows(p_domain_id INT)
RETURNS JSONB LANGUAGE sql STABLE AS $$
  SELECT COALESCE(jsonb_agg(dnsv1.audit_row(r) ORDER BY r.name, r.type, r.id), '[]')
    FROM records r
   WHERE r.domain_id = p_domain_id AND r.type IS NOT NULL;
$$;

-- change_rrsets with its audit entry: the zone row is locked first, so the
-- rows read as "before" are exactly the ones the change replaces. A replay
-- of a request id is not a new change and records nothing.
CREATE FUNCTION dnsv1.change_rrsets_audited(
    p_zone TEXT, p_deletes JSONB, p_inserts JSONB,
    p_expected_serial BIGINT, p_expected_version BIGINT,
    p_request_id TEXT, p_fingerprint TEXT, p_origin JSONB,
    OUT serial BIGINT, OUT version BIGINT, OUT replayed BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
  z RECORD;
  before JSONB;
BEGIN
  SELECT zz.domain_id, zz.serial, zz.account INTO z
    FROM dnsv1.zones zz WHERE zz.name = p_zone FOR UPDATE;
  IF FOUND THEN
    before := dnsv1.rrset_rows(z.domain_id, p_deletes);
  END IF;
  SELECT c.serial, c.version, c.replayed INTO serial, version, replayed
    FROM dnsv1.change_rrsets(p_zone, p_deletes, p_inserts, p_expected_serial,
                             p_expected_version, 0, p_request_id, p_fingerprint) c;
  IF NOT replayed THEN
    PERFORM dnsv1.append_audit(p_origin, p_zone, z.account, '', z.serial, serial, p_deletes,
                               before, p_inserts);
  END IF;
END;
$$;

-- A failover's committed zones as audit entries, set-based (thousands of
-- zones commit at once). Failovers change A/AAAA RRsets only: no priority.
CREATE FUNCTION dnsv1.audit_failover(p_failover_id TEXT)
RETURNS void LANGUAGE sql AS $$
  WITH f AS (
    SELECT id, request_id, requested_by FROM dnsv1.failovers WHERE id = p_failover_id
  ), rows AS (
    SELECT fz.zone, side.which,
           jsonb_agg(jsonb_build_object('n', rtrim(rs->>'name', '.'), 't', rs->>'type',
                                        'c', rec->>'content', 'ttl', (rs->>'ttl')::INT,
                                        'p', 0, 'd', (rec->>'disabled')::BOOLEAN))
             FILTER (WHERE rec IS NOT NULL) AS r,
           jsonb_agg(DISTINCT jsonb_build_object('n', rtrim(rs->>'name', '.'),
                                                 't', rs->>'type')) AS k
      FROM dnsv1.failover_zones fz
      CROSS JOIN LATERAL (VALUES ('before', fz.before), ('after', fz.after)) AS side(which, v)
      CROSS JOIN LATERAL jsonb_array_elements(side.v) AS rs
      LEFT JOIN LATERAL jsonb_array_elements(rs->'records') AS rec ON true
     WHERE fz.failover_id = p_failover_id AND fz.committed_serial IS NOT NULL
     GROUP BY fz.zone, side.which
  )
  INSERT INTO dnsv1.audit_log (actor, rpc, request_id, zone, account, target, serial_before,
                               serial_after, keys, rrsets_before, rrsets_after, details)
    SELECT f.requested_by, 'ExecuteFailover', COALESCE(f.request_id, ''), fz.zone, z.account,
           'failover ' || f.id, fz.planned_serial, fz.committed_serial, b.k,
           COALESCE(b.r, '[]'), COALESCE(a.r, '[]'), '{}'
      FROM f
      JOIN dnsv1.failover_zones fz ON fz.failover_id = f.id AND fz.committed_serial IS NOT NULL
      JOIN dnsv1.zones z ON z.name = fz.zone
      JOIN rows b ON b.zone = fz.zone AND b.which = 'before'
      LEFT JOIN rows a ON a.zone = fz.zone AND a.which = 'after';
$$;

-- A token's secret replaced (the bootstrap token's file changed): every
-- replica forgets what it cached of the old one.
DROP TRIGGER tokens_changed ON dnsv1.tokens;
CREATE TRIGGER tokens_changed
  AFTER UPDATE OF revoke_time, role, accounts, expire_time, secret_hash OR DELETE
  ON dnsv1.tokens FOR EACH STATEMENT EXECUTE FUNCTION dnsv1.tokens_changed();
