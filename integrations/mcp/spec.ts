// Shapes of the gateway's options that its public types name, kept apart from the modules that
// load the MCP SDK or Node's http, so `pol/mcp`'s declarations stand alone. Used by gateway.ts,
// upstream.ts and http.ts.

/** The upstream MCP server: a command spawned over stdio, or a Streamable HTTP endpoint. */
export type UpstreamSpec = { command: string; args: string[] } | { url: string };

/** The HTTP header that names the agent of a session (on its `initialize` request), unless `--agent` does. */
export const AGENT_HEADER = "x-pol-agent";
