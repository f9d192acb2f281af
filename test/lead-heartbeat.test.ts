/**
The lead's heartbeat on a local directory: a claim made on "another machine" (another pid space, or this host name
with another boot id) is judged by its beats, never by a local pid. The other machine's lead is this test writing its
beats with `LeadHeartbeat`, as a Leader there would.
*/
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MailboxError } from '../src/errors.js';
import { Leader, type LeadTakeover } from '../src/leader/leader.js';
import {
	defaultLeadStaleMs,
	judgeLead,
	LeadHeartbeat,
	leadHeartbeatPath,
	leadRefreshMs,
} from '../src/team/lead-heartbeat.js';
import {
	bootId,
	judgeProcess,
	onThisMachine,
	type ProcessClaim,
	parseProcessClaim,
	pidSpace,
} from '../src/team/lead-process.js';
import { sanitizeTeamDirName } from '../src/team/paths.js';
import { Team } from '../src/team/team.js';
import { Worker } from '../src/worker/worker.js';
import { collect, track } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

const STALE_MS = 800;

async function newTeam() {
	const root = tempDir();
	const team = await Team.create('alpha', { root, staleMs: 2_000, members: [{ name: 'ann' }] });
	return { root, team };
}

/** A lead claim "from another machine", recorded in config.json, its heartbeat beating from here until stopped. */
async function foreignLead(team: Team, root: string, claim: Partial<ProcessClaim> = {}) {
	const recorded: ProcessClaim = {
		pid: process.pid, // a live pid here, to show it is not what is judged
		pidSpace: 'host-z#pid:[4026531836]',
		claimedAt: Date.now(),
		refreshMs: leadRefreshMs(STALE_MS),
		...claim,
	};
	const heartbeat = new LeadHeartbeat({ root, directoryName: sanitizeTeamDirName(team.name) }, recorded);
	await heartbeat.begin();
	heartbeat.start();
	await team.updateConfig((config) => {
		config.leadProcess = recorded;
	});
	return { recorded, heartbeat };
}

async function startOutcome(leader: Leader): Promise<{ outcome: string; takeovers: LeadTakeover[]; ms: number }> {
	const takeovers = collect<LeadTakeover>(leader, 'takeover');
	const started = performance.now();
	const outcome = await leader.start().then(
		() => 'started',
		(error: unknown) => ((error as MailboxError).code === 'LEAD_ACTIVE' ? 'refused' : String(error)),
	);
	return { outcome, takeovers, ms: performance.now() - started };
}

describe('claims across machines', () => {
	it('records the boot id and heartbeat period in leadProcess, keeps the fields Claude Code checks, and beats', async () => {
		const { team } = await newTeam();
		const leader = track(new Leader(team, { leadStaleMs: STALE_MS }));
		await leader.start();
		const raw = (await team.readConfig()).leadProcess as Record<string, unknown>;
		expect(raw).toMatchObject({ pid: process.pid, pidSpace: pidSpace(), refreshMs: leadRefreshMs(STALE_MS) });
		expect(typeof raw['claimedAt']).toBe('number');
		expect(raw['bootId']).toBe(bootId());
		expect(parseProcessClaim(raw)).toEqual(raw);
		// Malformed extras are dropped, not the claim (Claude Code's validation ignores them).
		expect(parseProcessClaim({ ...raw, bootId: 7, refreshMs: -1 })).toEqual({
			pid: raw['pid'],
			pidSpace: raw['pidSpace'],
			claimedAt: raw['claimedAt'],
			...(raw['procStart'] === undefined ? {} : { procStart: raw['procStart'] }),
		});
		const file = leadHeartbeatPath(team.directory);
		const beat = () => JSON.parse(readFileSync(file, 'utf8')).beat as number;
		const first = beat();
		await new Promise((resolve) => setTimeout(resolve, 3 * leadRefreshMs(STALE_MS)));
		expect(beat()).toBeGreaterThan(first);
		expect(statSync(file).mode & 0o777).toBe(0o600);
		await leader.close();
		const last = beat();
		await new Promise((resolve) => setTimeout(resolve, 2 * leadRefreshMs(STALE_MS)));
		expect(beat()).toBe(last); // closed: no more beats
	});

	it('SWARM_MAILBOX_LEAD_STALE_MS sets the window where no option does (the CLI commands)', async () => {
		expect(defaultLeadStaleMs()).toBe(30_000);
		process.env.SWARM_MAILBOX_LEAD_STALE_MS = '600';
		try {
			expect(defaultLeadStaleMs()).toBe(600);
			const { team } = await newTeam();
			const leader = track(new Leader(team));
			await leader.start();
			expect(leader.leadClaim?.refreshMs).toBe(leadRefreshMs(600));
			await leader.close();
		} finally {
			delete process.env.SWARM_MAILBOX_LEAD_STALE_MS;
		}
		process.env.SWARM_MAILBOX_LEAD_STALE_MS = 'soon';
		expect(defaultLeadStaleMs()).toBe(30_000); // not a number: the default
		delete process.env.SWARM_MAILBOX_LEAD_STALE_MS;
	});

	it('this host name and pid namespace with another boot id is another machine: its pid is not judged here', () => {
		const claim = { pid: 999_999, pidSpace: pidSpace(), claimedAt: Date.now() };
		expect(judgeProcess(claim)).toBe('dead'); // this machine: no such pid
		if (bootId() === undefined) return; // no boot id on this kernel: nothing more to tell apart
		expect(onThisMachine({ ...claim, bootId: 'another-machine' })).toBe(false);
		expect(judgeProcess({ ...claim, bootId: 'another-machine' })).toBe('unknown');
		expect(onThisMachine({ ...claim, bootId: bootId() as string })).toBe(true);
	});

	it('a beating lead elsewhere refuses a Leader here, even with this clock 5 minutes ahead; stopped, it is taken over after the window', async () => {
		const { root, team } = await newTeam();
		const { recorded, heartbeat } = await foreignLead(team, root);
		const realNow = Date.now.bind(Date);
		Date.now = () => realNow() + 5 * 60_000;
		try {
			const refused = await startOutcome(new Leader(team, { leadStaleMs: STALE_MS }));
			expect(refused.outcome).toBe('refused');
			expect(refused.ms).toBeLessThan(STALE_MS); // refused at the first changed beat, not after a window
		} finally {
			Date.now = realNow;
		}
		await heartbeat.close();
		const leader = track(new Leader(team, { leadStaleMs: STALE_MS }));
		const taken = await startOutcome(leader);
		expect(taken.outcome).toBe('started');
		expect(taken.ms).toBeGreaterThanOrEqual(STALE_MS);
		expect(taken.takeovers).toHaveLength(1);
		expect(taken.takeovers[0]).toMatchObject({ state: 'dead', previous: { pidSpace: recorded.pidSpace } });
		expect(taken.takeovers[0]?.message).toContain('stopped refreshing its heartbeat');
	});

	it('a claim elsewhere whose heartbeat file holds another claim, or none, is dead after the window', async () => {
		const { root, team } = await newTeam();
		const { heartbeat } = await foreignLead(team, root);
		await heartbeat.close();
		// Another claim's heartbeat keeps beating: it does not keep this claim alive.
		const other = new LeadHeartbeat(
			{ root, directoryName: sanitizeTeamDirName(team.name) },
			{
				pid: 5,
				pidSpace: 'host-y#pid:[1]',
				claimedAt: 1,
				refreshMs: 50,
			},
		);
		other.start();
		try {
			const taken = await startOutcome(track(new Leader(team, { leadStaleMs: STALE_MS })));
			expect(taken.outcome).toBe('started');
			expect(taken.takeovers[0]?.state).toBe('dead');
		} finally {
			await other.close();
		}
	});

	it("a Worker never ends a request as 'no-lead' while the lead elsewhere beats; once it stops, only after watching it for the window", async () => {
		const { root, team } = await newTeam();
		const { heartbeat } = await foreignLead(team, root);
		const worker = new Worker(team, { name: 'ann', leadStaleMs: STALE_MS, timeoutMs: 5_000 });
		try {
			const beating = await worker.requestPermission({ toolName: 'Bash', toolUseId: 'toolu_1', input: {} });
			expect(beating).toMatchObject({ behavior: 'deny', reason: 'timeout' });
			expect(await judgeLead((await team.leadProcess()) as ProcessClaim, { directory: team.directory })).toBe('alive');
			await heartbeat.close();
			const started = performance.now();
			const stopped = await worker.requestPermission({ toolName: 'Bash', toolUseId: 'toolu_2', input: {} });
			expect(stopped).toMatchObject({ behavior: 'deny', reason: 'no-lead' });
			expect(stopped.behavior === 'deny' && stopped.message).toContain('on host-z has not changed for 800 ms');
			expect(performance.now() - started).toBeGreaterThanOrEqual(STALE_MS);
		} finally {
			await worker.close();
		}
	});

	it("a claim elsewhere without a heartbeat (Claude Code's) cannot be judged: a Worker waits, a Leader takes it over at once", async () => {
		const { team } = await newTeam();
		await team.updateConfig((config) => {
			config.leadProcess = { pid: process.pid, pidSpace: 'host-z#pid:[4026531836]', claimedAt: Date.now() };
		});
		const worker = new Worker(team, { name: 'ann', leadStaleMs: 300, timeoutMs: 2_500 });
		try {
			const outcome = await worker.requestPermission({ toolName: 'Bash', toolUseId: 'toolu_1', input: {} });
			expect(outcome).toMatchObject({ behavior: 'deny', reason: 'timeout' });
		} finally {
			await worker.close();
		}
		const taken = await startOutcome(track(new Leader(team, { leadStaleMs: STALE_MS })));
		expect(taken).toMatchObject({ outcome: 'started' });
		expect(taken.ms).toBeLessThan(STALE_MS);
		expect(taken.takeovers[0]?.state).toBe('unknown');
	});
});
