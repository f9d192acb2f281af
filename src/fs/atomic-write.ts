import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { errors } from '../errors.js';

export interface AtomicWriteOptions {
	/**
	File mode of the new file (it replaces the old one, so this is the final mode).
	@default 0o600
	*/
	mode?: number;
	/**
	Flush the data and the directory entry to disk before resolving.
	@default true
	*/
	fsync?: boolean;
	/** Last check before the rename makes the write visible; throwing here abandons the write. */
	beforeCommit?: () => void;
}

// Same temp-name shape Claude Code uses, so both sides' cleanup and watch filters recognise it.
const tempPattern = /\.tmp\.[0-9a-f]{8}$/;

export function isTempFile(fileName: string): boolean {
	return tempPattern.test(fileName);
}

/**
Replace `target` so that readers see either the old or the new bytes, never a mix:
temp file in the same directory, fsync, rename, fsync of the directory.
*/
export async function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}) {
	const { mode = 0o600, fsync = true, beforeCommit } = options;
	const temp = `${target}.tmp.${randomBytes(4).toString('hex')}`;
	let handle: FileHandle | undefined;
	try {
		handle = await open(temp, 'wx', mode);
		await handle.writeFile(data);
		if (fsync) await handle.sync();
		await handle.close();
		handle = undefined;
		beforeCommit?.();
		await rename(temp, target);
	} catch (error) {
		await handle?.close().catch(() => {});
		await unlink(temp).catch(() => {});
		if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('E')) {
			throw errors.io('write', target, error);
		}
		throw error;
	}
	if (fsync) await fsyncDirectory(path.dirname(target));
}

/** Make a rename or create inside `directory` durable. */
export async function fsyncDirectory(directory: string): Promise<void> {
	const handle = await open(directory, 'r');
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}

/** Create a new file that must not exist yet (used for quarantine copies); durable on return. */
export async function writeNewFile(target: string, data: Uint8Array, mode = 0o600): Promise<void> {
	let handle: FileHandle | undefined;
	try {
		handle = await open(target, 'wx', mode);
		await handle.writeFile(data);
		await handle.sync();
	} catch (error) {
		throw errors.io('create', target, error);
	} finally {
		await handle?.close();
	}
	await fsyncDirectory(path.dirname(target));
}
