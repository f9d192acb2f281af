/**
The `swarm-mailbox/mcp` entry point: the MCP permission-prompt server (stdio, or Streamable HTTP on 127.0.0.1). Kept out of the main entry, and the MCP
SDK is an optional peer dependency: importing this entry without it installed fails with a `MailboxError`
(`MISSING_DEPENDENCY`) that says how to add it, instead of Node's bare module-not-found.
*/

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ServePermissionPromptHttpOptions } from './adapters/mcp-permission-http.js';
import type { PermissionPromptServerOptions, ServePermissionPromptOptions } from './adapters/mcp-permission-server.js';
import { errors } from './errors.js';
import type { Worker } from './worker/worker.js';

export type { ServePermissionPromptHttpOptions } from './adapters/mcp-permission-http.js';
export type { PermissionPromptServerOptions, ServePermissionPromptOptions };

const sdk = '@modelcontextprotocol/sdk';

async function loadServer() {
	try {
		const [stdio, http] = await Promise.all([
			import('./adapters/mcp-permission-server.js'),
			import('./adapters/mcp-permission-http.js'),
		]);
		return { ...stdio, ...http };
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${sdk}`)) {
			throw errors.missingDependency(sdk, 'the MCP permission-prompt server', error);
		}
		throw error;
	}
}

const server = await loadServer();

/** The tool's name; the CLI addresses it as `mcp__<server key in the MCP config>__permission_prompt`. */
export const PERMISSION_PROMPT_TOOL = server.PERMISSION_PROMPT_TOOL;
/**
An MCP server with the `permission_prompt` tool, asking the team lead through `worker`, for a transport of your own.
*/
export function createPermissionPromptServer(worker: Worker, options?: PermissionPromptServerOptions): McpServer {
	return server.createPermissionPromptServer(worker, options);
}

/**
Serve `permission_prompt` on this process's stdin/stdout until the client closes stdin (or `signal` aborts), then
close the worker and resolve. Nothing else may write to stdout meanwhile.
@throws {MailboxError} before serving: `TEAM_NOT_FOUND`, `INVALID_KEY`, `INVALID_NAME`, `INVALID_ARGUMENT`, …
*/
export function servePermissionPrompt(options: ServePermissionPromptOptions): Promise<void> {
	return server.servePermissionPrompt(options);
}

/** {@link servePermissionPrompt} over MCP's Streamable HTTP transport on 127.0.0.1, protected by a bearer token. */
export function servePermissionPromptHttp(options: ServePermissionPromptHttpOptions): Promise<void> {
	return server.servePermissionPromptHttp(options);
}
