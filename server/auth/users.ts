// The people and services `pol serve` knows: a users file (YAML or JSON) with each principal's
// roles, approver groups, agents and hashed secret, or, without one, a single admin with a random
// secret printed at start-up. Fed by `pol serve --users`; consumed by the sign-in form (name and
// secret) and the API (HTTP Basic or `Bearer name:secret`), both through authenticate().
//
//   users:
//     - name: alice
//       roles: [approver]
//       groups: [finance]
//       agents: [support-bot]     # alice runs it, so she never approves its requests
//       secret: scrypt$32768$8$1$...
//
// A file that cannot be read or has any error refuses to start the server (fail closed), naming
// the entry and the field.

import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ROLES, type Principal, type Role } from "./roles.js";
import { hashProblem, hashSecret, newSecret, sha256, verifySecret } from "./secret.js";
import { SignInThrottle, isRefusal, type Refusal } from "./throttle.js";

/** The source label of ephemeralAdmin()'s users, in messages that name where a user came from. */
const EPHEMERAL_SOURCE = "(start-up admin)";

export class UsersError extends Error {
  override readonly name = "UsersError";
}

interface Entry extends Principal { secret: string }

const NAME = /^[^\s\p{Cc}:][^\p{Cc}:]{0,127}$/u;
const MAX_CACHED = 1024;
/** A well-formed hash no secret matches: unknown names cost as much as wrong secrets. */
const DECOY = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

function strings(v: unknown, where: string, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string" && x !== "")) throw new UsersError(`${where}: \`${field}\` must be a list of names`);
  return v as string[];
}

function entryOf(raw: unknown, i: number, file: string): Entry {
  const where = `${file}: user ${i + 1}`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new UsersError(`${where} must be a mapping with name, roles and secret`);
  const r = raw as Record<string, unknown>;
  const known = new Set(["name", "roles", "groups", "agents", "secret"]);
  for (const k of Object.keys(r)) if (!known.has(k)) throw new UsersError(`${where}: unknown field \`${k}\`; expected name, roles, groups, agents, secret`);
  if (typeof r["name"] !== "string" || !NAME.test(r["name"])) throw new UsersError(`${where}: \`name\` must be 1 to 128 characters without control characters, \`:\` or leading space`);
  const at = `${where} (\`${r["name"]}\`)`;
  const roles = strings(r["roles"], at, "roles");
  if (roles.length === 0) throw new UsersError(`${at}: give at least one role: ${ROLES.join(", ")}`);
  for (const role of roles) if (!(ROLES as readonly string[]).includes(role)) throw new UsersError(`${at}: unknown role \`${role}\`; expected ${ROLES.join(", ")}`);
  // A service that sends calls and approves them would approve its own requests.
  const approving = roles.filter((r) => r === "approver" || r === "admin");
  if (roles.includes("agent") && approving.length > 0) throw new UsersError(`${at}: the \`agent\` role (a service that sends calls) cannot be combined with \`${approving[0]}\`, or it could approve its own requests; give the service and the person separate users`);
  const problem = hashProblem(r["secret"]);
  if (problem) throw new UsersError(`${at}: ${problem}`);
  return { name: r["name"], roles: roles as Role[], groups: strings(r["groups"], at, "groups"), agents: strings(r["agents"], at, "agents"), secret: r["secret"] as string };
}

export class Users {
  private readonly byName = new Map<string, Entry>();
  /** sha256(name + NUL + secret) → principal, for credentials already verified (services send them per request). */
  private readonly verified = new Map<string, Principal>();
  /** sha256(Authorization header) → principal, for headers whose credentials verified (a map of its own: no header can pose as a name and secret). */
  private readonly verifiedHeaders = new Map<string, Principal>();
  /**
   * Checks under way, by the same key: a service opening 20 connections at once sends its
   * credentials 20 times before the first check ends, and 20 scrypt runs (110 ms and 32 MiB
   * each) stalled a fresh server for seconds.
   */
  private readonly checking = new Map<string, Promise<Principal | Refusal | undefined>>();

  private constructor(entries: Entry[], readonly source: string, private readonly throttle = new SignInThrottle()) {
    for (const e of entries) {
      const key = e.name.toLowerCase();
      if (this.byName.has(key)) throw new UsersError(`${source}: the name \`${e.name}\` appears twice (names are compared ignoring case)`);
      this.byName.set(key, e);
    }
  }

  static fromFile(path: string): Users {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new UsersError(`cannot read the users file \`${path}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return Users.fromText(text, path);
  }

  static fromText(text: string, source: string): Users {
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new UsersError(`${source} is not valid YAML or JSON: ${(e as Error).message.split("\n")[0]}`);
    }
    const list = (doc as { users?: unknown } | null)?.users;
    if (!Array.isArray(list) || list.length === 0) throw new UsersError(`${source} needs a non-empty \`users:\` list`);
    return new Users(list.map((u, i) => entryOf(u, i, source)), source);
  }

  /** One admin named `admin` with a fresh random secret, for a server started without a users file. */
  static async ephemeralAdmin(): Promise<{ users: Users; secret: string }> {
    const secret = newSecret();
    const entry: Entry = { name: "admin", roles: ["admin"], groups: [], agents: [], secret: await hashSecret(secret) };
    return { users: new Users([entry], EPHEMERAL_SOURCE), secret };
  }

  /** No users file: the one `admin` whose secret `pol serve` printed at start (the sign-in page says so). */
  get ephemeral(): boolean {
    return this.source === EPHEMERAL_SOURCE;
  }

  get(name: string): Principal | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** Every principal, in file order. */
  all(): Principal[] {
    return [...this.byName.values()].map((e) => ({ name: e.name, roles: e.roles, groups: e.groups, agents: e.agents }));
  }

  get size(): number {
    return this.byName.size;
  }

  /**
   * The principal when name and secret match, else undefined; unknown names take as long as wrong
   * secrets. A Refusal (throttle.ts) when the name has failed too often or too many checks are
   * waiting: callers answer 429 with Retry-After, and no secret is checked.
   */
  authenticate(name: string, secret: string): Promise<Principal | Refusal | undefined> {
    const key = sha256(`${name.toLowerCase()}\0${secret}`);
    const hit = this.verified.get(key);
    if (hit) return Promise.resolve(hit);
    const refused = this.throttle.refused(name);
    if (refused) return Promise.resolve(refused);
    let check = this.checking.get(key);
    if (!check) {
      // Asked again once a slot is free: checks that queued behind a name's failures must not run.
      check = this.throttle.slot(() => Promise.resolve(this.throttle.refused(name) ?? this.check(name, secret, key))).finally(() => this.checking.delete(key));
      this.checking.set(key, check);
    }
    return check;
  }

  private async check(name: string, secret: string, key: string): Promise<Principal | undefined> {
    const e = this.byName.get(name.toLowerCase());
    const ok = await verifySecret(secret, e?.secret ?? DECOY);
    if (!ok || !e) {
      this.throttle.failed(name);
      return undefined;
    }
    this.throttle.succeeded(name);
    const p: Principal = { name: e.name, roles: e.roles, groups: e.groups, agents: e.agents };
    remember(this.verified, key, p);
    return p;
  }

  /**
   * The principal for an API request's Authorization header (`credentials()` reads it), or
   * undefined when it carries none. A header that verified before is found by its hash alone:
   * services send the same one on every request, and decoding it and hashing name and secret
   * again were most of the 4% authentication took of pol serve's main thread per decision.
   */
  authenticateHeader(header: string | undefined): Promise<Principal | Refusal | undefined> | undefined {
    if (!header) return undefined;
    const key = sha256(header);
    const hit = this.verifiedHeaders.get(key);
    if (hit) return Promise.resolve(hit);
    const cred = credentials(header);
    if (!cred) return undefined;
    return this.authenticate(cred.name, cred.secret).then((p) => {
      if (p !== undefined && !isRefusal(p)) remember(this.verifiedHeaders, key, p);
      return p;
    });
  }
}

/** Caches a verified principal, dropping the oldest entry past MAX_CACHED. */
function remember(cache: Map<string, Principal>, key: string, p: Principal): void {
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, p);
}

/** Name and secret from an Authorization header: `Basic base64(name:secret)` or `Bearer name:secret`. */
export function credentials(header: string | undefined): { name: string; secret: string } | undefined {
  if (!header) return undefined;
  const sp = header.indexOf(" ");
  if (sp < 0) return undefined;
  const scheme = header.slice(0, sp).toLowerCase();
  let value = header.slice(sp + 1).trim();
  if (scheme === "basic") value = Buffer.from(value, "base64").toString("utf8");
  else if (scheme !== "bearer") return undefined;
  const colon = value.indexOf(":");
  if (colon <= 0) return undefined;
  return { name: value.slice(0, colon), secret: value.slice(colon + 1) };
}
