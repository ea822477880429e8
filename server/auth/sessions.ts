// Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, mapped in memory to the
// person and a CSRF token (the synchronizer-token pattern: every state-changing console request
// carries the token in a header or form field, and it must equal the session's). Sessions end
// after `idleMs` without a request or `maxMs` in all, and on sign-out; a restart ends them all.
// Fed by the sign-in route; read by the console middleware (middleware.ts).

import { randomId, sameText } from "./secret.js";

export const SESSION_COOKIE = "pol_session";
/** The sign-in form's own CSRF token (double submit: cookie and hidden field must match). */
export const LOGIN_COOKIE = "pol_login";
export const CSRF_HEADER = "x-csrf-token";
export const CSRF_FIELD = "_csrf";

export interface Session {
  id: string;
  user: string;
  csrf: string;
  createdAt: number;
  seenAt: number;
}

export interface SessionOptions {
  /** Default 8 hours. */
  idleMs?: number;
  /** Default 24 hours. */
  maxMs?: number;
  /** Most sessions kept; the oldest is dropped past it. Default 10,000. */
  max?: number;
  /** Most sessions one user holds; their own oldest is dropped past it, so nobody's sign-ins can push out other people's. Default 32. */
  perUser?: number;
  now?: () => number;
}

export class Sessions {
  private readonly map = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxMs: number;
  private readonly max: number;
  private readonly perUser: number;
  private readonly now: () => number;

  constructor(o: SessionOptions = {}) {
    this.idleMs = o.idleMs ?? 8 * 3600_000;
    this.maxMs = o.maxMs ?? 24 * 3600_000;
    this.max = o.max ?? 10_000;
    this.perUser = o.perUser ?? 32;
    this.now = o.now ?? Date.now;
  }

  create(user: string): Session {
    const t = this.now();
    const s: Session = { id: randomId(), user, csrf: randomId(), createdAt: t, seenAt: t };
    // The map is in creation order: the user's first one found is their oldest.
    const own = [...this.map.values()].filter((x) => x.user === user);
    if (own.length >= this.perUser) this.map.delete(own[0]!.id);
    else if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(s.id, s);
    return s;
  }

  /** The live session with this id (touching it), or undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.map.get(id);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.seenAt > this.idleMs || t - s.createdAt > this.maxMs) {
      this.map.delete(id);
      return undefined;
    }
    s.seenAt = t;
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.map.delete(id);
  }

  /** Whether `token` is this session's CSRF token (constant time). */
  static csrfOk(s: Session, token: string | undefined): boolean {
    return typeof token === "string" && sameText(token, s.csrf);
  }
}
