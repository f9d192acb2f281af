/**
The `swarm-mailbox/mcp` entry point: the stdio MCP permission-prompt server. Kept out of the main entry so that
importing the library does not load the MCP SDK.
*/

export type { PermissionPromptServerOptions, ServePermissionPromptOptions } from './adapters/mcp-permission-server.js';
export {
	createPermissionPromptServer,
	PERMISSION_PROMPT_TOOL,
	servePermissionPrompt,
} from './adapters/mcp-permission-server.js';
