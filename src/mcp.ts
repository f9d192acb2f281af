/**
The `swarm-mailbox/mcp` entry point: the stdio MCP permission-prompt server. Kept out of the main entry, and the MCP
SDK is an optional peer dependency: importing this entry without it installed fails with a `MailboxError`
(`MISSING_DEPENDENCY`) that says how to add it, instead of Node's bare module-not-found.
*/

import { errors } from './errors.js';

export type { PermissionPromptServerOptions, ServePermissionPromptOptions } from './adapters/mcp-permission-server.js';

const sdk = '@modelcontextprotocol/sdk';

async function loadServer(): Promise<typeof import('./adapters/mcp-permission-server.js')> {
	try {
		return await import('./adapters/mcp-permission-server.js');
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
/** {@inheritDoc createPermissionPromptServer} */
export const createPermissionPromptServer = server.createPermissionPromptServer;
/** {@inheritDoc servePermissionPrompt} */
export const servePermissionPrompt = server.servePermissionPrompt;
