// The Redis store against a real redis-server started here: the shared conformance suite unchanged,
// then what only a server shows: NOSCRIPT reloads, key prefixes and hash tags, the change feed and
// probe, and errors when the server is gone. Multi-process behaviour is in fleet.test.ts.

import { afterAll, describe, expect, it } from "vitest";
import { StoreError, openRedisStore } from "../index.js";
import { storeConformance } from "./conformance.js";
import { HOUR, T0, charge, expectStoreError, request } from "./helpers.js";
import { fleetServersReady, startRedis, type RedisServer } from "./servers.js";

const ready = fleetServersReady();
const server: RedisServer | null = ready ? await startRedis() : null;
afterAll(() => server?.destroy());
let tenants = 0;
const fresh = () => openRedisStore(server!.url, { prefix: `pol:{t${tenants++}}:` });

describe.runIf(ready)("redis store", () => {
  storeConformance("redis", fresh);
});
