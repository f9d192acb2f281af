import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type QuarantineEvent, Team } from '../src/index.js';
import { entryKey } from '../src/protocol.js';
import { expected, teamOf } from './helpers/fixture-expectations.js';
import { fixtureRoot } from './helpers/temp.js';

describe('fixtures from both Claude Code versions', () => {
	it.each(Object.entries(expected))('%s reads as expected', async (key, expectation) => {
		const [fixture] = key.split('/') as [string];
		const team = await Team.open(teamOf[fixture] as string, { root: fixtureRoot(fixture), maxEntryBytes: 4 << 20 });
		const inbox = team.inbox(path.basename(key, '.json'));
		expect(inbox.path.endsWith(key.slice(fixture.length + 1))).toBe(true);
		const quarantined: QuarantineEvent[] = [];
		inbox.on('quarantine', (event) => quarantined.push(event));
		const original = readFileSync(inbox.path);
		const snapshot = await inbox.inspect();
		expect(quarantined.length).toBe(expectation.corrupt ? 1 : 0);
		if (expectation.corrupt) {
			expect(snapshot.entries.length).toBe(expectation.recoverable);
			expect(readFileSync(quarantined[0]!.quarantinePath).equals(original)).toBe(true);
		} else {
			expect(snapshot.entries.length).toBe(expectation.validEntries);
			expect(snapshot.invalid.length).toBe(expectation.invalidEntries);
			expect(readFileSync(inbox.path).equals(original)).toBe(true); // reading never rewrites a sound file
		}
		// Our writes round-trip: everything that was readable is still there, plus the new entry.
		const id = await inbox.send({ from: 'probe', text: 'round trip' });
		const after = await inbox.inspect();
		// Compared by identity key: vitest's deep equality recurses too far for the 5000-level fixture.
		expect(after.entries.slice(0, -1).map(entryKey)).toEqual(snapshot.entries.map(entryKey));
		expect(after.entries.at(-1)?.msg_id).toBe(id);
		expect(after.invalid.map((item) => item.value)).toEqual(snapshot.invalid.map((item) => item.value));
		expect(Object.prototype).not.toHaveProperty('polluted');
	});

	it('finds config and inboxes in their differently sanitised directories', async () => {
		const root = fixtureRoot('mixed-case');
		const team = await Team.open('My Team_1', { root });
		expect(path.relative(root, team.configPath)).toBe('my-team-1/config.json');
		expect(path.relative(root, team.inboxDirectory)).toBe('My-Team_1/inboxes');
		expect((await team.members()).map((member) => member.name)).toContain('Dev_Ops');
		expect((await team.inbox('Dev_Ops').read()).length).toBe(1);
	});

	it('reads the 2.1.330 roster, leader and unknown fields', async () => {
		const root = fixtureRoot('cc-2.1.330');
		const team = await Team.open('alpha-team', { root });
		expect(await team.leaderName()).toBe('team-lead');
		expect((await team.members()).map((member) => member.name)).toEqual(['team-lead', 'researcher', 'tester']);
		const inbox = team.inbox('team-lead');
		const entries = await inbox.read();
		await inbox.ack([entries[0]!]);
		const raw = readFileSync(inbox.path, 'utf8');
		expect(raw).toContain('"x_future": {');
		expect(JSON.parse(raw)).toEqual(entries.slice(1));
	});

	it('keeps older read:true entries out of unread() and acks by from|timestamp|text', async () => {
		const team = await Team.open('beta', { root: fixtureRoot('cc-older') });
		const inbox = team.inbox('team-lead');
		const unread = await inbox.unread();
		expect(unread.length).toBe(2);
		expect(await inbox.ack(unread)).toBe(2);
		expect((await inbox.read()).every((entry) => entry.read === true)).toBe(true);
	});

	it('reads a hostile roster without escaping the root', async () => {
		const root = fixtureRoot('hostile');
		const team = await Team.open('delta', { root });
		expect(await team.leaderName()).toBe('team-lead');
		for (const member of await team.members()) {
			const inbox = team.inbox(member.name.replaceAll('\u0007', '-'));
			expect(path.dirname(inbox.path)).toBe(team.inboxDirectory);
		}
		expect(readdirSync(root)).toEqual(['delta']);
	});
});
