/** Directories below the teams root, created one segment at a time and proven not to be planted symbolic links. */

import path from 'node:path';
import { errors } from '../errors.js';
import { lstat, mkdir } from './fs-seam.js';

/**
Create `segments` below `root` (each with `mode`) and prove none of them is a symbolic link,
so a planted link cannot redirect our writes out of the root.
*/
export async function ensureDirectoryInRoot(root: string, segments: string[], mode: number): Promise<string> {
	await mkdir(root, { recursive: true, mode });
	let current = root;
	for (const segment of segments) {
		if (segment === '' || segment === '.' || segment === '..' || segment.includes('/')) {
			throw errors.unsafePath(path.join(current, segment), 'the path segment is not a plain name');
		}
		current = path.join(current, segment);
		await ensureDirectory(current, mode);
	}
	return current;
}

export async function assertRealDirectory(directory: string): Promise<void> {
	let stats: Awaited<ReturnType<typeof lstat>>;
	try {
		stats = await lstat(directory);
	} catch (error) {
		throw errors.io('inspect', directory, error);
	}
	if (stats.isSymbolicLink()) throw errors.unsafePath(directory, 'it is a symbolic link');
	if (!stats.isDirectory()) throw errors.unsafePath(directory, 'it is not a directory');
}

/** Create one directory (the parent must exist) and prove it is a real directory, not a planted link. */
export async function ensureDirectory(directory: string, mode: number): Promise<void> {
	try {
		await mkdir(directory, { mode });
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw errors.io('create directory', directory, error);
		await assertRealDirectory(directory);
	}
}
