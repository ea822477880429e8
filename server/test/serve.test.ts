// Start-up pieces of `pol serve` that need no socket: reading --listen, and refusing store
// servers this build cannot open (the one place networked stores will plug in).

import { describe, expect, it } from "vitest";
import { parseListen, storeFor } from "../serve.js";

describe("--listen", () => {
  it.each([
    ["8181", "127.0.0.1", 8181], [":8181", "127.0.0.1", 8181], ["127.0.0.1:8181", "127.0.0.1", 8181],
    ["[::1]:8181", "::1", 8181], ["localhost:0", "localhost", 0], ["0.0.0.0:80", "0.0.0.0", 80],
  ])("%s", (v, host, port) => expect(parseListen(v)).toEqual({ host, port }));

  it.each(["nope", "1.2.3.4:99999", "::1:80", "host:", ":", "[::1]"])("refuses %s", (v) => expect(() => parseListen(v)).toThrow(/is not host:port/));
});

describe("--store", () => {
  it("a file, :memory:, redis:// or postgres:// goes to the Engine; another url is refused with what to use instead", () => {
    expect(storeFor("pol.db")).toBe("pol.db");
    expect(storeFor(":memory:")).toBe(":memory:");
    expect(storeFor("postgres://db/pol")).toBe("postgres://db/pol");
    expect(storeFor("redis://127.0.0.1:6390/0")).toBe("redis://127.0.0.1:6390/0");
    expect(() => storeFor("mysql://db/pol")).toThrow("`mysql` is not a store pol can open: use a SQLite file (--store pol.db), redis:// or postgres://");
  });
});
