-- The service's own tables live in schema dnsv1; PowerDNS only reads public.
CREATE SCHEMA IF NOT EXISTS dnsv1;

-- One row per zone the service owns, next to PowerDNS's `domains` row.
-- name is canonical (lower-case, trailing dot) in "C" order so keyset
-- pagination and prefix filters agree with the index.
CREATE TABLE dnsv1.zones (
  domain_id          INT PRIMARY KEY REFERENCES domains(id) ON DELETE CASCADE,
  name               TEXT COLLATE "C" NOT NULL UNIQUE,
  kind               TEXT NOT NULL,
  account            TEXT NOT NULL DEFAULT '',
  customer_id        TEXT NOT NULL DEFAULT '',
  hosting_service_id TEXT NOT NULL DEFAULT '',
  nameservers        TEXT[] NOT NULL DEFAULT '{}',
  masters            TEXT[] NOT NULL DEFAULT '{}',
  labels             JSONB NOT NULL DEFAULT '{}',
  serial             BIGINT NOT NULL,
  version            BIGINT NOT NULL DEFAULT 1,
  create_time        TIMESTAMPTZ NOT NULL DEFAULT now(),
  update_time        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX zones_account_idx ON dnsv1.zones (account, name);
CREATE INDEX zones_customer_idx ON dnsv1.zones (customer_id, name);
CREATE INDEX zones_hosting_service_idx ON dnsv1.zones (hosting_service_id, name);

-- RRset listing walks a zone in (name, type) order.
CREATE INDEX records_zone_order_idx
  ON records (domain_id, (name COLLATE "C"), (type COLLATE "C"));
-- Delegation checks look for NS RRsets of one zone.
CREATE INDEX records_zone_type_idx ON records (domain_id, type);

-- Completed writes by request_id, so a retried call returns the first result
-- instead of applying twice. fingerprint guards against reuse of an id for a
-- different request.
CREATE TABLE dnsv1.requests (
  request_id   TEXT PRIMARY KEY,
  method       TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  zone         TEXT NOT NULL,
  serial       BIGINT,
  version      BIGINT,
  create_time  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX requests_create_time_idx ON dnsv1.requests (create_time);

-- Same rule as dns::NextSerial (storage/serial.cc).
CREATE FUNCTION dnsv1.next_serial(cur BIGINT, floor BIGINT) RETURNS BIGINT
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN cur < floor THEN floor
              WHEN cur >= 4294967295 THEN 1
              ELSE cur + 1 END
$$;

-- Claims request_id for this call. Returns NULL when the id is new (or
-- empty), else the stored (serial, version) of the completed first call.
-- A concurrent duplicate waits on the primary key until the first commits.
CREATE FUNCTION dnsv1.claim_request(p_request_id TEXT, p_method TEXT,
                                    p_fingerprint TEXT, p_zone TEXT,
                                    OUT serial BIGINT, OUT version BIGINT,
                                    OUT replayed BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
  r dnsv1.requests%ROWTYPE;
BEGIN
  replayed := false;
  IF p_request_id = '' THEN RETURN; END IF;
  INSERT INTO dnsv1.requests (request_id, method, fingerprint, zone)
    VALUES (p_request_id, p_method, p_fingerprint, p_zone)
    ON CONFLICT (request_id) DO NOTHING;
  IF FOUND THEN RETURN; END IF;
  SELECT * INTO r FROM dnsv1.requests WHERE request_id = p_request_id;
  IF r.method <> p_method OR r.fingerprint <> p_fingerprint THEN
    RAISE EXCEPTION 'request_id % was already used for a different request', p_request_id
      USING ERRCODE = 'DN412';
  END IF;
  serial := r.serial;
  version := r.version;
  replayed := true;
END;
$$;

-- Records at or below a delegation (non-apex NS) are not authoritative,
-- except DS at the cut; PowerDNS needs auth right even without DNSSEC.
-- With only_if_cuts, zones without delegations (nearly all) cost one probe.
CREATE FUNCTION dnsv1.rectify_auth(p_domain_id INT, p_apex TEXT,
                                   only_if_cuts BOOLEAN DEFAULT false)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF only_if_cuts AND NOT EXISTS (
      SELECT 1 FROM records r WHERE r.domain_id = p_domain_id
        AND r.type = 'NS' AND r.name <> p_apex) THEN
    RETURN;
  END IF;
  UPDATE records r SET auth = NOT EXISTS (
      SELECT 1 FROM records cut
      WHERE cut.domain_id = p_domain_id AND cut.type = 'NS' AND cut.name <> p_apex
        AND ((r.name = cut.name AND r.type <> 'DS')
             OR right(r.name, length(cut.name) + 1) = '.' || cut.name))
    WHERE r.domain_id = p_domain_id;
END;
$$;
