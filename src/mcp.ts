/**
The `swarm-mailbox/mcp` entry point: the MCP permission-prompt server (stdio, or Streamable HTTP on 127.0.0.1). Kept out
of the main entry so that importing the library does not load the MCP SDK.
*/

export { type ServePermissionPromptHttpOptions, servePermissionPromptHttp } from './adapters/mcp-permission-http.js';
export type { PermissionPromptServerOptions, ServePermissionPromptOptions } from './adapters/mcp-permission-server.js';
export {
	createPermissionPromptServer,
	PERMISSION_PROMPT_TOOL,
	servePermissionPrompt,
} from './adapters/mcp-permission-server.js';
