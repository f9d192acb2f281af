import { constants, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
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

/** An open that failed: `undefined` for an absent file (the one "nothing there"), else the typed error. */
function openFailed(file: string, error: unknown): undefined {
	const code = (error as NodeJS.ErrnoException).code;
	if (code === 'ENOENT') return undefined;
	if (code === 'ELOOP') throw errors.unsafePath(file, 'it is a symbolic link');
	throw errors.io('read', file, error);
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
		return openFailed(file, error);
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

const freshFlags = noFollow | (constants.O_DIRECT ?? 0);
const chunkBytes = 65_536;

/**
Read a file on a network file system as the server has it now, without blocking the event loop. A cached read there
is cut at the size this client last saw (a longer file renamed into place by another machine reads as its first
bytes), and a cached stat can be seconds old, so: a fresh open, bypassing the client's page cache (`O_DIRECT`, measured
on sshfs: the other mount's rename seen in about 2 ms, against about 1 s through the cache), read until end of file
instead of up to the cached size. Falls back to a cached open where `O_DIRECT` is refused. `undefined` when absent.
*/
export async function readFileFresh(file: string): Promise<Buffer | undefined> {
	let handle: FileHandle;
	try {
		handle = await openFresh(file);
	} catch (error) {
		return openFailed(file, error);
	}
	try {
		const chunks: Buffer[] = [];
		let position = 0;
		for (;;) {
			const chunk = Buffer.allocUnsafeSlow(chunkBytes);
			const bytesRead = await readAt(handle, chunk, position, file, (buffered) => {
				handle = buffered;
			});
			if (bytesRead === 0) break;
			chunks.push(chunk.subarray(0, bytesRead));
			position += bytesRead;
		}
		return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw errors.unsafePath(file, 'it is not a regular file');
		throw errors.io('read', file, error);
	} finally {
		await handle.close().catch(() => {});
	}
}

/**
Up to `length` bytes from `position` (aligned down to 4 KiB), read fresh like `readFileFresh`: a poll's cheap look at
whether a file changed. `undefined` when the file is absent.
*/
export async function readRangeFresh(file: string, position: number, length: number): Promise<Buffer | undefined> {
	let handle: FileHandle;
	try {
		handle = await openFresh(file);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw errors.io('read', file, error);
	}
	try {
		const chunk = Buffer.allocUnsafeSlow(length);
		const bytesRead = await readAt(handle, chunk, position, file, (buffered) => {
			handle = buffered;
		});
		return chunk.subarray(0, bytesRead);
	} catch (error) {
		throw errors.io('read', file, error);
	} finally {
		await handle.close().catch(() => {});
	}
}

/**
Read into `chunk` at `position`. A file system that accepts `O_DIRECT` at open may still refuse the read (ext4 wants
the buffer aligned, which a Node buffer is not): read through a cached open instead, handed to `swap`.
*/
async function readAt(
	handle: FileHandle,
	chunk: Buffer,
	position: number,
	file: string,
	swap: (buffered: FileHandle) => void,
): Promise<number> {
	try {
		return (await handle.read(chunk, 0, chunk.length, position)).bytesRead;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
		const buffered = await open(file, noFollow);
		await handle.close().catch(() => {});
		swap(buffered);
		return (await buffered.read(chunk, 0, chunk.length, position)).bytesRead;
	}
}

async function openFresh(file: string): Promise<FileHandle> {
	try {
		return await open(file, freshFlags);
	} catch (error) {
		// No direct I/O on this file system (tmpfs, some FUSE servers): the read to end of file still beats the cut.
		if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
		return open(file, noFollow);
	}
}
