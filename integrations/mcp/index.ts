// The MCP gateway's public face: `startGateway` (what `pol mcp` runs), the narrow host it needs
// from an Engine, and the tool import (`pol import mcp`). Needs the optional peer
// `@modelcontextprotocol/sdk`; consumed by cli/mcp.ts, cli/import.ts and services embedding the gateway.

export { startGateway, DEFAULT_REQUEST_TIMEOUT_MS, type Gateway, type GatewayOptions } from "./gateway.js";
export type { GatewayHost, GateOptions, Identity, ToolResult } from "./gate.js";
export { AGENT_HEADER, type UpstreamSpec } from "./spec.js";
export { fieldsOf, schemaDiff, toolClassOf, SchemaError, type JsonSchema, type ObjectMode } from "./schema.js";
