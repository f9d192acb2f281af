import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileFresh, readRangeFresh } from '../src/fs/read-file.js';
import { tempDir } from './helpers/temp.js';

// The test directory is on the local disk (ext4 here), which opens with O_DIRECT but refuses unaligned reads.
describe('fresh reads on a local file system', () => {
	it('read the whole file and a range, whatever the direct-I/O rules of the file system', async () => {
		const file = path.join(tempDir(), 'inbox.json');
		const text = JSON.stringify(Array.from({ length: 3_000 }, (_, index) => ({ index })));
		writeFileSync(file, text);
		expect((await readFileFresh(file))?.toString('utf8')).toBe(text);
		expect((await readRangeFresh(file, 4_096, 100))?.toString('utf8')).toBe(text.slice(4_096, 4_196));
		expect(await readFileFresh(path.join(path.dirname(file), 'absent.json'))).toBeUndefined();
	});
});
