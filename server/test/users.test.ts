// API credentials (server/auth/users.ts): an Authorization header that verified once is
// recognised by its hash on later requests, whichever scheme spelled it, and a header can never
// be taken for a name and secret that verified (the two caches are apart).

import { beforeAll, describe, expect, it } from "vitest";
import { hashSecret } from "../auth/secret.js";
import { Users } from "../auth/users.js";

let users: Users;
const basic = (name: string, secret: string) => `Basic ${Buffer.from(`${name}:${secret}`).toString("base64")}`;

beforeAll(async () => {
  // A user named `authorization` whose secret is bob's header: the case a shared cache would confuse.
  const lines = ["users:", "  - name: bob", "    roles: [agent]", `    secret: "${await hashSecret("bob-secret")}"`, "  - name: authorization", "    roles: [admin]", `    secret: "${await hashSecret("Bearer bob:bob-secret")}"`];
  users = Users.fromText(lines.join("\n") + "\n", "users.yaml");
});

describe("authenticateHeader", () => {
  it("verifies a header, then knows it again, in either scheme", async () => {
    for (const header of [basic("bob", "bob-secret"), "Bearer bob:bob-secret", basic("bob", "bob-secret"), "Bearer bob:bob-secret"]) {
      expect(await users.authenticateHeader(header)).toMatchObject({ name: "bob", roles: ["agent"] });
    }
  });

  it("is undefined without credentials and refuses a wrong secret every time", async () => {
    for (const header of [undefined, "", "Bearer", "Token bob:bob-secret"]) expect(users.authenticateHeader(header)).toBeUndefined();
    for (let i = 0; i < 2; i++) expect(await users.authenticateHeader("Bearer bob:wrong")).toBeUndefined();
  });

  it("never answers a header with the principal of a name and secret that spell it", async () => {
    expect(await users.authenticate("authorization", "Bearer bob:bob-secret")).toMatchObject({ name: "authorization", roles: ["admin"] });
    expect(await users.authenticateHeader("Bearer bob:bob-secret")).toMatchObject({ name: "bob", roles: ["agent"] });
    expect(await users.authenticateHeader(basic("authorization", "Bearer bob:bob-secret"))).toMatchObject({ name: "authorization" });
  });
});
