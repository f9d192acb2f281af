/**
`config hooks|mcp --team T --as W`: print, as JSON on stdout, the Claude Code configuration that makes a session ask
this team's lead as worker W: the `hooks` block of `settings.json` (both permission events, or one with `--event`), or
an MCP config for `claude --mcp-config … --permission-prompt-tool mcp__<name>__permission_prompt`. Every path in it is
absolute and resolved now (this Node binary, this package's CLI, the teams root, the policy file), so it works from
any directory and without the package on a registry or on the PATH.
*/

import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { assertAddressableName } from '../team/paths.js';
import { openTeam, parseMs } from './context.js';

/** The worker's wait when `--timeout` is not given (the `hook` and `mcp-permission-server` default). */
const DEFAULT_TIMEOUT_MS = 120_000;
/** Added to the worker's wait for Claude Code's hook timeout, so the hook always answers before it is killed. */
const HOOK_TIMEOUT_MARGIN_S = 30;

/**
The command line that runs this package's CLI: this Node binary and the CLI's real path. Run from source, the CLI is
a `.ts` file and tsx's loader (resolved to its absolute URL) comes along.
*/
export function cliInvocation(): string[] {
	const self = fileURLToPath(import.meta.url);
	const main = realpathSync(path.join(path.dirname(self), `main${path.extname(self)}`));
	const loader = main.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
	return [process.execPath, ...loader, main];
}

/** `word` as one POSIX shell word (Claude Code runs a command hook through the shell). */
export function shellQuote(word: string): string {
	return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Pretty-printed: it is read and pasted by people. */
function printConfig(value: unknown): void {
	process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

interface ConfigFlags {
	team: string;
	as: string;
	timeout?: string;
	leadVerifyKey?: string;
}

interface HookConfigFlags extends ConfigFlags {
	event: 'PermissionRequest' | 'PreToolUse' | 'both';
	policy?: string;
	onTimeout?: 'deny' | 'ask';
}

interface McpConfigFlags extends ConfigFlags {
	name: string;
}

/** The checked pieces every config needs: the team's root (it must exist), the worker, the wait. */
async function resolveCommon(flags: ConfigFlags, self: Command) {
	assertAddressableName('worker', flags.as);
	const timeoutMs = flags.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseMs('--timeout', flags.timeout);
	const team = await openTeam(self, flags.team);
	const worker = ['--team', flags.team, '--as', flags.as, '--timeout', String(timeoutMs)];
	const key = flags.leadVerifyKey === undefined ? [] : ['--lead-verify-key', flags.leadVerifyKey];
	return { timeoutMs, root: team.root, workerArgs: [...worker, ...key] };
}

async function printHooks(flags: HookConfigFlags, self: Command): Promise<void> {
	const { timeoutMs, root, workerArgs } = await resolveCommon(flags, self);
	const policy = flags.policy === undefined ? [] : ['--policy', realpathSync(path.resolve(flags.policy))];
	const onTimeout = flags.onTimeout === undefined ? [] : ['--on-timeout', flags.onTimeout];
	const args = [...cliInvocation(), '--root', root, 'hook', ...workerArgs, ...onTimeout, ...policy];
	const handler = {
		type: 'command',
		command: args.map(shellQuote).join(' '),
		timeout: Math.ceil(timeoutMs / 1000) + HOOK_TIMEOUT_MARGIN_S,
	};
	const events = flags.event === 'both' ? ['PermissionRequest', 'PreToolUse'] : [flags.event];
	printConfig({ hooks: Object.fromEntries(events.map((event) => [event, [{ matcher: '*', hooks: [handler] }]])) });
}

async function printMcp(flags: McpConfigFlags, self: Command): Promise<void> {
	const { root, workerArgs } = await resolveCommon(flags, self);
	const [command, ...cli] = cliInvocation() as [string, ...string[]];
	const args = [...cli, '--root', root, 'mcp-permission-server', ...workerArgs];
	printConfig({ mcpServers: { [flags.name]: { type: 'stdio', command, args } } });
	const tool = `mcp__${flags.name}__permission_prompt`;
	if (process.stderr.isTTY)
		process.stderr.write(`Use it with: claude --mcp-config <file> --permission-prompt-tool ${tool}\n`);
}

function withWorker(command: Command): Command {
	return command
		.requiredOption('--team <team>', 'team name (the team must exist)')
		.requiredOption('--as <worker>', 'the worker name the lead sees')
		.option('--timeout <ms>', `how long each call waits for the lead (default ${DEFAULT_TIMEOUT_MS})`)
		.option('--lead-verify-key <key>', "accept only answers signed with this key (the lead's --signing-key)");
}

export function configCommand(): Command {
	const command = new Command('config').description(
		'print the Claude Code configuration that asks this team lead: settings.json hooks, or an MCP config',
	);
	withWorker(command.command('hooks'))
		.description(
			'print the settings.json `hooks` block (PermissionRequest and PreToolUse) running `swarm-mailbox hook`',
		)
		.addOption(
			new Option('--event <event>', 'which hook event(s)')
				.choices(['PermissionRequest', 'PreToolUse', 'both'])
				.default('both'),
		)
		.option('--policy <file>', 'let the hook decide locally first with this policy file')
		.addOption(new Option('--on-timeout <what>', 'when the lead does not answer in time').choices(['deny', 'ask']))
		.action(printHooks);
	withWorker(command.command('mcp'))
		.description('print an MCP config (for `claude --mcp-config`) that runs the stdio permission-prompt server')
		.option('--name <server>', 'the server key: the tool is mcp__<server>__permission_prompt', 'swarm-mailbox')
		.action(printMcp);
	return command;
}
