/**
`mcp-permission-server --team <team> --as <worker>`: an MCP server whose `permission_prompt` tool forwards each
permission check to the team lead (for `claude -p --permission-prompt-tool`). Over stdio by default; with `--http`,
over MCP's Streamable HTTP transport on 127.0.0.1, token-protected, for clients that connect by URL. The MCP SDK is
loaded only here.
*/

import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { errors } from '../errors.js';
import { globalOptions, parseMs, stopSignal } from './context.js';
import { writeJson } from './output.js';

/** Where `--http` takes its token from, unless `--token-file` is given. */
export const MCP_TOKEN_ENV = 'SWARM_MAILBOX_MCP_TOKEN';

interface McpFlags {
	team: string;
	as: string;
	timeout?: string;
	leadVerifyKey?: string;
	http?: boolean;
	port?: string;
	tokenFile?: string;
}

/** The token given by `--token-file` or the environment; `undefined` means a fresh one is made (and printed). */
async function givenToken(flags: McpFlags): Promise<string | undefined> {
	if (flags.tokenFile !== undefined) {
		const text = await readFile(flags.tokenFile, 'utf8').catch((error: Error) => {
			throw errors.invalidArgument('--token-file', `a readable file (${error.message})`, flags.tokenFile);
		});
		return text.trim();
	}
	const fromEnv = process.env[MCP_TOKEN_ENV];
	return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function parsePort(text: string): number {
	const port = Number(text);
	if (!/^\d+$/.test(text.trim()) || port > 65_535)
		throw errors.invalidArgument('--port', 'a port number (0-65535)', text);
	return port;
}

async function runServer(flags: McpFlags, self: Command): Promise<void> {
	const { root } = globalOptions(self);
	const common = {
		team: flags.team,
		as: flags.as,
		...(root === undefined ? {} : { root }),
		...(flags.timeout === undefined ? {} : { timeoutMs: parseMs('--timeout', flags.timeout) }),
		...(flags.leadVerifyKey === undefined ? {} : { leadVerifyKey: flags.leadVerifyKey }),
	};
	if (!flags.http) {
		if (flags.port !== undefined || flags.tokenFile !== undefined) {
			throw errors.invalidArgument('--port / --token-file', 'given with --http only', flags.port ?? flags.tokenFile);
		}
		const { servePermissionPrompt } = await import('../adapters/mcp-permission-server.js');
		return servePermissionPrompt({ ...common, signal: stopSignal() });
	}
	const port = flags.port === undefined ? 0 : parsePort(flags.port);
	const token = await givenToken(flags);
	const { servePermissionPromptHttp } = await import('../adapters/mcp-permission-http.js');
	await servePermissionPromptHttp({
		...common,
		port,
		...(token === undefined ? {} : { token }),
		signal: stopSignal(),
		onListening: (info) => {
			// A token the user gave is not echoed; the config then reads it from the environment (Claude Code expands ${VAR}).
			const authorization = `Bearer ${token === undefined ? info.token : `\${${MCP_TOKEN_ENV}}`}`;
			const server = { type: 'http', url: info.url, headers: { Authorization: authorization } };
			writeJson({
				event: 'listening',
				url: info.url,
				...(token === undefined ? { token: info.token } : {}),
				mcpConfig: { mcpServers: { 'swarm-mailbox': server } },
			});
		},
	});
}

export function mcpPermissionServerCommand(): Command {
	return new Command('mcp-permission-server')
		.description('serve the permission_prompt MCP tool (stdio, or Streamable HTTP with --http), asking the team lead')
		.requiredOption('--team <team>', 'team name')
		.requiredOption('--as <worker>', 'the teammate this server asks for')
		.option('--timeout <ms>', 'how long each prompt waits for the lead before it is denied')
		.option('--lead-verify-key <key>', "accept only answers signed by the lead's key (<ms>.<base64url SPKI>)")
		.option('--http', 'serve over Streamable HTTP on 127.0.0.1 (prints the URL, token and MCP config as a JSON line)')
		.option('--port <n>', 'the HTTP port (default: a free one)')
		.option(
			'--token-file <file>',
			`read the bearer token from this file (default: $${MCP_TOKEN_ENV}, else a fresh one)`,
		)
		.action(runServer);
}
