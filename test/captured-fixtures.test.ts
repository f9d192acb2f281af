/**
The entries and files a real Claude Code 2.1.330 teammate wrote (fixtures/captured-2.1.330): this library must read
them as they are, answer them so that client accepts the answer, and keep them intact when it writes.
*/

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryKey, isValidEntry } from '../src/inbox/entry.js';
import { Leader } from '../src/leader/leader.js';
import { encodeFrame, parseFrame } from '../src/protocol/frame-codec.js';
import { Team } from '../src/team/team.js';
import { repoRoot } from './helpers/fork.js';
import { nextRequest, track } from './helpers/swarm.js';
import { fixtureRoot } from './helpers/temp.js';

const CASE = 'captured-2.1.330';
const entriesDir = path.join(repoRoot, 'fixtures', CASE, 'entries');
const entry = (name: string) => JSON.parse(readFileSync(path.join(entriesDir, `${name}.entry.json`), 'utf8'));
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

async function capturedTeam() {
	const root = fixtureRoot(CASE);
	return { root, team: await Team.open('interop', { root }) };
}

describe('entries captured from Claude Code 2.1.330', () => {
	it.each(readdirSync(entriesDir).map((file) => file.replace('.entry.json', '')))(
		'%s: a valid entry whose frame parses and re-encodes byte for byte',
		(type) => {
			const captured = entry(type);
			expect(isValidEntry(captured)).toBe(true);
			expect(captured).toMatchObject({ msgV: 1, type: 'message', read: false, from: 'worker1', color: 'blue' });
			const parsed = parseFrame(captured.text);
			expect(parsed.kind).toBe('frame');
			if (parsed.kind !== 'frame') return;
			expect(parsed.frame.type).toBe(type);
			// Our schemas list the keys in Claude Code's order, so our encoding of its frame is its very text.
			expect(encodeFrame(parsed.frame)).toBe(captured.text);
		},
	);

	it('reads the lead inbox file as written, without rewriting it, and appends after it intact', async () => {
		const { team } = await capturedTeam();
		const inbox = team.inbox('team-lead');
		const original = readFileSync(inbox.path);
		const [read, ...rest] = await inbox.read();
		expect(rest).toEqual([]);
		expect(read).toEqual(entry('permission_request'));
		expect(readFileSync(inbox.path).equals(original)).toBe(true);
		const id = await inbox.send({ from: 'probe', text: 'round trip' });
		const after = await inbox.read();
		expect(after.map(entryKey)).toEqual([entryKey(entry('permission_request')), expect.any(String)]);
		expect(after[1]?.msg_id).toBe(id);
		expect(JSON.parse(readFileSync(inbox.path, 'utf8'))[0]).toEqual(entry('permission_request')); // every key kept
		expect(await team.inbox('worker1').read()).toEqual([]);
	});

	it('reads the roster Claude Code rewrote, and keeps its fields through our own update', async () => {
		const { team } = await capturedTeam();
		expect(await team.leaderName()).toBe('team-lead');
		const members = await team.members();
		expect(members.map((member) => member.name)).toEqual(['team-lead', 'worker1']);
		expect(members[1]).toMatchObject({ color: 'blue', tmuxPaneId: '%1', backendType: 'tmux', isActive: false });
		const before = JSON.parse(readFileSync(team.configPath, 'utf8'));
		await team.addMember({ name: 'worker2' });
		const after = JSON.parse(readFileSync(team.configPath, 'utf8'));
		expect(after.members.slice(0, 2)).toEqual(before.members);
		expect(after.leadSessionId).toBe(before.leadSessionId);
		expect(Object.keys(after)).toEqual(Object.keys(before));
	});

	it("answers the captured permission_request so Claude Code's binding checks pass, with its suggestions", async () => {
		const { team } = await capturedTeam();
		const leader = track(new Leader(team));
		const requests = leader.requests();
		await leader.start();
		const request = await nextRequest(requests);
		const frame = JSON.parse(entry('permission_request').text);
		expect(request).toMatchObject({ worker: 'worker1', toolName: 'Bash', requestId: frame.request_id });
		expect(request.suggestions).toEqual(frame.permission_suggestions);
		await request.approve({ acceptSuggestions: true });
		await leader.flushed();

		const [answer] = await team.inbox('worker1').read();
		expect(answer?.from).toBe('team-lead');
		const sorted = JSON.stringify({ command: frame.input.command, description: frame.input.description });
		expect(JSON.parse(answer?.text ?? '')).toEqual({
			type: 'permission_response',
			request_id: frame.request_id,
			subtype: 'success',
			tool_use_id: 'toolu_mock888580921',
			approved_request: {
				tool_use_id: 'toolu_mock888580921',
				tool_name: 'Bash',
				input_digest: sha256(`Bash\0${sorted}`),
			},
			response: { permission_updates: frame.permission_suggestions },
		});
		expect(await team.inbox('team-lead').read()).toEqual([]); // taken into the journal, then acked
	});

	it('answers the captured sandbox request for its host', async () => {
		const { team } = await capturedTeam();
		// As Claude Code leaves it: its entry alone in the lead inbox, 2-space JSON, no trailing newline.
		writeFileSync(team.inbox('team-lead').path, JSON.stringify([entry('sandbox_permission_request')], null, 2));
		const leader = track(new Leader(team));
		const requests = leader.requests();
		await leader.start();
		const request = await nextRequest(requests);
		expect(request).toMatchObject({ kind: 'sandbox', worker: 'worker1', host: 'localhost' });
		await request.approve();
		const [answer] = await team.inbox('worker1').read();
		expect(JSON.parse(answer?.text ?? '')).toMatchObject({
			type: 'sandbox_permission_response',
			requestId: 'sandbox-1796288877213-2mb98lg',
			host: 'localhost',
			allow: true,
		});
	});
});
