/**
What the CLI says that the library does not: the library's messages name calls and options (`Team.create(name)`,
`timeoutMs`), which a shell user cannot type, so the CLI rewrites them into commands and flags here, in one table.
Also the CLI's own refusals (a name the roster does not know).
*/

import { MailboxError } from '../errors.js';

/** The team the running command works on, once it has named one (for the commands suggested in errors). */
let currentTeam: string | undefined;

/** Remember the team the command works on. */
export function useTeamName(name: string): void {
	currentTeam = name;
}

/** Library phrases and what a shell user types instead (`<team>` becomes the command's team). */
const callsToCommands: [RegExp, string][] = [
	[/`Team\.create\(name\)`/g, '`swarm-mailbox team create <team>`'],
	[/Open it with `Team\.open\(name\)`, or pick/g, 'Use it as it is, or pick'],
	[/`Leader\.listPending\(team\)`/g, '`swarm-mailbox pending <team>`'],
	[/`diagnoseTeam\(team, \{ fix: true \}\)`/g, '`swarm-mailbox doctor <team> --fix`'],
	[/Raise `timeoutMs`/g, 'Raise --timeout'],
	[/Pass `worker` to pick one/g, 'Pass --worker to pick one'],
	[/approve without `always`/g, 'approve without --always'],
];

/** `message` (a library error's) in the CLI's vocabulary. */
export function inCliTerms(message: string): string {
	let text = message;
	for (const [phrase, command] of callsToCommands) text = text.replace(phrase, command);
	return currentTeam === undefined ? text : text.replaceAll('<team>', currentTeam);
}

/** The refusal of a name the team's roster does not know (exit 2). */
export function notOnRoster(option: string, name: string, team: string, members: readonly string[]): MailboxError {
	return new MailboxError(
		'MEMBER_NOT_FOUND',
		`${option} ${JSON.stringify(name)} is not a member of team ${JSON.stringify(team)} ` +
			`(members: ${members.join(', ') || 'none'}). Nothing was sent; check the spelling, ` +
			'or pass --any-name to use a name outside the roster.',
	);
}
