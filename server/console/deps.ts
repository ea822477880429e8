// What the console's page modules share: the host, the users, the action layer, live events,
// the audit chain's index and verifier, and the policy's name. Built once by server/app.ts.

import type { Actions } from "../actions.js";
import type { AuditVerifier } from "../audit-verifier.js";
import type { AuditIndexThread } from "../audit-index-thread.js";
import type { Users } from "../auth/users.js";
import type { ApprovalEvents } from "../events.js";
import type { ServeHost } from "../host.js";

export interface ConsoleDeps {
  host: ServeHost;
  users: Users;
  actions: Actions;
  events: ApprovalEvents;
  /** The console's questions about the audit chain, answered off the main thread. */
  index: AuditIndexThread;
  verifier: AuditVerifier;
  policyName: string;
  /** How often the queue re-reads the store besides live events (changes by other processes). */
  queuePollSeconds: number;
}
