/**
What wakes a sender waiting on its spooled batch: the lock holder's commit (the batch file removed), a hand-back (renamed
back to waiting) and a `full` mark (renamed aside) do; the claim (renamed to `.claimed`) does not, as the sender has
nothing to do until the holder finishes. Each contended send of a fresh writer process used to pay a whole round for
the claim's wake-up (status checks, a lock attempt, a spool listing, a timer).
*/
import { renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool } from '../src/inbox/spool.js';
import { tempDir } from './helpers/temp.js';

async function depositAndWatch() {
	const spool = new Spool(path.join(tempDir(), 'lead.json'), 0o600, 0o700);
	const id = await spool.deposit([{ from: 'w', text: 'x' }]);
	const name = (state: string) => path.join(spool.directory, `${id}.${state}`);
	return { spool, id, name, changes: spool.watchBatch(id) };
}

describe('spool wake-ups', () => {
	it('a claim wakes no sender; the commit that follows does', async () => {
		const { spool, id, name, changes } = await depositAndWatch();
		const duringClaim = changes.wait(300);
		renameSync(name('json'), name('claimed'));
		expect(await duringClaim).toBe(false); // its timer ran out
		expect(spool.status(id)).toBe('claimed');

		const duringCommit = changes.wait(5_000);
		const started = Date.now();
		unlinkSync(name('claimed'));
		expect(await duringCommit).toBe(true);
		expect(Date.now() - started).toBeLessThan(2_000);
		expect(spool.status(id)).toBe('committed');
		changes.close();
		spool.release(id);
	});

	it('a hand-back and a full mark each wake the sender', async () => {
		const { spool, id, name, changes } = await depositAndWatch();
		renameSync(name('json'), name('claimed'));
		expect(await changes.wait(300)).toBe(false);

		const duringHandBack = changes.wait(5_000);
		renameSync(name('claimed'), name('json'));
		expect(await duringHandBack).toBe(true);
		expect(spool.status(id)).toBe('waiting');

		renameSync(name('json'), name('claimed'));
		expect(await changes.wait(300)).toBe(false);
		const duringFull = changes.wait(5_000);
		renameSync(name('claimed'), name('full'));
		expect(await duringFull).toBe(true);
		expect(spool.status(id)).toBe('full');
		changes.close();
		spool.release(id);
	});
});
