// How a console form's action answers: for htmx, the refreshed fragment (or, on a refusal, the
// reason in the flash area with the refusal's status); without JavaScript, a redirect back to
// the page with the message, or an error page. Used by every console POST route.

import type { Context } from "hono";
import { actionError } from "../actions.js";
import type { ServeEnv } from "../auth/middleware.js";
import { flash, html, type Html } from "./layout.js";

/** The form fields of a console POST (urlencoded or multipart); values other than text are dropped. */
export async function formOf(c: Context<ServeEnv>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ct = c.req.header("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/.test(ct)) return out;
  const form = await c.req.parseBody();
  for (const [k, v] of Object.entries(form)) if (typeof v === "string") out[k] = v;
  return out;
}

const isHtmx = (c: Context) => c.req.header("hx-request") === "true";

/**
 * Runs `act`; on success answers with `fragment(message)` for htmx or a 303 to `back`; on an
 * ActionError (or any failure) with its status and reason.
 */
export async function act(c: Context<ServeEnv>, back: string, run: () => Promise<string>, fragment: (message: string) => Html | Promise<Html>): Promise<Response> {
  let message: string;
  try {
    message = await run();
  } catch (e) {
    const err = actionError(e);
    if (isHtmx(c)) {
      c.header("HX-Retarget", "#flash");
      c.header("HX-Reswap", "innerHTML");
      return c.html(flash("error", err.message), err.status);
    }
    return c.html(html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Refused · pol</title><link rel="stylesheet" href="/assets/console.css"></head>
<body><main><h1>Refused</h1>${flash("error", err.message)}<p><a href="${back}">Back</a></p></main></body></html>`, err.status);
  }
  if (isHtmx(c)) return c.html(await fragment(message));
  return c.redirect(`${back}${back.includes("?") ? "&" : "?"}ok=${encodeURIComponent(message)}`, 303);
}
