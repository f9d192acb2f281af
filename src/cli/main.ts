#!/usr/bin/env node
/**
The `swarm-mailbox` command. Each command is built by its own module and holds no protocol logic: it parses its
arguments, calls the library, and prints. A command's module is imported only when that command runs (the CLI
starts on every tool call of a runner, so it must not load the MCP SDK or the prompt library for a `request`).
Adding a command is one line in `commands`.
*/

import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { exitCodes, reportError } from './output.js';

/** Each command's name and how to build it, in `--help` order. */
const commands: Record<string, () => Promise<Command>> = {
	team: async () => (await import('./team-commands.js')).teamCommand(),
	send: async () => (await import('./message-commands.js')).sendCommand(),
	inbox: async () => (await import('./message-commands.js')).inboxCommand(),
	request: async () => (await import('./request-commands.js')).requestCommand(),
	'request-network': async () => (await import('./request-commands.js')).requestNetworkCommand(),
	lead: async () => (await import('./lead-command.js')).leadCommand(),
	pending: async () => (await import('./answer-commands.js')).pendingCommand(),
	approve: async () => (await import('./answer-commands.js')).approveCommand(),
	deny: async () => (await import('./answer-commands.js')).denyCommand(),
	doctor: async () => (await import('./doctor-command.js')).doctorCommand(),
	schema: async () => (await import('./schema-command.js')).schemaCommand(),
	'mcp-permission-server': async () => (await import('./mcp-command.js')).mcpPermissionServerCommand(),
	hook: async () => (await import('./hook-command.js')).hookCommand(),
	config: async () => (await import('./config-command.js')).configCommand(),
	'verify-key': async () => (await import('./signing-key.js')).verifyKeyCommand(),
};

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** The program's own options that take a value, so the command name can be found without parsing everything. */
const globalValueOptions = new Set(['--root']);

/**
The command named in `argv` (node, script, …), or `undefined` when there is none or it is unknown: then every
command is loaded, so `--help` lists them all and a typo gets commander's suggestion.
*/
function commandName(args: readonly string[]): string | undefined {
	for (let i = 0; i < args.length; i++) {
		const arg = args[i] ?? '';
		if (arg === '--') return undefined;
		if (globalValueOptions.has(arg)) i++;
		else if (!arg.startsWith('-')) return Object.hasOwn(commands, arg) ? arg : undefined;
	}
	return undefined;
}

/** Usage errors go out as one line, like every other error; help and version exit 0. */
function configure(command: Command): void {
	command.exitOverride();
	command.configureOutput({
		outputError: (text, write) => write(`swarm-mailbox: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
	});
	for (const sub of command.commands) configure(sub);
}

async function buildProgram(args: readonly string[]): Promise<Command> {
	const program = new Command('swarm-mailbox')
		.description('Agent-team mailboxes and permission requests, wire-compatible with Claude Code agent teams')
		.version(version)
		.option('--root <dir>', 'teams root (default: $CLAUDE_CONFIG_DIR/teams, else ~/.claude/teams)')
		.option('--json', 'print data as JSON (one value per line for streams)');
	const name = commandName(args);
	const versionOnly = args.includes('--version') || args.includes('-V');
	const names = name !== undefined ? [name] : versionOnly ? [] : Object.keys(commands);
	for (const command of await Promise.all(names.map((each) => commands[each]?.()))) {
		if (command) program.addCommand(command);
	}
	configure(program);
	return program;
}

async function main(argv: string[]): Promise<void> {
	// A reader that went away (`… | head`) ends the output; it is not an error.
	process.stdout.on('error', (error: NodeJS.ErrnoException) => {
		if (error.code !== 'EPIPE') throw error;
		process.exit(process.exitCode ?? exitCodes.ok);
	});
	try {
		await (await buildProgram(argv.slice(2))).parseAsync(argv);
	} catch (error) {
		if (error instanceof CommanderError) {
			process.exitCode = error.exitCode === 0 ? exitCodes.ok : exitCodes.error;
			return;
		}
		reportError(error);
		process.exitCode = exitCodes.error;
	}
}

await main(process.argv);
