-- Bearer tokens. Only the SHA-256 of a secret is stored: a dump of the
-- database does not let anyone call dns.v1.
CREATE TABLE dnsv1.tokens (
  name          TEXT COLLATE "C" PRIMARY KEY,
  role          TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'operator', 'admin')),
  accounts      TEXT[] NOT NULL DEFAULT '{}',
  secret_hash   BYTEA NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
  create_time   TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_use_time TIMESTAMPTZ,
  expire_time   TIMESTAMPTZ,
  revoke_time   TIMESTAMPTZ,
  created_by    TEXT NOT NULL DEFAULT ''
);

-- Every replica drops what it cached of a revoked token on commit.
CREATE FUNCTION dnsv1.tokens_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('dnsv1_events', '{"t":"tokens"}');
  RETURN NULL;
END $$;
CREATE TRIGGER tokens_changed AFTER UPDATE OF revoke_time, role, accounts, expire_time OR DELETE
  ON dnsv1.tokens FOR EACH STATEMENT EXECUTE FUNCTION dnsv1.tokens_changed();
