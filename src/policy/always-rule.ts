/**
"Always allow" rules derived from one request, exactly: nothing is generalised (no `Bash(npm:*)` guessed from
`npm test`), so persisting a person's "always" never grants more than the call they saw.
*/

import path from 'node:path';
import { errors } from '../errors.js';
import { normalizeHost } from './host-pattern.js';
import { formatRule, type MatchContext, parseRule, type ToolInput } from './rule.js';

/** What "always allow" is derived from: a tool call, or a sandbox host. */
export type AlwaysAllowSubject = { toolName: string; input: ToolInput } | { host: string };

const PATH_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit', 'Read', 'Glob', 'Grep', 'LS']);

function validated(text: string): string {
	try {
		return formatRule(parseRule(text));
	} catch {
		throw errors.noAlwaysRule(text);
	}
}

/**
The exact rule "always allow" adds for a request; nothing is generalised: `Bash(<the whole command>)` with wildcards
escaped, `Edit(//<absolute path>)` for file tools, `WebFetch(domain:<host>)` for a URL or a sandbox host, the tool name
alone for MCP tools and tools without a command, pattern or URL.
@throws {MailboxError} `INVALID_ARGUMENT` when the request names nothing a rule could pin down (an empty command).
*/
export function alwaysAllowRuleFor(subject: AlwaysAllowSubject, ctx: Partial<MatchContext> = {}): string {
	if ('host' in subject) {
		const host = normalizeHost(subject.host);
		if (host === undefined) throw errors.noAlwaysRule(`host ${JSON.stringify(subject.host)}`);
		return validated(`WebFetch(domain:${host})`);
	}
	const { toolName, input } = subject;
	if (toolName.startsWith('mcp__')) return validated(toolName);
	if (toolName === 'Bash') {
		const command = typeof input.command === 'string' ? input.command.trim() : '';
		if (command === '') throw errors.noAlwaysRule('a Bash call without a command');
		return validated(formatRule({ toolName, ruleContent: command.replace(/[\\*]/g, '\\$&') }));
	}
	if (PATH_TOOLS.has(toolName)) {
		const target = ['file_path', 'notebook_path', 'path'].map((key) => input[key]).find((v) => typeof v === 'string');
		const directory = ctx.cwd ?? process.cwd();
		const absolute = typeof target === 'string' && target !== '' ? path.posix.resolve(directory, target) : undefined;
		const scoped = absolute ?? (toolName === 'Glob' || toolName === 'Grep' ? directory : undefined);
		if (scoped === undefined) throw errors.noAlwaysRule(`a ${toolName} call without a path`);
		return validated(formatRule({ toolName, ruleContent: `/${scoped.replace(/[*?[\]\\]/g, '\\$&')}` }));
	}
	if (toolName === 'WebFetch') {
		const url = typeof input.url === 'string' && URL.canParse(input.url) ? new URL(input.url) : undefined;
		const host = url && normalizeHost(url.hostname);
		if (!host) throw errors.noAlwaysRule('a WebFetch call without a URL');
		return validated(`WebFetch(domain:${host})`);
	}
	const value = input.command ?? input.pattern ?? input.url;
	if (typeof value === 'string' && value.trim() !== '') return validated(formatRule({ toolName, ruleContent: value }));
	return validated(toolName);
}
