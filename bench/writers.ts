/** The contention role of a pool child: `count` sends one after another into one inbox, through either path. */

import { rm } from 'node:fs/promises';
import { Inbox, isMailboxError } from '../src/index.js';
import { baselineWrite } from './baseline-writer.js';
import type { WriteCommand, WriteResult } from './child-commands.js';

export function prepareWriter(command: WriteCommand): () => Promise<WriteResult> {
	const { impl, file, writerId, count } = command;
	const inbox = impl === 'ours' ? new Inbox(file) : undefined;
	return async () => {
		const failed: WriteResult['failed'] = [];
		const cpu = process.cpuUsage();
		for (let index = 0; index < count; index++) {
			const text = `${writerId}:${index}`;
			if (inbox) {
				try {
					await inbox.send({ from: `w${writerId}`, text });
				} catch (error) {
					failed.push({ text, code: isMailboxError(error) ? error.code : String(error) });
				}
			} else {
				const timestamp = new Date().toISOString();
				if (!(await baselineWrite(file, { from: `w${writerId}`, text, timestamp }))) {
					failed.push({ text, code: 'swallowed (ELOCKED or I/O)' });
				}
			}
		}
		const used = process.cpuUsage(cpu);
		return { failed, cpuMs: (used.user + used.system) / 1000 };
	};
}

/** Load and JIT both paths once on private files, so a child is ready to write at full speed. */
export async function warmUpWriters(directory: string): Promise<void> {
	const ours = `${directory}/warmup-ours.json`;
	const baseline = `${directory}/warmup-baseline.json`;
	for (let index = 0; index < 2; index++) {
		await new Inbox(ours).send({ from: 'warmup', text: String(index) });
		await baselineWrite(baseline, { from: 'warmup', text: String(index), timestamp: new Date().toISOString() });
	}
	await Promise.all([ours, baseline].map((file) => rm(file, { force: true })));
}
