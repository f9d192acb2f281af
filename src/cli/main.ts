#!/usr/bin/env node
/**
The `swarm-mailbox` command. Each command is built by its own module and holds no protocol logic: it parses its
arguments, calls the library, and prints. Adding a command is one import plus one line in `commands`.
*/

import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { approveCommand, denyCommand, pendingCommand } from './answer-commands.js';
import { doctorCommand } from './doctor-command.js';
import { leadCommand } from './lead-command.js';
import { mcpPermissionServerCommand } from './mcp-command.js';
import { inboxCommand, sendCommand } from './message-commands.js';
import { exitCodes, reportError } from './output.js';
import { requestCommand, requestNetworkCommand } from './request-commands.js';
import { schemaCommand } from './schema-command.js';
import { verifyKeyCommand } from './signing-key.js';
import { teamCommand } from './team-commands.js';

const commands: (() => Command)[] = [
	teamCommand,
	sendCommand,
	inboxCommand,
	requestCommand,
	requestNetworkCommand,
	leadCommand,
	pendingCommand,
	approveCommand,
	denyCommand,
	doctorCommand,
	schemaCommand,
	mcpPermissionServerCommand,
	verifyKeyCommand,
];

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Usage errors go out as one line, like every other error; help and version exit 0. */
function configure(command: Command): void {
	command.exitOverride();
	command.configureOutput({
		outputError: (text, write) => write(`swarm-mailbox: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
	});
	for (const sub of command.commands) configure(sub);
}

function buildProgram(): Command {
	const program = new Command('swarm-mailbox')
		.description('Agent-team mailboxes and permission requests, wire-compatible with Claude Code agent teams')
		.version(version)
		.option('--root <dir>', 'teams root (default: $CLAUDE_CONFIG_DIR/teams, else ~/.claude/teams)')
		.option('--json', 'print data as JSON (one value per line for streams)');
	for (const command of commands) program.addCommand(command());
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
		await buildProgram().parseAsync(argv);
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
