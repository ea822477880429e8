-- pol on PostgreSQL, version 5: trust changes counted once per claim (types.ts
-- TrustStore.adjustOnce: an outcome's decision; sqlite-schema.ts migration 6 -> 7). The claim is
-- inserted in the transaction that changes the score, so an outcome reported to every server of a
-- fleet at once moves trust once, and a change that fails claims nothing.

CREATE TABLE trust_claims (
  claim text   PRIMARY KEY,
  until float8 NOT NULL
);
CREATE INDEX trust_claims_by_until ON trust_claims (until);
