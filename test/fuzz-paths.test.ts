/**
Name sanitisers and validators against an independent implementation of the rules in the 2.1.330 reference, on
arbitrary Unicode (lone surrogates included), plus the on-disk property that every path a Team builds stays in the root.
*/
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMailboxError, Team } from '../src/index.js';
import { PendingStore } from '../src/journal/pending-store.js';
import {
	assertAddressableName,
	assertCreatableMemberName,
	assertCreatableTeamName,
	sanitizePathComponent,
	sanitizeTeamDirName,
} from '../src/team/paths.js';
import { check, fuzzOptions } from './helpers/fuzz.js';
import { codeUnit } from './helpers/inbox-arbitraries.js';
import { tempDir } from './helpers/temp.js';

// Reference rules, read from claude-code-2.1.330-mailbox.md and written per UTF-16 code unit, as a non-Unicode regex replaces.
const isAsciiAlnum = (code: number) =>
	(code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
const mapUnits = (name: string, keep: (code: number) => string | undefined) =>
	Array.from({ length: name.length }, (_, index) => keep(name.charCodeAt(index)) ?? '-').join('');
/** Team config directory: every character outside [a-zA-Z0-9] becomes '-', then lowercase. */
const referenceTeamDir = (name: string) =>
	mapUnits(name, (code) =>
		isAsciiAlnum(code) ? String.fromCharCode(code >= 65 && code <= 90 ? code + 32 : code) : undefined,
	);
/** Inbox path component: every character outside [a-zA-Z0-9_-] becomes '-', case kept. */
const referenceComponent = (name: string) =>
	mapUnits(name, (code) => (isAsciiAlnum(code) || code === 95 || code === 45 ? String.fromCharCode(code) : undefined));
/** Unicode general category Cc: U+0000-U+001F and U+007F-U+009F. Refused in member and team names alike. */
const hasControl = (name: string) =>
	[...name].some((char) => {
		const code = char.codePointAt(0) as number;
		return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
	});
/** Member names a 2.1.330 spawn refuses or renames: control characters, reserved names in any case, agent-id (`@`) and session-id shapes. */
function referenceRefusesMember(name: string): boolean {
	const uuid = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(name);
	return (
		hasControl(name) ||
		// Reserved "in any spelling": as typed (any case), or with look-alike characters folded (I, 1 → l; 0 → o).
		['main', 'team-lead', 'user', 'system'].includes(name.toLowerCase()) ||
		['main', 'team-lead', 'user', 'system'].includes(name.replace(/[I1|]/g, 'l').replace(/0/g, 'o').toLowerCase()) ||
		name.includes('@') ||
		uuid
	);
}

const anyName = fc.oneof(
	fc.string({ unit: codeUnit, maxLength: 20 }),
	fc.string({ unit: 'grapheme', maxLength: 12 }),
	fc.string({ unit: 'binary', maxLength: 12 }),
	fc.constantFrom('.', '..', '../x', '/', '\\', 'a/../../b', '\u0000', 'con', '~', '-', '_', 'a'.repeat(255)),
);
/** Names from the strict member alphabet, with reserved names and ids in random case mixed in. */
const strictName = fc.oneof(
	fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,70}$/),
	fc.mixedCase(fc.constantFrom('main', 'team-lead', 'user', 'system', 'team-1ead', 'team-Iead', 'te4m-lead')),
	fc.uuid().chain((id) => fc.mixedCase(fc.constant(id))),
);

function accepts(assertion: () => void): boolean {
	try {
		assertion();
		return true;
	} catch (error) {
		expect(isMailboxError(error, 'INVALID_NAME')).toBe(true);
		return false;
	}
}

function isSafeComponent(component: string): boolean {
	return component !== '.' && component !== '..' && !/[/\\\0]/.test(component);
}

const isInside = (root: string, file: string) => {
	const relative = path.relative(root, file);
	return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
};

describe('name and path fuzzing', () => {
	it('both sanitisers match the reference, keep the length, and never yield a separator, NUL, "." or ".."', async () => {
		await check(
			fc.property(anyName, (name) => {
				const pairs: [string, string][] = [
					[sanitizeTeamDirName(name), referenceTeamDir(name)],
					[sanitizePathComponent(name), referenceComponent(name)],
				];
				for (const [sanitised, reference] of pairs) {
					expect(sanitised).toBe(reference);
					expect(sanitised.length).toBe(name.length);
					expect(isSafeComponent(sanitised)).toBe(true);
				}
			}),
			fuzzOptions(500),
		);
	});

	it('a member name we create is one a 2.1.330 spawn keeps unchanged, and is its own inbox file name', async () => {
		await check(
			fc.property(fc.oneof(anyName, strictName), fc.anything(), (name, other) => {
				const ours = accepts(() => assertCreatableMemberName(name));
				if (ours) {
					expect(referenceRefusesMember(name)).toBe(false);
					expect(sanitizePathComponent(name)).toBe(name);
					expect(name.length).toBeLessThanOrEqual(64);
				}
				// Within the strict alphabet the two rule sets agree exactly.
				if (/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) expect(ours).toBe(!referenceRefusesMember(name));
				accepts(() => assertCreatableMemberName(other));
				accepts(() => assertAddressableName('inbox', other));
			}),
			fuzzOptions(500),
		);
	});

	it('a team name we create has no control character and sanitises to a non-empty safe directory name', async () => {
		await check(
			fc.property(anyName, (name) => {
				if (!accepts(() => assertCreatableTeamName(name))) return;
				expect(hasControl(name)).toBe(false);
				for (const directory of [sanitizeTeamDirName(name), sanitizePathComponent(name)]) {
					expect(directory).toMatch(/[a-zA-Z0-9]/);
					expect(isSafeComponent(directory)).toBe(true);
				}
			}),
			fuzzOptions(500),
		);
	});

	it('every path a team builds from any addressable names stays in its root, where the reference puts it', async () => {
		const base = tempDir();
		let run = 0;
		const names = fc.array(anyName, { minLength: 1, maxLength: 3 });
		await check(
			fc.asyncProperty(anyName, names, async (teamName, inboxNames) => {
				if (!accepts(() => assertAddressableName('team', teamName))) return;
				const root = path.join(base, String(run++), 'teams');
				// A config where Claude Code would put it: found by name, whatever the name holds.
				const teamDir = path.join(root, referenceTeamDir(teamName));
				mkdirSync(teamDir, { recursive: true });
				const config = { name: teamName, leadAgentId: `team-lead@${teamName}`, members: [] };
				writeFileSync(path.join(teamDir, 'config.json'), JSON.stringify(config));
				const team = await Team.open(teamName, { root, fsync: false });
				expect(team.directory).toBe(teamDir);
				expect(team.inboxDirectory).toBe(path.join(root, referenceComponent(teamName), 'inboxes'));
				for (const name of inboxNames) {
					if (!accepts(() => assertAddressableName('inbox', name))) continue;
					const inbox = team.inbox(name);
					expect(inbox.path).toBe(path.join(team.inboxDirectory, `${referenceComponent(name)}.json`));
					expect(isInside(root, inbox.path)).toBe(true);
					try {
						await inbox.send({ from: 'fuzz', text: name });
						expect(existsSync(inbox.path)).toBe(true);
					} catch (error) {
						// Only a name near the 255-byte file-name limit may fail (its temp and lock names are longer still).
						expect(isMailboxError(error, 'IO') && name.length > 200).toBe(true);
					}
				}
				expect(readdirSync(path.dirname(root))).toEqual(['teams']);
			}),
			fuzzOptions(40),
		);
	});

	it('members created together never share an inbox file, even on a case-insensitive file system', async () => {
		const base = tempDir();
		let run = 0;
		await check(
			fc.asyncProperty(fc.array(fc.oneof(strictName, anyName), { maxLength: 4 }), async (names) => {
				const root = path.join(base, String(run++));
				// Members are checked in order: the first invalid name or repeated (case-insensitive) inbox file fails the call.
				const seen = new Set(['team-lead']);
				let expected: 'INVALID_NAME' | 'MEMBER_EXISTS' | undefined;
				for (const name of names) {
					if (!accepts(() => assertCreatableMemberName(name))) expected ??= 'INVALID_NAME';
					else if (seen.has(name.toLowerCase())) expected ??= 'MEMBER_EXISTS';
					seen.add(name.toLowerCase());
				}
				try {
					const team = await Team.create('fuzz', { root, fsync: false, members: names.map((name) => ({ name })) });
					expect(expected).toBeUndefined();
					const files = (await team.members()).map((member) => path.basename(team.inbox(member.name).path));
					expect(files).toEqual(['team-lead', ...names].map((name) => `${name}.json`));
				} catch (error) {
					expect(expected !== undefined && isMailboxError(error, expected)).toBe(true);
				}
			}),
			fuzzOptions(40),
		);
	});

	it('pending-request file keys are safe file names for any request id', async () => {
		await check(
			fc.property(anyName, anyName, (worker, requestId) => {
				const key = PendingStore.keyFor('permission', worker, requestId);
				expect(isSafeComponent(key)).toBe(true);
				expect(key.length).toBeLessThanOrEqual(97);
			}),
			fuzzOptions(300),
		);
	});
});
