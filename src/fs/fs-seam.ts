/**
The file-system seam: the fs primitives (atomic write, no-follow read, lock), the spool, the pending journal and the
audit log make their calls through these bindings, so a test can make any step fail (ENOSPC, EACCES, EIO, …) in this
process. With no injector installed each binding is the `node:fs` function itself (an ESM live binding: no wrapper,
no allocation per call); `setFileSystemFaults` swaps in checking wrappers and back. Test-only: not exported from the
package entry.
*/

import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { promisify } from 'node:util';

/** The step a call performs; calls on a descriptor are named by the path it was opened with. */
export type FileSystemOp =
	| 'open'
	| 'read'
	| 'write'
	| 'fsync'
	| 'close'
	| 'stat'
	| 'rename'
	| 'link'
	| 'unlink'
	| 'readdir'
	| 'mkdir'
	| 'rmdir'
	| 'utimes'
	| 'watch';

/**
Returns the error a call must fail with, `{delayMs}` to make it slow (a stalled server: a synchronous call blocks its
thread, the event loop, for that long; an asynchronous one only waits), or `undefined` to let it run. Called before the
real call.
*/
export type FileSystemFaults = (op: FileSystemOp, path: string) => Error | { delayMs: number } | undefined;

const blocker = new Int32Array(new SharedArrayBuffer(4));

const direct = {
	openSync: fs.openSync,
	closeSync: fs.closeSync,
	readFileSync: fs.readFileSync,
	writeFileSync: fs.writeFileSync,
	writeSync: fs.writeSync,
	readSync: fs.readSync,
	fstatSync: fs.fstatSync,
	statSync: fs.statSync,
	renameSync: fs.renameSync,
	linkSync: fs.linkSync,
	unlinkSync: fs.unlinkSync,
	rmSync: fs.rmSync,
	readdirSync: fs.readdirSync,
	mkdirSync: fs.mkdirSync,
	rmdirSync: fs.rmdirSync,
	utimesSync: fs.utimesSync,
	fsync: promisify(fs.fsync),
	unlink: fsp.unlink,
	readdir: fsp.readdir,
	stat: fsp.stat,
	existsSync: fs.existsSync,
	watch: fs.watch,
	lstat: fsp.lstat,
	mkdir: fsp.mkdir,
	open: fsp.open,
	readFile: fsp.readFile,
	openFd: promisify(fs.open),
	writeFd: promisify(fs.writeFile) as (fd: number, data: string | Uint8Array) => Promise<void>,
	close: promisify(fs.close),
	rename: fsp.rename,
	link: fsp.link,
};

export let openSync = direct.openSync;
export let closeSync = direct.closeSync;
export let readFileSync = direct.readFileSync;
export let writeFileSync = direct.writeFileSync;
/** One `write(2)` (appends to an `O_APPEND` descriptor must not be split). */
export let writeSync = direct.writeSync;
/** One `read(2)` at a position (a log read from where the last read stopped). */
export let readSync = direct.readSync;
export let fstatSync = direct.fstatSync;
export let statSync = direct.statSync;
export let renameSync = direct.renameSync;
export let linkSync = direct.linkSync;
export let unlinkSync = direct.unlinkSync;
export let rmSync = direct.rmSync;
export let readdirSync = direct.readdirSync;
export let mkdirSync = direct.mkdirSync;
/** fsync of a descriptor, on the thread pool (the only step that can take milliseconds). */
export let fsync = direct.fsync;
export let unlink = direct.unlink;
export let readdir = direct.readdir;
export let stat = direct.stat;
/** Like `fs.existsSync`: an injected `stat` fault reads as "absent", as any error does there. */
export let existsSync = direct.existsSync;
/**
`fs.watch`. It throws synchronously when the kernel refuses a watch (ENOSPC once the inotify watch limit is used up,
EMFILE), so every caller must treat a throw as "no hint" and fall back to its timed poll.
*/
export let watch = direct.watch;
export let lstat = direct.lstat;
export let mkdir = direct.mkdir;
/** `fs.promises.open` (a `FileHandle`; its reads are not seen by an injector, only the open). */
export let open = direct.open;
export let readFile = direct.readFile;
/** `fs.open` as a promise of a descriptor (the atomic write's temp file, off the event loop). */
export let openFd = direct.openFd;
/** `fs.writeFile` on a descriptor, as a promise. */
export let writeFd = direct.writeFd;
export let close = direct.close;
export let rename = direct.rename;
export let link = direct.link;

/**
What proper-lockfile calls (lock.ts wraps these `…Sync` forms in the callback-style `fs` it passes). It looks them up on
this object at each call, so swapping them here reaches locks already held (their mtime refreshes, their release).
*/
export const lockFileSystem = {
	mkdirSync: direct.mkdirSync,
	statSync: direct.statSync,
	rmdirSync: direct.rmdirSync,
	utimesSync: direct.utimesSync,
	realpathSync: fs.realpathSync,
	/** The asynchronous forms, for locks on a network file system (a slow server must not stall the refresh). */
	mkdir: fsp.mkdir as (target: string) => Promise<unknown>,
	stat: fsp.stat as (target: string) => Promise<fs.Stats>,
	rmdir: fsp.rmdir,
	utimes: fsp.utimes,
};

/** Paths of descriptors opened while an injector is installed, to name the file of fd-based calls. */
const openFiles = new Map<number, string>();

function pathOf(target: fs.PathLike | number): string {
	return typeof target === 'number' ? (openFiles.get(target) ?? `<fd ${target}>`) : String(target);
}

/**
Install `faults` (or remove it with `undefined`). Every later call of the bindings above asks it first and throws
(or rejects with) the error it returns. Test-only.
*/
export function setFileSystemFaults(faults: FileSystemFaults | undefined): void {
	openFiles.clear();
	if (!faults) {
		({ openSync, closeSync, readFileSync, writeFileSync, writeSync, fstatSync, statSync, renameSync } = direct);
		({ linkSync, unlinkSync, rmSync, readdirSync, fsync, unlink, readdir, stat } = direct);
		({ existsSync, watch, lstat, mkdir, open, readFile, mkdirSync, readSync } = direct);
		({ openFd, writeFd, close, rename, link } = direct);
		Object.assign(lockFileSystem, {
			mkdirSync: direct.mkdirSync,
			statSync: direct.statSync,
			rmdirSync: direct.rmdirSync,
			utimesSync: direct.utimesSync,
			mkdir: fsp.mkdir,
			stat: fsp.stat,
			rmdir: fsp.rmdir,
			utimes: fsp.utimes,
		});
		return;
	}
	const check = (op: FileSystemOp, target: fs.PathLike | number) => {
		const fault = faults(op, pathOf(target));
		if (fault instanceof Error) throw fault;
		if (fault) Atomics.wait(blocker, 0, 0, fault.delayMs);
	};
	const checkAsync = async (op: FileSystemOp, target: fs.PathLike | number) => {
		const fault = faults(op, pathOf(target));
		if (fault instanceof Error) throw fault;
		if (fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
	};
	/** A sync call that fails first when the injector says so; `op` and the target come from its first argument. */
	const sync = <F extends (...args: never[]) => unknown>(op: FileSystemOp, call: F): F =>
		((...args: Parameters<F>) => {
			check(op, args[0] as unknown as fs.PathLike | number);
			return call(...args);
		}) as F;
	const async = <F extends (...args: never[]) => Promise<unknown>>(op: FileSystemOp, call: F): F =>
		(async (...args: Parameters<F>) => {
			await checkAsync(op, args[0] as unknown as fs.PathLike | number);
			return call(...args);
		}) as F;

	openSync = (target: fs.PathLike, flags: fs.OpenMode, mode?: fs.Mode | null) => {
		check('open', target);
		const fd = direct.openSync(target, flags, mode);
		openFiles.set(fd, String(target));
		return fd;
	};
	closeSync = (fd: number) => {
		check('close', fd);
		openFiles.delete(fd);
		direct.closeSync(fd);
	};
	readFileSync = sync('read', direct.readFileSync);
	writeFileSync = sync('write', direct.writeFileSync);
	writeSync = sync('write', direct.writeSync);
	readSync = sync('read', direct.readSync);
	fstatSync = sync('stat', direct.fstatSync);
	statSync = sync('stat', direct.statSync);
	renameSync = sync('rename', direct.renameSync);
	linkSync = sync('link', direct.linkSync);
	unlinkSync = sync('unlink', direct.unlinkSync);
	rmSync = sync('unlink', direct.rmSync);
	readdirSync = sync('readdir', direct.readdirSync);
	mkdirSync = sync('mkdir', direct.mkdirSync);
	fsync = async('fsync', direct.fsync);
	unlink = async('unlink', direct.unlink);
	readdir = async('readdir', direct.readdir);
	stat = async('stat', direct.stat);
	existsSync = (target: fs.PathLike) => {
		const fault = faults('stat', pathOf(target));
		if (fault && !(fault instanceof Error)) Atomics.wait(blocker, 0, 0, fault.delayMs);
		return !(fault instanceof Error) && direct.existsSync(target);
	};
	watch = sync('watch', direct.watch);
	lstat = async('stat', direct.lstat);
	mkdir = async('mkdir', direct.mkdir);
	open = async('open', direct.open);
	readFile = async(
		'read',
		direct.readFile as (target: fs.PathLike | number, ...rest: unknown[]) => Promise<unknown>,
	) as typeof direct.readFile;
	openFd = async (target: fs.PathLike, flags: fs.OpenMode, mode?: fs.Mode | null) => {
		await checkAsync('open', target);
		const fd = await direct.openFd(target, flags, mode);
		openFiles.set(fd, String(target));
		return fd;
	};
	writeFd = async('write', direct.writeFd);
	close = async (fd: number) => {
		await checkAsync('close', fd);
		openFiles.delete(fd);
		await direct.close(fd);
	};
	rename = async('rename', direct.rename);
	link = async('link', direct.link);
	Object.assign(lockFileSystem, {
		mkdirSync: sync('mkdir', direct.mkdirSync),
		statSync: sync('stat', direct.statSync),
		rmdirSync: sync('rmdir', direct.rmdirSync),
		utimesSync: sync('utimes', direct.utimesSync),
		mkdir: async('mkdir', fsp.mkdir),
		stat: async('stat', fsp.stat),
		rmdir: async('rmdir', fsp.rmdir),
		utimes: async('utimes', fsp.utimes),
	});
}
