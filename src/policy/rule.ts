/**
Claude Code permission rules: `Tool` or `Tool(content)`, as written in settings `permissions.allow/deny/ask` and carried
in `permission_updates` as `{toolName, ruleContent?}`.

Syntax decisions:
- The content runs from the first `(` to the final `)`. Claude Code writes nested parentheses escaped (`\(`, `\)`);
  unescaped ones are accepted too if balanced. Only `\(` and `\)` are unescaped here; every other backslash is kept for
  the tool's own syntax (`\*` in Bash rules, `\[` in path globs).
- Refused: empty or blank content (`Bash()`: write `Bash`), text after the closing `)`, unbalanced parentheses, tool
  names outside `[A-Za-z0-9_-]` plus `*`, content on a wildcard tool name or on an `mcp__` rule (Claude Code skips such
  rules), and `WebFetch` content other than `domain:<host pattern>`.

Matching decisions:
- Tool names compare exactly, except: `Edit` rules also cover `Write`, `MultiEdit` and `NotebookEdit`, and `Read` rules
  also cover `Glob`, `Grep` and `LS` (Claude Code applies them to every built-in file editor / reader); `mcp__server`
  and `mcp__server__*` cover every tool of that server; a `*` in a tool name matches any run of characters.
- No content, or content `*`, matches every use of the tool.
- `Bash`: see `shell-command.ts` for the content syntax. By default every simple command of a compound line must match
  (the safe reading for an allow); `compound: 'some'` asks for any one (the safe reading for a deny or ask). A rule
  without wildcards also matches a whole line that equals it exactly.
- Path tools: see `path-pattern.ts`; the target is `input.file_path`, `input.notebook_path` or `input.path`, and for
  `Glob`/`Grep` without a path, `cwd` (the directory they search).
- `WebFetch(domain:…)`: the hostname of `input.url`, with `host-pattern.ts` patterns.
- Any other tool: content must equal `input.command ?? input.pattern ?? input.url`.
*/

import { errors } from '../errors.js';
import { hostMatches, isValidHostPattern } from './host-pattern.js';
import { type MatchContext, pathMatches } from './path-pattern.js';
import { commandMatches, isExactCommandPattern, splitCommand } from './shell-command.js';

export type { MatchContext } from './path-pattern.js';

/** One permission rule, in the `{toolName, ruleContent?}` shape of Claude Code's `PermissionUpdate`. */
export interface PermissionRule {
	toolName: string;
	/** What the rule is restricted to (a command, path pattern, `domain:host`); absent means every use of the tool. */
	ruleContent?: string;
}

/** A tool call's input, as in a `permission_request` (`input`) or `canUseTool(toolName, input)`. */
export type ToolInput = Readonly<Record<string, unknown>>;

/** Options of {@link ruleMatches}. */
export interface RuleMatchOptions {
	/**
	How a compound Bash line (`a && b`, `a | b`, `$(b)`, …) is matched: `every` simple command, `some` simple command,
	or `none`: the command is already one simple command and is matched as is.
	@default 'every'
	*/
	compound?: 'every' | 'some' | 'none';
}

const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);
const READ_TOOLS = new Set(['Read', 'Glob', 'Grep', 'LS']);
const TOOL_NAME = /^[A-Za-z0-9_*-]+$/;
const DOMAIN = 'domain:';

function invalidRule(text: unknown, why: string) {
	return errors.invalidArgument('rule', `a permission rule like \`Bash(npm test:*)\` (${why})`, text);
}

function rawContentIsBalanced(raw: string): boolean {
	let depth = 0;
	for (let i = 0; i < raw.length && depth >= 0; i++) {
		const c = raw.charAt(i);
		if (c === '\\' && (raw.charAt(i + 1) === '(' || raw.charAt(i + 1) === ')')) i++;
		else if (c === '(') depth++;
		else if (c === ')') depth--;
	}
	return depth === 0;
}

function checkContent(text: unknown, toolName: string, content: string): void {
	if (content.trim() === '') throw invalidRule(text, `empty parentheses: write just \`${toolName}\``);
	if (toolName.includes('*')) throw invalidRule(text, 'a wildcard tool name takes no parentheses');
	if (toolName.startsWith('mcp__')) throw invalidRule(text, 'MCP tool rules take no parentheses');
	if (toolName === 'WebFetch' && !(content.startsWith(DOMAIN) && isValidHostPattern(content.slice(DOMAIN.length)))) {
		throw invalidRule(text, 'WebFetch rules take `domain:example.com` or `domain:*.example.com`');
	}
}

/**
Parses `Tool` or `Tool(content)`. Surrounding whitespace is ignored; the content is kept verbatim apart from `\(`/`\)`.

@throws {MailboxError} `INVALID_ARGUMENT` when the text is not a well-formed rule (see the module notes).
@example
```
parseRule('Bash(npm test:*)'); // {toolName: 'Bash', ruleContent: 'npm test:*'}
parseRule('mcp__github'); // {toolName: 'mcp__github'}
```
*/
export function parseRule(text: string): PermissionRule {
	if (typeof text !== 'string') throw invalidRule(text, 'not a string');
	const trimmed = text.trim();
	const open = trimmed.indexOf('(');
	const toolName = open === -1 ? trimmed : trimmed.slice(0, open);
	if (!TOOL_NAME.test(toolName)) throw invalidRule(text, 'the tool name must be letters, digits, `_`, `-` or `*`');
	if (open === -1) return { toolName };
	if (!trimmed.endsWith(')')) throw invalidRule(text, 'nothing may follow the closing parenthesis');
	const raw = trimmed.slice(open + 1, -1);
	if (!rawContentIsBalanced(raw)) throw invalidRule(text, 'unbalanced parentheses: escape them as `\\(` and `\\)`');
	const ruleContent = raw.replace(/\\([()])/g, '$1');
	checkContent(text, toolName, ruleContent);
	return { toolName, ruleContent };
}

/**
Writes a rule back in settings syntax, escaping parentheses in the content, so `parseRule(formatRule(r))` equals `r`
for every rule `parseRule` accepts.
*/
export function formatRule(rule: PermissionRule): string {
	if (rule.ruleContent === undefined) return rule.toolName;
	return `${rule.toolName}(${rule.ruleContent.replace(/[()]/g, '\\$&')})`;
}

/** Whether a rule's tool name covers `toolName` (families, MCP server forms and `*` globs; see the module notes). */
export function toolNameMatches(ruleToolName: string, toolName: string): boolean {
	if (ruleToolName === toolName) return true;
	if (ruleToolName === 'Edit') return EDIT_TOOLS.has(toolName);
	if (ruleToolName === 'Read') return READ_TOOLS.has(toolName);
	if (ruleToolName.includes('*')) {
		const source = ruleToolName.split('*').map((part) => part.replace(/[^A-Za-z0-9_]/g, '\\$&'));
		return new RegExp(`^${source.join('[\\s\\S]*')}$`).test(toolName);
	}
	const server = ruleToolName.startsWith('mcp__') ? ruleToolName.slice('mcp__'.length) : '';
	return server !== '' && !server.includes('__') && toolName.startsWith(`${ruleToolName}__`);
}

function pathTarget(toolName: string, input: ToolInput, ctx: MatchContext): string | undefined {
	for (const key of ['file_path', 'notebook_path', 'path']) {
		const value = input[key];
		if (typeof value === 'string' && value !== '') return value;
	}
	return toolName === 'Glob' || toolName === 'Grep' ? ctx.cwd : undefined;
}

function bashMatches(content: string, command: unknown, compound: RuleMatchOptions['compound']): boolean {
	if (typeof command !== 'string') return false;
	if (compound === 'none') return commandMatches(content, command);
	// A rule without wildcards names one exact line, so it may approve that line as a whole even when compound.
	if (isExactCommandPattern(content) && commandMatches(content, command)) return true;
	const parts = splitCommand(command);
	const matches = (part: string) => commandMatches(content, part);
	return compound === 'some' ? parts.some(matches) : parts.length > 0 && parts.every(matches);
}

function urlHost(url: unknown): string | undefined {
	if (typeof url !== 'string' || !URL.canParse(url)) return undefined;
	return new URL(url).hostname;
}

/**
Whether `rule` applies to a call of `toolName` with `input` (see the module notes for each tool's matching).

@example
```
const ctx = { cwd: '/repo', projectRoot: '/repo', homeDir: '/home/me' };
ruleMatches(parseRule('Bash(npm test:*)'), 'Bash', { command: 'npm test --watch' }, ctx); // true
ruleMatches(parseRule('Bash(npm test:*)'), 'Bash', { command: 'npm test && rm -rf /' }, ctx); // false
```
*/
export function ruleMatches(
	rule: PermissionRule,
	toolName: string,
	input: ToolInput,
	ctx: MatchContext,
	options: RuleMatchOptions = {},
): boolean {
	if (!toolNameMatches(rule.toolName, toolName)) return false;
	const content = rule.ruleContent;
	if (content === undefined || content === '*') return true;
	if (rule.toolName === 'Bash') return bashMatches(content, input.command, options.compound ?? 'every');
	if (EDIT_TOOLS.has(rule.toolName) || READ_TOOLS.has(rule.toolName)) {
		const target = pathTarget(toolName, input, ctx);
		return target !== undefined && pathMatches(content, target, ctx);
	}
	if (rule.toolName === 'WebFetch') {
		const host = urlHost(input.url);
		return content.startsWith(DOMAIN) && host !== undefined && hostMatches(content.slice(DOMAIN.length), host);
	}
	return (input.command ?? input.pattern ?? input.url) === content;
}
