/**
"Always allow" rules derived from one request, in the scope the person chose: `exact` (this call, nothing
generalised), `prefix` (the command prefix Claude Code's own dialog offers, e.g. `Bash(npm test:*)`; the directory
of a file; the MCP server) or `tool` (every use of the tool). The rule also goes back to the worker as a session
`addRules` update, so a Claude Code teammate allows the same call itself next time instead of asking again.
*/

import path from 'node:path';
import { errors } from '../errors.js';
import type { PermissionUpdate } from '../protocol/permissions.js';
import { normalizeHost } from './host-pattern.js';
import { formatRule, type MatchContext, parseRule, type ToolInput } from './rule.js';
import { splitCommand } from './shell-command.js';

/** What "always allow" is derived from: a tool call, or a sandbox host. */
export type AlwaysAllowSubject = { toolName: string; input: ToolInput } | { host: string };

/**
How far "always allow" reaches: `exact` this call; `prefix` the command prefix (`Bash(npm test:*)`), the file's
directory (`Edit(//repo/src/**)`) or the MCP server (`mcp__github`); `tool` every use of the tool. `true` is `exact`.
*/
export type AlwaysScope = 'exact' | 'prefix' | 'tool';

/** The scopes, for option parsing. */
export const alwaysScopes: readonly AlwaysScope[] = ['exact', 'prefix', 'tool'];

/**
The scope an `always` value asks for, or `undefined` for none.
@throws {MailboxError} `INVALID_ARGUMENT` for anything but `true`, `false`, `undefined` or a scope name.
*/
export function alwaysScopeOf(always: unknown): AlwaysScope | undefined {
	if (always === undefined || always === false) return undefined;
	if (always === true) return 'exact';
	if (typeof always === 'string' && (alwaysScopes as readonly string[]).includes(always)) return always as AlwaysScope;
	throw errors.invalidArgument('always', 'true, "exact", "prefix" or "tool"', always);
}

/**
The session update that lets a Claude Code worker apply an "always" rule itself, or `undefined` when none says the
same to it. Our exact Bash rules escape `\\` and `*` for our matcher; Claude Code compares an exact command as
written, so the update carries the command unescaped, and a command with a `*` (which Claude Code could read as a
wildcard, a wider rule than the person chose) gets no update: that worker asks again.
*/
export function alwaysAllowUpdate(rule: string): PermissionUpdate | undefined {
	const { toolName, ruleContent } = parseRule(rule);
	let content = ruleContent;
	if (toolName === 'Bash' && content !== undefined && !content.endsWith(':*')) {
		if (content.includes('\\*')) return undefined;
		content = content.replace(/\\(.)/g, '$1');
	}
	const value = content === undefined ? { toolName } : { toolName, ruleContent: content };
	return { type: 'addRules', rules: [value], behavior: 'allow', destination: 'session' };
}

// A first word that is plain (a program name, no quoting, expansion or assignment) and a second word that is a
// subcommand (`npm test`, `git push`), not an option or an argument such as a path.
const PLAIN_WORD = /^[A-Za-z0-9_][\w.+-]*$/;
const SUBCOMMAND = /^[a-z][a-z0-9-]*$/;

/**
The prefix rule Claude Code's dialog offers for a Bash command: its program and subcommand (`npm test` →
`Bash(npm test:*)`), or its program alone when the second word is an option or argument (`ls -la` → `Bash(ls:*)`).
A compound command, or one whose first word is not a plain program name, has no single prefix.
*/
function bashPrefixRule(command: string): string {
	const parts = splitCommand(command);
	if (parts.length !== 1 || parts[0] !== command)
		throw errors.noAlwaysRule(`the compound command ${JSON.stringify(command)} as a prefix`);
	const [program = '', second] = command.split(/\s+/);
	if (!PLAIN_WORD.test(program)) throw errors.noAlwaysRule(`the command ${JSON.stringify(command)} as a prefix`);
	const prefix = second !== undefined && SUBCOMMAND.test(second) ? `${program} ${second}` : program;
	return validated(formatRule({ toolName: 'Bash', ruleContent: `${prefix}:*` }));
}

const PATH_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit', 'Read', 'Glob', 'Grep', 'LS']);

function validated(text: string): string {
	try {
		return formatRule(parseRule(text));
	} catch {
		throw errors.noAlwaysRule(text);
	}
}

/**
The rule "always allow" adds for a request, in `scope` (default `exact`).
- `exact`: `Bash(<the whole command>)` with wildcards escaped, `Edit(//<absolute path>)` for file tools,
  `WebFetch(domain:<host>)` for a URL or a sandbox host, the tool name alone for MCP tools and tools without a command,
  pattern or URL.
- `prefix`: `Bash(<program> [<subcommand>]:*)`, `Edit(//<directory>/**)`, `mcp__<server>`; the exact rule for tools
  without a notion of prefix (WebFetch's is already its domain).
- `tool`: the tool name alone.
A sandbox host takes `exact` only.
@throws {MailboxError} `INVALID_ARGUMENT` when the request names nothing a rule could pin down (an empty command, a
compound command as a prefix, a host with another scope).
*/
export function alwaysAllowRuleFor(
	subject: AlwaysAllowSubject,
	ctx: Partial<MatchContext> = {},
	scope: AlwaysScope = 'exact',
): string {
	if ('host' in subject) {
		const host = normalizeHost(subject.host);
		if (host === undefined) throw errors.noAlwaysRule(`host ${JSON.stringify(subject.host)}`);
		if (scope !== 'exact') throw errors.noAlwaysRule(`network access with scope "${scope}" (hosts take "exact")`);
		return validated(`WebFetch(domain:${host})`);
	}
	const { toolName, input } = subject;
	if (scope === 'tool') return validated(toolName);
	if (toolName.startsWith('mcp__')) {
		const server = /^mcp__[^_](?:[^_]|_(?!_))*/.exec(toolName)?.[0];
		return validated(scope === 'prefix' && server !== undefined ? server : toolName);
	}
	if (toolName === 'Bash') {
		const command = typeof input.command === 'string' ? input.command.trim() : '';
		if (command === '') throw errors.noAlwaysRule('a Bash call without a command');
		if (scope === 'prefix') return bashPrefixRule(command);
		return validated(formatRule({ toolName, ruleContent: command.replace(/[\\*]/g, '\\$&') }));
	}
	if (PATH_TOOLS.has(toolName)) {
		const target = ['file_path', 'notebook_path', 'path'].map((key) => input[key]).find((v) => typeof v === 'string');
		const directory = ctx.cwd ?? process.cwd();
		const absolute = typeof target === 'string' && target !== '' ? path.posix.resolve(directory, target) : undefined;
		const scoped = absolute ?? (toolName === 'Glob' || toolName === 'Grep' ? directory : undefined);
		if (scoped === undefined) throw errors.noAlwaysRule(`a ${toolName} call without a path`);
		const escaped = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');
		// A prefix of a file is its directory; Glob and Grep without a path already name a directory.
		const content =
			scope === 'prefix'
				? `/${escaped(absolute === undefined ? scoped : path.posix.dirname(scoped)).replace(/\/$/, '')}/**`
				: `/${escaped(scoped)}`;
		return validated(formatRule({ toolName, ruleContent: content }));
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
