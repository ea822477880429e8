-- pol state on PostgreSQL, version 1: limits, approvals, trust, pauses and anchors, the same records
-- the SQLite store keeps (sqlite-schema.ts), in the schema the store was opened with (search_path).
-- Applied once by runtime/store/postgres-schema.ts under an advisory lock; never edit a shipped
-- migration, append the next one.
--
-- Times are float8 milliseconds: the store interface passes any finite double, and float8 keeps
-- every one exactly (as do amounts and scores). Changes to approvals, trust and pauses are
-- announced with NOTIFY by triggers, so every writer, psql included, wakes every replica.

CREATE TABLE limit_events (
  seq        bigserial PRIMARY KEY,  -- insertion order breaks ties between equal times
  key        text   NOT NULL,
  at         float8 NOT NULL,
  amount     float8 NOT NULL,
  expires_at float8                   -- at + window; NULL for seeded events (pruned per key only)
);
CREATE INDEX limit_events_by_key ON limit_events (key, at, seq);
CREATE INDEX limit_events_by_expiry ON limit_events (expires_at);

CREATE SEQUENCE approval_changes;

CREATE TABLE approvals (
  seq         bigserial PRIMARY KEY,
  id          text   NOT NULL UNIQUE,
  call_hash   text   NOT NULL,
  tool        text   NOT NULL,
  agent_id    text   NOT NULL,
  run_id      text,
  groups      text[] NOT NULL,
  reasons     text[] NOT NULL,
  call_json   text   NOT NULL,
  decision_id text   NOT NULL,
  created_at  float8 NOT NULL,
  expires_at  float8 NOT NULL,
  policy_hash text,
  rule        text,
  state       text   NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'consumed')),
  resolved_by text,
  resolved_at float8,
  note        text,
  consumed_at float8,
  -- Bumped on every change: a replica that lost its LISTEN connection re-reads what changed since.
  change_seq  bigint NOT NULL DEFAULT nextval('approval_changes')
);
CREATE INDEX approvals_listing ON approvals (created_at, seq);
-- findApproved's index: an index lookup by call hash, whatever else is pending.
CREATE INDEX approvals_approved_by_hash ON approvals (call_hash, created_at, seq) WHERE state = 'approved';
-- The pending cap's index.
CREATE INDEX approvals_pending_by_agent ON approvals (agent_id, expires_at) WHERE state = 'pending';
CREATE INDEX approvals_by_change ON approvals (change_seq);

CREATE TABLE trust (
  agent_id   text PRIMARY KEY,
  score      float8 CHECK (score >= 0 AND score <= 100),  -- NULL: a row locked for a first write
  revoked    boolean NOT NULL DEFAULT false,
  updated_at float8
);

CREATE TABLE pauses (
  seq        bigserial PRIMARY KEY,  -- ids (pause-N) are never reused
  pattern    text,
  tool_class text CHECK (tool_class IN ('read', 'write', 'destructive')),
  reason     text   NOT NULL,
  paused_by  text,
  created_at float8 NOT NULL
);

CREATE TABLE anchors (
  name text   PRIMARY KEY,
  seq  bigint NOT NULL CHECK (seq >= 0),
  hash text   NOT NULL,
  at   float8 NOT NULL
);

-- The change feed: one channel per schema, `<schema>_changes`. The payload names the kind, and for
-- approvals the id, change type, time of the change, change_seq and the writer's application_name
-- (a store instance's own id), so a store does not relay its own changes back to itself.
CREATE FUNCTION notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  channel text := TG_TABLE_SCHEMA || '_changes';
  kind text;
BEGIN
  IF TG_TABLE_NAME <> 'approvals' THEN
    PERFORM pg_notify(channel, TG_TABLE_NAME);
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN kind := 'created';
  ELSIF NEW.state = 'consumed' THEN kind := 'consumed';
  ELSE kind := 'resolved';
  END IF;
  PERFORM pg_notify(channel, json_build_object(
    'kind', 'approval', 'type', kind, 'id', NEW.id, 'c', NEW.change_seq, 'o', current_setting('application_name'),
    'at', CASE kind WHEN 'created' THEN NEW.created_at WHEN 'consumed' THEN NEW.consumed_at ELSE NEW.resolved_at END
  )::text);
  RETURN NULL;
END $$;

CREATE FUNCTION bump_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.change_seq := nextval('approval_changes');
  RETURN NEW;
END $$;

CREATE TRIGGER approvals_change_seq BEFORE UPDATE ON approvals FOR EACH ROW EXECUTE FUNCTION bump_change_seq();
CREATE TRIGGER approvals_notify AFTER INSERT OR UPDATE ON approvals FOR EACH ROW EXECUTE FUNCTION notify_change();
CREATE TRIGGER trust_notify AFTER INSERT OR UPDATE OR DELETE ON trust FOR EACH STATEMENT EXECUTE FUNCTION notify_change();
CREATE TRIGGER pauses_notify AFTER INSERT OR UPDATE OR DELETE ON pauses FOR EACH STATEMENT EXECUTE FUNCTION notify_change();
