import { homedir } from 'node:os';
import path from 'node:path';
import { errors } from '../errors.js';
import { normalizeSenderName, spellingOf } from './name-fold.js';

/** Claude Code's lead name, used when the roster names no leader. */
export const LEAD_NAME = 'team-lead';

const reservedNames = new Set(['main', 'team-lead', 'user', 'system']);
const controlCharacter = /\p{Cc}/u;
const sessionIdShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const strictMemberName = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** `root` if given, else `$CLAUDE_CONFIG_DIR/teams`, else `~/.claude/teams` (Claude Code's rule). */
export function resolveTeamsRoot(root?: string): string {
	if (root !== undefined) return path.resolve(root);
	const configDir = process.env['CLAUDE_CONFIG_DIR'];
	// As Claude Code: only an unset variable falls back to ~/.claude (an empty one means the current directory).
	return path.resolve(configDir === undefined ? path.join(homedir(), '.claude') : configDir.normalize('NFC'), 'teams');
}

/** Claude Code's sanitiser for the team directory that holds `config.json` (lowercases). */
export function sanitizeTeamDirName(team: string): string {
	return team.replace(/[^a-zA-Z0-9]/g, '-').toLowerCase();
}

/** Claude Code's sanitiser for inbox path components (keeps case and `_`). */
export function sanitizePathComponent(component: string): string {
	return component.replace(/[^a-zA-Z0-9_-]/g, '-');
}

/** An agent id as Claude Code writes it: `<name>@<team>`, with the raw (unsanitised) team name. */
export function formatAgentId(name: string, team: string): string {
	return `${name}@${team}`;
}

/** Loose check for names we only address (they may come from Claude Code); sanitising keeps them in the root. */
/** Longest addressable team or member name. */
export const MAX_NAME_LENGTH = 200;

export function assertAddressableName(kind: string, name: unknown): asserts name is string {
	if (typeof name !== 'string' || name.length === 0)
		throw errors.invalidName(kind, name, 'it must be a non-empty string');
	// The inbox file gets suffixes up to ~45 characters (`.json.lock`, `.json.tmp.<8>`, `.json.corrupt-<time>-<4>`),
	// and a file name has at most 255 bytes.
	if (name.length > MAX_NAME_LENGTH) {
		throw errors.invalidName(
			kind,
			name,
			`it is longer than ${MAX_NAME_LENGTH} characters (its files' names would not fit)`,
		);
	}
	if (controlCharacter.test(name)) throw errors.invalidName(kind, name, 'it contains control characters');
}

/** Strict check for team names we create. */
export function assertCreatableTeamName(name: unknown): asserts name is string {
	assertAddressableName('team', name);
	if (name.length > 64) throw errors.invalidName('team', name, 'it is longer than 64 characters');
	if (name.trim() !== name) throw errors.invalidName('team', name, 'it has leading or trailing whitespace');
	if (!/[A-Za-z0-9]/.test(name)) throw errors.invalidName('team', name, 'it has no letter or digit');
}

/** Strict check for member names we create: the inbox file name is then the name itself. */
export function assertCreatableMemberName(
	name: unknown,
	options: { allowLead?: boolean } = {},
): asserts name is string {
	assertAddressableName('member', name);
	const reserved = reservedSpelling(name);
	if (reserved !== undefined && !(options.allowLead && name.toLowerCase() === LEAD_NAME)) {
		throw errors.invalidName(
			'member',
			name,
			`it spells "${reserved}", a name reserved by Claude Code (main, team-lead, user, system)`,
		);
	}
	const spelled = spellingOf(name);
	if (sessionIdShape.test(spelled)) throw errors.invalidName('member', name, 'it is shaped like a session id');
	if (spelled.includes('@')) throw errors.invalidName('member', name, 'it is shaped like an agent id (name@team)');
	// Judged after the reserved spellings, so a look-alike of a reserved name is named as such.
	if (!strictMemberName.test(name)) throw errors.invalidName('member', name, 'it has characters outside [A-Za-z0-9_-]');
}

/**
The reserved name `name` spells, judged as Claude Code 2.1.330 does "in any spelling": case, Unicode dashes,
surrounding and inner whitespace, invisible characters and look-alike letters (`team-1ead`, Cyrillic `е`) are
folded first. `undefined` when it spells none.
*/
export function reservedSpelling(name: string): string | undefined {
	for (const form of [spellingOf(name), normalizeSenderName(name)]) if (reservedNames.has(form)) return form;
	return undefined;
}
