-- One job secret for every host on this database (README "More than one
-- host"): the first host to start records its fingerprint, lowercase hex
-- of HMAC-SHA256(secret, "registrar job secret fingerprint v1"), never the
-- secret; a host whose secret gives another one refuses to start.
CREATE TABLE job_secret (
    id integer PRIMARY KEY CHECK (id = 1),
    fingerprint text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
