/**
What every command shares: the global options (`--root`, `--json`), opening the team, parsing option values, and
a clean stop on SIGINT / SIGTERM for the commands that run until stopped.
*/

import type { Command } from 'commander';
import { errors } from '../errors.js';
import { Team } from '../team/team.js';
import { notOnRoster, useTeamName } from './messages.js';

/** The options given to the program itself, before or after the command name. */
export interface GlobalOptions {
	/** Teams root. @default `$CLAUDE_CONFIG_DIR/teams`, else `~/.claude/teams` */
	root?: string;
	/** Print data as JSON. @default false */
	json?: boolean;
}

/** The global options in force for `command`. */
export function globalOptions(command: Command): GlobalOptions {
	const { root, json } = command.optsWithGlobals<GlobalOptions>();
	return { ...(root === undefined ? {} : { root }), json: json === true };
}

/** Open an existing team under the command's `--root`. */
export function openTeam(command: Command, name: string): Promise<Team> {
	const { root } = globalOptions(command);
	useTeamName(name);
	return Team.open(name, root === undefined ? {} : { root });
}

/** The `--any-name` option of the commands that take member names. */
export function withAnyName(command: Command): Command {
	return command.option('--any-name', 'accept a name that is not on the team roster (default: refuse it, exit 2)');
}

/**
Refuse a name the roster does not know (a typo would otherwise create an inbox nobody reads, or ask as nobody),
unless `--any-name` was given. The library itself takes any safe name, as Claude Code's files do.
@throws {MailboxError} `MEMBER_NOT_FOUND` with the member list.
*/
export async function requireMember(team: Team, option: string, name: string, anyName: boolean | undefined) {
	if (anyName === true) return;
	const members = (await team.members()).map((member) => member.name);
	if (!members.includes(name)) throw notOnRoster(option, name, team.name, members);
}

/**
Parse a JSON object given on the command line.
@throws {MailboxError} `INVALID_ARGUMENT` for anything but a JSON object.
*/
export function parseJsonObject(option: string, text: string): Record<string, unknown> {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		throw errors.invalidArgument(option, 'a JSON object (not parseable JSON)', text);
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw errors.invalidArgument(option, 'a JSON object', text);
	}
	return value as Record<string, unknown>;
}

/**
Parse a duration in ms given on the command line.
@throws {MailboxError} `INVALID_ARGUMENT` unless it is a whole number > 0.
*/
export function parseMs(option: string, text: string): number {
	const value = Number(text);
	if (!/^\d+$/.test(text.trim()) || !(value > 0) || !Number.isSafeInteger(value)) {
		throw errors.invalidArgument(option, 'a whole number of ms > 0', text);
	}
	return value;
}

/**
A signal aborted by the first SIGINT or SIGTERM, so a long-running command can close cleanly. A second signal
while it closes exits at once (130 / 143), as a person pressing Ctrl+C twice expects.
*/
export function stopSignal(): AbortSignal {
	const controller = new AbortController();
	const onSignal = (signal: NodeJS.Signals) => {
		if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
		controller.abort(new Error(`received ${signal}`));
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	return controller.signal;
}
