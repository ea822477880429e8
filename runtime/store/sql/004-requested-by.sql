-- pol on PostgreSQL, version 4: who sent the call an approval waits on (types.ts
-- ApprovalRequest.requestedBy; sqlite-schema.ts migration 5 -> 6), so every server of a fleet
-- refuses them as its approver, not only the one that decided. Nullable: approvals made before,
-- and by callers that know no sender, have none.

ALTER TABLE approvals ADD COLUMN requested_by text;
