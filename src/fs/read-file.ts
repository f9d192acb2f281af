import { constants, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { errors, isMailboxError } from '../errors.js';

export interface FileRead {
	bytes: Buffer;
	stats: Stats;
}

const noFollow = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
Read a file without following a symbolic link at its last component.
Returns `undefined` when the file does not exist: only ENOENT means "empty".
*/
export async function readFileNoFollow(file: string): Promise<FileRead | undefined> {
	let handle: FileHandle;
	try {
		handle = await open(file, noFollow);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') return undefined;
		if (code === 'ELOOP') throw errors.unsafePath(file, 'it is a symbolic link');
		throw errors.io('read', file, error);
	}
	try {
		const stats = await handle.stat();
		if (!stats.isFile()) throw errors.unsafePath(file, 'it is not a regular file');
		return { bytes: await handle.readFile(), stats };
	} catch (error) {
		if (isMailboxError(error)) throw error;
		throw errors.io('read', file, error);
	} finally {
		await handle.close();
	}
}
