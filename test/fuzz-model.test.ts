/**
Model-based test of one inbox shared by forked processes: random sequences of send, concurrent sends (with an ack),
ack, clear, read, watch-and-ack and kill -9 mid-command, checked after every step against `InboxModel`.
Every resolved send stays until acked, nothing acked or cleared comes back, nothing appears twice, and a killed
process's in-flight send may land or not, but only once.
*/
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inbox } from '../src/index.js';
import { check, fuzzOptions } from './helpers/fuzz.js';
import { InboxModel, type Observed, type Tracked } from './helpers/inbox-model.js';
import { type Reply, type RunnerCommand, RunnerPool } from './helpers/runner-pool.js';

/** proper-lockfile's minimum: a lock left by a killed runner is taken over after this. */
const STALE_MS = 2_000;
const SLOTS = 3;
/** Each kill costs up to a stale window before the lock is free again, so runs are capped to keep the file quick. */
const CRASHES_PER_RUN = 1;

interface Real {
	file: string;
	pool: RunnerPool;
}

type Command = fc.AsyncCommand<InboxModel, Real, false>;

function value(reply: Reply, what: string): unknown {
	if ('crashed' in reply) throw new Error(`${what}: the runner died unexpectedly`);
	if (!reply.ok) throw new Error(`${what} failed: ${reply.code} ${reply.message}`);
	return reply.value;
}

async function request(real: Real, slot: number, command: Omit<RunnerCommand, 'file'>): Promise<Reply> {
	return (await real.pool.runner(slot)).request({ ...command, file: real.file });
}

/** Ack `targets` (present entries) from `slot`: exactly they are removed. */
async function ack(real: Real, slot: number, targets: Tracked[]): Promise<void> {
	const removed = value(await request(real, slot, { op: 'ack', ids: targets.map((t) => t.id as string) }), 'ack');
	expect(removed, `ack of ${targets.map((t) => t.text)} removed ${removed}`).toBe(targets.length);
	for (const target of targets) target.status = 'gone';
}

class Send implements Command {
	constructor(readonly slot: number) {}
	check = () => true;
	async run(model: InboxModel, real: Real) {
		const text = model.newText();
		model.sent(text, value(await request(real, this.slot, { op: 'send', text }), 'send'));
	}
	toString = () => `send@${this.slot}`;
}

class Parallel implements Command {
	constructor(
		readonly slots: number[],
		readonly picks: number[] | null,
	) {}
	check = () => true;
	async run(model: InboxModel, real: Real) {
		const [acker, ...senders] = this.slots as [number, ...number[]];
		const targets = this.picks ? model.pick(this.picks) : [];
		const sends = (targets.length > 0 ? senders : this.slots).map(async (slot) => {
			const text = model.newText();
			model.sent(text, value(await request(real, slot, { op: 'send', text }), 'concurrent send'));
		});
		await Promise.all([...sends, targets.length > 0 ? ack(real, acker, targets) : undefined]);
	}
	toString = () => `parallel(${this.slots}${this.picks ? `, ack@${this.slots[0]} [${this.picks}]` : ''})`;
}

class Ack implements Command {
	constructor(
		readonly slot: number,
		readonly picks: number[],
	) {}
	check = (model: Readonly<InboxModel>) => model.present().length > 0;
	async run(model: InboxModel, real: Real) {
		await ack(real, this.slot, model.pick(this.picks));
	}
	toString = () => `ack@${this.slot}[${this.picks}]`;
}

class Clear implements Command {
	constructor(readonly slot: number) {}
	check = () => true;
	async run(model: InboxModel, real: Real) {
		value(await request(real, this.slot, { op: 'clear' }), 'clear');
		model.cleared('gone');
	}
	toString = () => `clear@${this.slot}`;
}

class Read implements Command {
	constructor(readonly slot: number) {}
	check = () => true;
	async run(model: InboxModel, real: Real) {
		model.observe(value(await request(real, this.slot, { op: 'read' }), 'read') as Observed[], this.toString());
	}
	toString = () => `read@${this.slot}`;
}

/** Take the next entry from this runner's watcher and ack it, as an agent's loop does. */
class Consume implements Command {
	constructor(readonly slot: number) {}
	check = (model: Readonly<InboxModel>) => {
		const yielded = model.watchers.get(this.slot)?.yielded;
		return model.texts('present').some((text) => !yielded?.has(text));
	};
	async run(model: InboxModel, real: Real) {
		let watcher = model.watchers.get(this.slot);
		if (!watcher) {
			watcher = { yielded: new Set(), goneAtStart: new Set(model.texts('gone')) };
			model.watchers.set(this.slot, watcher);
		}
		const reply = value(await request(real, this.slot, { op: 'consume', timeoutMs: 10_000 }), 'consume');
		expect(reply, `the watcher yielded nothing in 10 s though ${model.texts('present')} are present`).not.toBeNull();
		const { text, removed } = reply as { text: string; removed: number };
		const tracked = model.get(text);
		expect(watcher.yielded.has(text), `the watcher yielded ${text} twice`).toBe(false);
		expect(watcher.goneAtStart.has(text), `the watcher yielded ${text}, acked before it started`).toBe(false);
		if (tracked.status === 'present') expect(removed, `acking ${text}`).toBe(1);
		if (tracked.status === 'gone') expect(removed, `acking ${text} again`).toBe(0);
		watcher.yielded.add(text);
		tracked.status = 'gone';
	}
	toString = () => `consume@${this.slot}`;
}

/**
Start `op` in `slot`, SIGKILL that runner `delayMs` later (before, during or after the command: all are fine), maybe
while the other runners send. Sends that resolve must land; the victim's own command may have happened or not.
*/
class Crash implements Command {
	constructor(
		readonly slot: number,
		readonly op: 'send' | 'ack' | 'clear',
		readonly delayMs: number,
		readonly picks: number[],
		readonly withSends: boolean,
	) {}
	check = (model: Readonly<InboxModel>) => model.crashes < CRASHES_PER_RUN;
	async run(model: InboxModel, real: Real) {
		const targets = this.op === 'ack' ? model.pick(this.picks) : [];
		const op = this.op === 'ack' && targets.length === 0 ? 'send' : this.op;
		const text = op === 'send' ? model.newText() : undefined;
		const others = this.withSends ? [...Array(SLOTS).keys()].filter((slot) => slot !== this.slot) : [];
		const sends = others.map(async (slot) => {
			const sent = model.newText();
			return [sent, value(await request(real, slot, { op: 'send', text: sent }), 'send beside a crash')] as const;
		});
		const victim = request(real, this.slot, { op, text, ids: targets.map((target) => target.id as string) });
		await new Promise((resolve) => setTimeout(resolve, this.delayMs));
		await real.pool.kill(this.slot);
		model.crashes++;
		model.watchers.delete(this.slot);
		const reply = await victim;
		if (!('crashed' in reply)) {
			// It finished before the kill: an ordinary command.
			const result = value(reply, op);
			if (op === 'send') model.sent(text as string, result);
			if (op === 'ack') expect(result, 'ack finished before the kill').toBe(targets.length);
			for (const target of targets) target.status = 'gone';
			if (op === 'clear') model.cleared('gone');
		} else if (op === 'ack') for (const target of targets) target.status = 'doomed';
		else if (op === 'clear') model.cleared('doomed');
		// Applied after the victim's outcome: a send that raced a clear may have landed before it (and been cleared) or after.
		for (const [sent, id] of await Promise.all(sends)) model.sent(sent, id, op === 'clear' ? 'doomed' : 'present');
	}
	toString = () =>
		`crash@${this.slot}(${this.op}${this.op === 'ack' ? ` [${this.picks}]` : ''} +${this.delayMs}ms${this.withSends ? ', others sending' : ''})`;
}

const slot = fc.nat({ max: SLOTS - 1 });
const picks = fc.array(fc.nat(), { minLength: 1, maxLength: 3 });
const crash = fc
	.tuple(
		slot,
		fc.constantFrom<'send' | 'ack' | 'clear'>('send', 'send', 'ack', 'clear'),
		fc.nat({ max: 12 }),
		picks,
		fc.boolean(),
	)
	.map(([s, op, delayMs, chosen, withSends]) => new Crash(s, op, delayMs, chosen, withSends));
const commands = [
	slot.map((s) => new Send(s)),
	slot.map((s) => new Send(s)),
	fc
		.tuple(fc.shuffledSubarray([...Array(SLOTS).keys()], { minLength: 2 }), fc.option(picks))
		.map(([slots, chosen]) => new Parallel(slots, chosen)),
	fc.tuple(slot, picks).map(([s, chosen]) => new Ack(s, chosen)),
	slot.map((s) => new Clear(s)),
	slot.map((s) => new Read(s)),
	slot.map((s) => new Consume(s)),
	crash,
];

let pool: RunnerPool;
let root: string;

// One root for the whole file (not per test): runners started to replace killed ones outlive each run.
beforeAll(() => {
	root = mkdtempSync(path.join(tmpdir(), 'swarm-mailbox-model-'));
	pool = new RunnerPool(SLOTS, STALE_MS, root);
});

afterAll(async () => {
	await pool.close();
	rmSync(root, { recursive: true, force: true });
});

describe('inbox model across processes', () => {
	it('random send/ack/clear/read/consume/kill -9 sequences keep every delivered entry exactly once', {
		timeout: 180_000,
	}, async () => {
		let run = 0;
		const sequences = fc.commands(commands, {
			size: 'max',
			maxCommands: 14,
			replayPath: process.env['FC_REPLAY_PATH'],
		});
		await check(
			fc.asyncProperty(sequences, async (sequence) => {
				const directory = path.join(root, `run-${run}`);
				mkdirSync(directory);
				const model = new InboxModel(`r${run++}`);
				const real: Real = { file: path.join(directory, 'shared.json'), pool };
				await fc.asyncModelRun(() => ({ model, real }), sequence);
				// A last read from this process; no step may have needed a quarantine.
				const entries = await new Inbox(real.file, { staleMs: STALE_MS }).read();
				model.observe(
					entries.map((entry) => ({ id: entry.msg_id, text: entry.text })),
					'final read',
				);
				expect(readdirSync(directory).filter((name) => name.includes('.corrupt-'))).toEqual([]);
			}),
			fuzzOptions(8, { endOnFailure: true }),
		);
	});
});
