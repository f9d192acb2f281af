/**
Leadership across two sshfs mounts (default caching), each mount one machine: every lead runs in its own UTS and pid
namespaces (its own host name and pid space, `test/helpers/hosts.ts`), so a claim made on "host-a" cannot be judged by
a pid on "host-b" and is judged by its heartbeat. Clocks are shifted by minutes: a judge whose clock runs 5 minutes
ahead still sees a live lead as alive, and one whose clock runs 5 minutes behind still takes a dead one over after the
window (not sooner, not never).
*/
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseProcessClaim, pidSpace } from '../src/team/lead-process.js';
import { Team } from '../src/team/team.js';
import { Worker } from '../src/worker/worker.js';
import { nextMessage } from './helpers/fork.js';
import { forkOnHost, killHosts, killOnHost, requireHosts } from './helpers/hosts.js';
import { mountSshfsPair, requireSshfs, type SshfsPair } from './helpers/sshfs.js';

const { skip: noSshfs } = requireSshfs();
const { skip: noHosts } = requireHosts();
const LEAD_STALE_MS = 3_000;
const SKEW_MS = 5 * 60_000;
const script = 'test/fixtures/host-lead.ts';
const answered = (message: { kind: string }) => message.kind === 'ready' || message.kind === 'refused';

describe.skipIf(noSshfs || noHosts)(
	'leadership across two sshfs mounts, hosts with their own names and pid spaces',
	() => {
		let pair: SshfsPair;
		beforeAll(async () => {
			pair = await mountSshfsPair();
		});
		afterAll(async () => {
			await pair?.unmount();
		});
		afterEach(killHosts);

		it('a live lead on host-a refuses host-b (clock 5 min ahead) and its workers; killed, host-b (clock 5 min behind) takes over after the window', async () => {
			mkdirSync(path.join(pair.export, 'teams'), { mode: 0o700 });
			const rootA = path.join(pair.a, 'teams');
			const rootB = path.join(pair.b, 'teams');
			await Team.create('alpha', { root: rootA, staleMs: 2_000, members: [{ name: 'ann' }] });

			const leadA = forkOnHost('host-a', script, [rootA, 'alpha', String(LEAD_STALE_MS), '0']);
			expect(await nextMessage(leadA, answered, 60_000)).toMatchObject({ kind: 'ready' });
			const teamB = await Team.open('alpha', { root: rootB, staleMs: 2_000 });
			const claimA = parseProcessClaim((await teamB.readConfig()).leadProcess);
			expect(claimA?.pidSpace).toMatch(/^host-a#pid:\[\d+\]$/);
			expect(claimA?.pidSpace).not.toBe(pidSpace());

			// While host-a lives: host-b is refused as soon as it sees a beat change, however far ahead its clock is.
			const refusedB = forkOnHost('host-b', script, [rootB, 'alpha', String(LEAD_STALE_MS), String(SKEW_MS)]);
			const refusal = await nextMessage(refusedB, answered, 60_000);
			expect(refusal).toMatchObject({ kind: 'refused', code: 'LEAD_ACTIVE' });
			expect(refusal['message']).toContain('on host-a');
			console.info(`host-b refused in ${Math.round(refusal['elapsedMs'] as number)} ms (Team.open included)`);
			// A worker here (another pid space again) is never told "no lead" while the beats go on: it waits and times out.
			const worker = new Worker(teamB, { name: 'ann', leadStaleMs: LEAD_STALE_MS, timeoutMs: 3 * LEAD_STALE_MS });
			const waited = await worker.requestPermission({
				toolName: 'Bash',
				toolUseId: 'toolu_1',
				input: { command: 'ls' },
			});
			expect(waited).toMatchObject({ behavior: 'deny', reason: 'timeout' });
			expect(parseProcessClaim((await teamB.readConfig()).leadProcess)?.pidSpace).toBe(claimA?.pidSpace);

			// host-a dies without a word: the next lead on host-b waits out the window on its own clock, then takes over.
			await killOnHost(leadA);
			const killedAt = performance.now();
			const leadB = forkOnHost('host-b', script, [rootB, 'alpha', String(LEAD_STALE_MS), String(-SKEW_MS)]);
			const takeover = nextMessage(leadB, 'takeover', 90_000);
			const ready = await nextMessage(leadB, answered, 90_000);
			expect(ready).toMatchObject({ kind: 'ready' });
			expect(await takeover).toMatchObject({ state: 'dead' });
			expect((await takeover)['message']).toMatch(/on host-a\) stopped refreshing its heartbeat/);
			expect(ready['elapsedMs'] as number).toBeGreaterThanOrEqual(LEAD_STALE_MS);
			console.info(`host-b took over in ${Math.round(ready['elapsedMs'] as number)} ms (window ${LEAD_STALE_MS} ms)`);
			expect(performance.now() - killedAt).toBeGreaterThanOrEqual(LEAD_STALE_MS);
			const claimB = parseProcessClaim((await teamB.readConfig()).leadProcess);
			expect(claimB?.pidSpace).toMatch(/^host-b#/);

			// And a worker facing a dead host-b lead is told so, but only after watching its heartbeat for the window.
			await killOnHost(leadB);
			const before = performance.now();
			const gone = await worker.requestPermission({ toolName: 'Bash', toolUseId: 'toolu_2', input: { command: 'ls' } });
			expect(gone).toMatchObject({ behavior: 'deny', reason: 'no-lead' });
			expect(performance.now() - before).toBeGreaterThanOrEqual(LEAD_STALE_MS);
			await worker.close();
		}, 240_000);
	},
);
