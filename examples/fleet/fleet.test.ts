// The fleet example is a test: on a real Redis and PostgreSQL started here, its replicas must
// share the refund budget exactly, wake on an approval granted from the command line, stop at a
// pause thrown from the command line, and leave one audit chain that `pol audit verify` accepts.

import { afterAll, describe, expect, it } from "vitest";
import { fleetServersReady, startPostgres, startRedis, type PostgresServer, type RedisServer } from "../../runtime/store/test/servers.js";
import { runFleet } from "./fleet.js";

const ready = fleetServersReady();
const redis: RedisServer | null = ready ? await startRedis() : null;
const postgres: PostgresServer | null = ready ? await startPostgres() : null;
afterAll(async () => {
  await Promise.all([redis?.destroy(), postgres?.destroy()]);
});

describe.runIf(ready)("the fleet example", () => {
  it("shares one budget, one approval queue, one kill switch and one audit chain between processes", async () => {
    const r = await runFleet(redis!.url, postgres!.url);
    expect(r.transcript).toEqual([
      "replica a: refund $500 -> approve: refunds over $100 need finance sign-off",
      "operator: pol approvals approve apr_… --group finance --store postgres://… --by ana@finance",
      "replica a: woke (approved by ana@finance), retry -> allow (approval)",
      "replicas b, c, d: 90 refunds of $10 -> 50 allowed ($500), 40 denied by the shared limit",
      expect.stringMatching(/^ {2}limit `daily_refunds` exceeded: 1000 of 1000 per day used, this call adds 10$/),
      "operator: pol pause refund --store redis://… --reason \"refund fraud under investigation\"",
      "replica e: refund $10 -> denied (pause): `refund` is paused: refund fraud under investigation (pause-1, pausing `refund`, by sec-oncall)",
      expect.stringMatching(/^operator: pol audit verify postgres:\/\/… -> audit chain intact: \d+ records in postgres:\/\/127\.0\.0\.1:\d+\/postgres#\w+\.main$/),
    ]);
  });
});
