import { constants, type Stats } from 'node:fs';
import { errors, isMailboxError } from '../errors.js';
import { closeSync, fstatSync, openSync, readFileSync } from './fs-seam.js';

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
	return readFileNoFollowSync(file);
}

/**
The same, synchronously. Inbox files are small local files read inside short critical sections, where the
thread-pool round trip of each async call (open, stat, read, close) costs more than the reads themselves.
*/
export function readFileNoFollowSync(file: string): FileRead | undefined {
	let fd: number;
	try {
		fd = openSync(file, noFollow);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') return undefined;
		if (code === 'ELOOP') throw errors.unsafePath(file, 'it is a symbolic link');
		throw errors.io('read', file, error);
	}
	try {
		const stats = fstatSync(fd);
		if (!stats.isFile()) throw errors.unsafePath(file, 'it is not a regular file');
		return { bytes: readFileSync(fd), stats };
	} catch (error) {
		if (isMailboxError(error)) throw error;
		throw errors.io('read', file, error);
	} finally {
		try {
			closeSync(fd);
		} catch {
			// A read-only descriptor: the bytes are read, and a failed close has released it all the same.
		}
	}
}
