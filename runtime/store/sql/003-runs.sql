-- pol runs on PostgreSQL, version 3: each run's state and call count, and its calls in order, the
-- records the SQLite store keeps (sqlite-schema.ts migration 3 -> 4; types.ts RunStore). A
-- record() locks the run's row (FOR UPDATE), so concurrent writers of one run take turns.
--
-- Times are float8 milliseconds of the engine's clock; state and arguments are JSON.

CREATE TABLE runs (
  run_id     text   PRIMARY KEY,
  calls      integer NOT NULL,
  state      jsonb  NOT NULL,
  expires_at float8 NOT NULL
);
CREATE INDEX runs_by_expiry ON runs (expires_at);

CREATE TABLE run_calls (
  run_id text    NOT NULL,
  n      integer NOT NULL,
  at     float8  NOT NULL,
  tool   text    NOT NULL,
  args   jsonb   NOT NULL,
  PRIMARY KEY (run_id, n)
);
