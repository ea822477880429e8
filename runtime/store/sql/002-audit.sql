-- pol audit chains on PostgreSQL, version 2: the records of runtime/audit/postgres.ts, exactly as
-- the JSONL log writes them (the sealed line, without its newline), one chain per name.
--
-- The database itself keeps the chain whole against its writers: records can only be appended, in
-- order, each after the chain's last one (seq + 1, prev = its hash); no record can be updated or
-- deleted and the table cannot be truncated; the head only moves forward, and only by an append. A writer role
-- granted only INSERT and SELECT (docs/runtime.md) cannot drop these triggers; only the owner can,
-- and FORMAT.md's threat model covers that case with an anchor kept outside the database.

CREATE TABLE audit_records (
  chain  text   NOT NULL,
  seq    bigint NOT NULL CHECK (seq >= 1),
  prev   text   NOT NULL,
  hash   text   NOT NULL,
  record text   NOT NULL,
  -- Outside the hashed record: which writer appended it, and its own count of entries, so a writer
  -- that lost its connection during COMMIT can tell, after reconnecting, what was committed.
  writer text   NOT NULL,
  wseq   bigint NOT NULL,
  PRIMARY KEY (chain, seq),
  UNIQUE (chain, writer, wseq)
);

CREATE TABLE audit_heads (
  chain text   PRIMARY KEY,
  seq   bigint NOT NULL CHECK (seq >= 0),
  hash  text   NOT NULL
);

-- A record must follow the chain's last one: seq 1 with the genesis prev, or the record before it
-- (an earlier row of the same INSERT included) with the hash this record names as prev. With the
-- primary key that allows exactly one next record: no gap, no fork, no rewrite of an old seq.
CREATE FUNCTION audit_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (
    (NEW.seq = 1 AND NEW.prev = repeat('0', 64))
    OR EXISTS (SELECT 1 FROM audit_records WHERE chain = NEW.chain AND seq = NEW.seq - 1 AND hash = NEW.prev)
  ) THEN
    RAISE EXCEPTION 'audit record % of chain % does not follow the chain''s last record', NEW.seq, NEW.chain
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;

-- The head follows the appends, once per INSERT statement (a per-row update would rewrite the head
-- row hundreds of times in one transaction).
CREATE FUNCTION audit_advance_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_heads (chain, seq, hash)
    SELECT DISTINCT ON (chain) chain, seq, hash FROM appended ORDER BY chain, seq DESC
    ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
  RETURN NULL;
END $$;

CREATE FUNCTION audit_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit records are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

-- The head is audit_advance_head's alone: it moves forward inside that trigger (trigger depth 2);
-- any other insert, update or delete of a head is refused.
CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() < 2 OR TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NEW.seq <= OLD.seq) THEN
    RAISE EXCEPTION 'the audit head moves only by appending a record: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER audit_records_append BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION audit_append();
CREATE TRIGGER audit_records_head AFTER INSERT ON audit_records REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION audit_advance_head();
CREATE TRIGGER audit_records_immutable BEFORE UPDATE OR DELETE ON audit_records FOR EACH ROW EXECUTE FUNCTION audit_immutable();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records FOR EACH STATEMENT EXECUTE FUNCTION audit_immutable();
CREATE TRIGGER audit_heads_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_heads FOR EACH ROW EXECUTE FUNCTION audit_head_guard();
CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads FOR EACH STATEMENT EXECUTE FUNCTION audit_immutable();
