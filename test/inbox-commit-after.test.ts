import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { describe, expect, it } from 'vitest';
import { errors } from '../src/errors.js';
import { Team } from '../src/index.js';
import { settledFlag, until } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

async function teamInbox() {
	const root = tempDir();
	const team = await Team.create('alpha', { root });
	const inbox = team.inbox('ann');
	await inbox.send({ from: 'lead', text: 'already there' });
	return { inbox, directory: path.dirname(inbox.path), spool: `${inbox.path}.spool` };
}

/** A promise settled from outside. */
function gate() {
	let open!: () => void;
	let fail!: (error: unknown) => void;
	const promise = new Promise<void>((resolve, reject) => {
		open = resolve;
		fail = reject;
	});
	return { promise, open, fail };
}

const texts = (entries: { text: string }[]) => entries.map((entry) => entry.text);
const tempFiles = (directory: string) => readdirSync(directory).filter((name) => name.includes('.tmp.'));
const spooled = (spool: string) => (existsSync(spool) ? readdirSync(spool) : []);

describe('Inbox.send with commitAfter', () => {
	it('prepares the write under the lock and makes it visible only once the promise resolves', async () => {
		const { inbox, directory } = await teamInbox();
		const before = readFileSync(inbox.path, 'utf8');
		const held = gate();
		const sent = inbox.send({ from: 'lead', text: 'answer' }, { commitAfter: held.promise });
		const done = settledFlag(sent);
		await until(() => tempFiles(directory).length === 1, 'a prepared temp file');
		expect(existsSync(`${inbox.path}.lock`)).toBe(true);
		expect(readFileSync(inbox.path, 'utf8')).toBe(before);
		expect(done()).toBe(false);
		held.open();
		await sent;
		expect(texts(await inbox.read())).toEqual(['already there', 'answer']);
		expect(tempFiles(directory)).toEqual([]);
		expect(existsSync(`${inbox.path}.lock`)).toBe(false);
	});

	it('writes nothing, releases the lock and rejects with the reason when the promise rejects', async () => {
		const { inbox, directory } = await teamInbox();
		const before = readFileSync(inbox.path, 'utf8');
		const held = gate();
		const sent = inbox.send({ from: 'lead', text: 'never' }, { commitAfter: held.promise });
		await until(() => tempFiles(directory).length === 1, 'a prepared temp file');
		const reason = errors.alreadyAnswered('perm-1', '/x/y.answer');
		held.fail(reason);
		await expect(sent).rejects.toBe(reason);
		expect(readFileSync(inbox.path, 'utf8')).toBe(before);
		expect(tempFiles(directory)).toEqual([]);
		expect(existsSync(`${inbox.path}.lock`)).toBe(false);
		await inbox.send({ from: 'lead', text: 'later' });
		expect(texts(await inbox.read())).toEqual(['already there', 'later']);
	});

	it('does not let a held-back entry decide the fate of other sends to the same inbox', async () => {
		const { inbox } = await teamInbox();
		const held = gate();
		const refused = inbox.send({ from: 'lead', text: 'refused' }, { commitAfter: held.promise });
		const others = [inbox.send({ from: 'bob', text: 'one' }), inbox.send({ from: 'bob', text: 'two' })];
		held.fail(new Error('claim lost'));
		await expect(refused).rejects.toThrow('claim lost');
		await Promise.all(others);
		expect(texts(await inbox.read())).toEqual(['already there', 'one', 'two']);
	});

	it('deposits nothing for another lock holder to commit unless the promise resolves (lock busy)', async () => {
		const { inbox, spool } = await teamInbox();
		const release = await lockfile.lock(inbox.path, { lockfilePath: `${inbox.path}.lock`, realpath: false });
		try {
			const denied = gate();
			const refused = inbox.send({ from: 'lead', text: 'denied' }, { commitAfter: denied.promise, timeoutMs: 5_000 });
			denied.fail(new Error('not this one'));
			// Settles while the lock is still held: it never waited in the spool.
			await expect(refused).rejects.toThrow('not this one');
			expect(spooled(spool).filter((name) => name.endsWith('.json'))).toEqual([]);
			const allowed = gate();
			const sent = inbox.send({ from: 'lead', text: 'allowed' }, { commitAfter: allowed.promise, timeoutMs: 5_000 });
			allowed.open();
			await until(() => spooled(spool).some((name) => name.endsWith('.json')), 'the allowed batch in the spool');
			await release();
			await sent;
		} finally {
			await release().catch(() => {});
		}
		await inbox.send({ from: 'bob', text: 'after' });
		expect(texts(await inbox.read())).toEqual(['already there', 'allowed', 'after']);
	});

	it('never keeps the inbox locked while the promise is pending, and times out like any send', async () => {
		const { inbox, directory } = await teamInbox();
		const pending = new Promise<void>(() => {}); // never settles
		const held = inbox.send({ from: 'lead', text: 'stuck' }, { commitAfter: pending, timeoutMs: 2_500 });
		await until(() => tempFiles(directory).length === 1, 'a prepared temp file');
		// Another writer gets through once the held-back write gives the lock up (after at most a second).
		const other = await inbox.send({ from: 'bob', text: 'not blocked' }, { timeoutMs: 5_000 });
		expect(typeof other).toBe('string');
		await expect(held).rejects.toMatchObject({ code: 'TIMEOUT' });
		expect(texts(await inbox.read())).toEqual(['already there', 'not blocked']);
		expect(tempFiles(directory)).toEqual([]);
		expect(existsSync(`${inbox.path}.lock`)).toBe(false);
	});
});
