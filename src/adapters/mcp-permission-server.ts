/**
An MCP server with one tool, `permission_prompt`, for headless Claude Code (`claude -p --permission-prompt-tool
mcp__<server>__permission_prompt`): the CLI calls it with `{tool_name, input, tool_use_id?}` before each tool use that
needs permission, the tool asks the team lead through a Worker, and answers with the JSON text the CLI expects
(`{"behavior":"allow","updatedInput":…}` or `{"behavior":"deny","message":…}`). A lead that does not answer in time
gets a deny that says so, never a hang past the client's own tool timeout.
*/

import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { errors } from '../errors.js';
import { readFileSync } from '../fs/fs-seam.js';
import { LeadVerifier } from '../protocol/signing.js';
import { Team } from '../team/team.js';
import type { PermissionOutcome } from '../worker/responses.js';
import { Worker } from '../worker/worker.js';
import { askLead } from './ask-lead.js';
import { toPermissionResult } from './permission-result.js';

/** The tool's name; the CLI addresses it as `mcp__<server key in the MCP config>__permission_prompt`. */
export const PERMISSION_PROMPT_TOOL = 'permission_prompt';

/** Options of {@link createPermissionPromptServer}. */
export interface PermissionPromptServerOptions {
	/** The server name reported in the MCP handshake. @default 'swarm-mailbox' */
	name?: string;
	/** How long each prompt waits for the lead, in ms. Keep it under the client's tool timeout. @default the worker's */
	timeoutMs?: number;
	/** The `description` the lead sees for a call. @default '' */
	describe?: (toolName: string, input: Record<string, unknown>) => string;
	/**
	While a prompt waits, send a progress notification this often, in ms, when the client asked for progress (sent a
	`progressToken`): a client that resets its timeout on progress then keeps waiting for a person. @default 15_000
	*/
	progressIntervalMs?: number;
	/** Sees each outcome before it is answered, with its `reason` (e.g. to log timeouts). Must not throw. */
	onOutcome?: (outcome: PermissionOutcome, call: { toolName: string; toolUseId: string }) => void;
}

const promptArguments = {
	tool_name: z.string().min(1).describe('The tool Claude wants to use'),
	input: z.record(z.string(), z.unknown()).describe("The tool's input"),
	tool_use_id: z.string().min(1).optional().describe("The tool call's id"),
};

/**
The MCP server (not connected) whose `permission_prompt` tool asks the lead through `worker`.
@throws {MailboxError} `INVALID_ARGUMENT` for a `timeoutMs` or `progressIntervalMs` that is not > 0.
*/
export function createPermissionPromptServer(worker: Worker, options: PermissionPromptServerOptions = {}): McpServer {
	const { name = 'swarm-mailbox', timeoutMs, describe, progressIntervalMs = 15_000, onOutcome } = options;
	if (timeoutMs !== undefined && !(timeoutMs > 0)) {
		throw errors.invalidArgument('timeoutMs', 'a number of ms > 0 (or Infinity)', timeoutMs);
	}
	if (!(progressIntervalMs > 0)) {
		throw errors.invalidArgument(
			'progressIntervalMs',
			'a number of ms > 0 (Infinity: no progress)',
			progressIntervalMs,
		);
	}
	const server = new McpServer({ name, version: packageVersion() });
	server.registerTool(
		PERMISSION_PROMPT_TOOL,
		{
			title: 'Ask the team lead',
			description:
				`Asks the team lead of ${JSON.stringify(worker.team.name)}, through its mailbox, whether a tool call may run. ` +
				'Answers with the JSON text of a permission decision, for `claude --permission-prompt-tool`.',
			inputSchema: promptArguments,
		},
		async ({ tool_name: toolName, input, tool_use_id }, extra) => {
			// The CLI sends an id; without one the answer is still bound to this call by a fresh id.
			const toolUseId = tool_use_id ?? `toolu_swarm_${randomUUID()}`;
			const description = describe?.(toolName, input) ?? '';
			const stopProgress = reportProgress(extra, progressIntervalMs);
			try {
				const wait = { signal: extra.signal, ...(timeoutMs === undefined ? {} : { timeoutMs }) };
				const outcome = await askLead(worker, { toolName, toolUseId, input, description }, wait);
				onOutcome?.(outcome, { toolName, toolUseId });
				return { content: [{ type: 'text' as const, text: JSON.stringify(toPermissionResult(outcome)) }] };
			} finally {
				stopProgress();
			}
		},
	);
	return server;
}

/** Progress notifications every `everyMs` while a prompt waits, when the request carries a progress token. */
function reportProgress(extra: RequestHandlerExtra<ServerRequest, ServerNotification>, everyMs: number): () => void {
	const token = extra._meta?.progressToken;
	if (token === undefined || !Number.isFinite(everyMs)) return () => {};
	let progress = 0;
	const timer = setInterval(() => {
		progress += 1;
		const params = { progressToken: token, progress, message: 'Waiting for the team lead' };
		// A lost notification only costs the client its timeout extension; the answer still comes.
		extra.sendNotification({ method: 'notifications/progress', params }).catch(() => {});
	}, everyMs);
	return () => clearInterval(timer);
}

/** Options of {@link servePermissionPrompt}, as the `mcp-permission-server` command passes them. */
export interface ServePermissionPromptOptions {
	/** The team name (`--team`). */
	team: string;
	/** The worker this server asks for (`--as`): the `from` of its requests and the inbox its answers arrive in. */
	as: string;
	/** @default `$CLAUDE_CONFIG_DIR/teams`, else `~/.claude/teams` */
	root?: string;
	/** How long each prompt waits for the lead, in ms (`--timeout`). @default 120_000 */
	timeoutMs?: number;
	/** The lead's verify key (`--lead-verify-key`): answers that do not verify against it are denials. */
	leadVerifyKey?: string;
	/** Closes the server (then the promise resolves). */
	signal?: AbortSignal;
}

/**
Serve `permission_prompt` on this process's stdin/stdout until the client closes stdin (or `signal` aborts), then
close the worker and resolve. Nothing else may write to stdout meanwhile.
@throws {MailboxError} before serving: `TEAM_NOT_FOUND`, `INVALID_KEY`, `INVALID_NAME`, `INVALID_ARGUMENT`, …
*/
export async function servePermissionPrompt(options: ServePermissionPromptOptions): Promise<void> {
	const { signal, leadVerifyKey, timeoutMs } = options;
	const verifier = leadVerifyKey === undefined ? undefined : new LeadVerifier(leadVerifyKey);
	const team = await Team.open(options.team, options.root === undefined ? {} : { root: options.root });
	const worker = new Worker(team, {
		name: options.as,
		...(verifier ? { verifier } : {}),
		...(timeoutMs === undefined ? {} : { timeoutMs }),
	});
	const stdin = process.stdin;
	const close = () => void server.close();
	const server = createPermissionPromptServer(worker);
	try {
		await worker.ready();
		if (signal?.aborted) return;
		const closed = new Promise<void>((resolve) => {
			server.server.onclose = resolve;
		});
		// The stdio transport does not notice the client going away; a closed stdin means it has.
		stdin.once('end', close);
		signal?.addEventListener('abort', close, { once: true });
		await server.connect(new StdioServerTransport(stdin, process.stdout));
		if (signal?.aborted) close();
		await closed;
	} finally {
		stdin.off('end', close);
		signal?.removeEventListener('abort', close);
		await worker.close();
	}
}

let version: string | undefined;

/** This package's version for the MCP handshake (`package.json` is two levels up from both `src/` and `dist/`). */
function packageVersion(): string {
	if (version === undefined) {
		try {
			const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
			version = typeof manifest.version === 'string' ? manifest.version : '0.0.0';
		} catch {
			version = '0.0.0';
		}
	}
	return version as string;
}
