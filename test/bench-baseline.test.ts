import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { describe, expect, it, vi } from 'vitest';
import { pollBaselineInbox } from '../bench/baseline-reader.js';
import { type BaselineMessage, baselineLockOptions, baselineWrite } from '../bench/baseline-writer.js';
import { tempDir } from './helpers/temp.js';

// The bench compares against a reproduction of the older Claude Code path; these pin the weak points it must keep.
const message = (text: string): BaselineMessage => ({ from: 'w', text, timestamp: new Date().toISOString() });
const readArray = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as BaselineMessage[];

describe('bench baseline (older Claude Code path)', () => {
	it('writes 2-space JSON with read: false, on <inbox>.json.lock, leaving no lock behind', async () => {
		const file = path.join(tempDir(), 'inboxes', 'team-lead.json');
		expect(await baselineWrite(file, message('one'))).toBe(true);
		expect(await baselineWrite(file, message('two'))).toBe(true);
		const text = readFileSync(file, 'utf8');
		expect(text.startsWith('[\n  {\n    "from": "w"')).toBe(true);
		expect(readArray(file).map((entry) => [entry.text, entry.read])).toEqual([
			['one', false],
			['two', false],
		]);
		expect(await lockfile.check(file, { lockfilePath: `${file}.lock` })).toBe(false);
	});

	it('gives up after its lock retries (about 655 ms) and drops the message', async () => {
		const file = path.join(tempDir(), 'team-lead.json');
		writeFileSync(file, '[]');
		const release = await lockfile.lock(file, baselineLockOptions(file));
		const started = performance.now();
		const written = await baselineWrite(file, message('dropped'));
		const waitedMs = performance.now() - started;
		await release();
		expect(written).toBe(false);
		expect(waitedMs).toBeGreaterThan(400);
		expect(readArray(file)).toEqual([]);
	});

	it('loses every earlier message when the inbox does not parse (W2)', async () => {
		const file = path.join(tempDir(), 'team-lead.json');
		writeFileSync(file, '[{"from":"w","text":"earlier","timestamp":"t","read":false}, {"trunc');
		expect(await baselineWrite(file, message('next'))).toBe(true);
		expect(readArray(file).map((entry) => entry.text)).toEqual(['next']);
	});

	it('marks every message read after a poll, even one that arrived after its read (W3)', async () => {
		const file = path.join(tempDir(), 'team-lead.json');
		await baselineWrite(file, message('first'));
		const handed: string[] = [];
		const stop = pollBaselineInbox(file, (unread) => {
			handed.push(...unread.map((entry) => entry.text));
			// Arrives between the poll's read and its mark-all-read.
			writeFileSync(file, JSON.stringify([...readArray(file), { ...message('late'), read: false }], null, 2));
		});
		try {
			// The poll's own mark-all-read flags both in one rewrite.
			await vi.waitFor(() => expect(readArray(file)[0]?.read).toBe(true), { timeout: 5_000, interval: 10 });
		} finally {
			stop();
		}
		expect(handed).toEqual(['first']);
		expect(readArray(file).map((entry) => [entry.text, entry.read])).toEqual([
			['first', true],
			['late', true],
		]);
	});
});
