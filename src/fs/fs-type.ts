/**
Which file system a directory lives on, and whether it is shared over a network. On a network file system another
machine's writes reach this one only through the client's caches: OS notifications never see them, a stat can answer
from an attribute cache for seconds (sshfs: 20 s), and a read is cut at the cached size. Such a directory is watched by
polling its content (see `readFileFresh`), and its locks are judged on this machine's clock only.
*/

import { readFile, statfs } from 'node:fs/promises';
import path from 'node:path';

export interface FileSystemInfo {
	/** The kernel's name of it: `ext4`, `tmpfs`, `nfs`, `nfs4`, `cifs`, `smb3`, `fuse.sshfs`, `9p`, …; `unknown` if unreadable. */
	type: string;
	/** Shared with other machines (or possibly so: any FUSE file system): poll, read fresh, judge locks by observation. */
	network: boolean;
	/**
	How long this client may answer a stat from its attribute cache, in ms: a change made on another machine (a lock's
	refreshed mtime) can stay unseen this long. From the mount options where they say it (NFS `acdirmax`/`actimeo`),
	else the client's default (sshfs: 20 s plus the kernel's 1 s), else 60 s (NFS's default `acdirmax`); 0 locally.
	`SWARM_MAILBOX_ATTRIBUTE_CACHE_MS` overrides it.
	*/
	attributeCacheMs: number;
	/** The mount point, when the mount table says (Linux). */
	mountPoint?: string;
}

/** statfs `f_type` magic numbers (linux/magic.h) of the file systems that matter here. */
const magic = new Map<number, string>([
	[0xef53, 'ext4'],
	[0x01021994, 'tmpfs'],
	[0x58465342, 'xfs'],
	[0x9123683e, 'btrfs'],
	[0x794c7630, 'overlay'],
	[0x6969, 'nfs'],
	[0xff534d42, 'cifs'],
	[0xfe534d42, 'smb2'],
	[0x517b, 'smb'],
	[0x01021997, '9p'],
	[0x65735546, 'fuse'],
	[0x65735543, 'fusectl'],
	[0x0bd00bd0, 'lustre'],
	[0x47504653, 'gpfs'],
	[0x00c36400, 'ceph'],
	[0x6a656a63, 'fakeowner'],
	[0x786f4256, 'vboxsf'],
]);

const networkTypes =
	/^(nfs\d?|cifs|smb\d?|smbfs|9p|fuse(\..*)?|fuseblk|sshfs|ceph|lustre|gpfs|afs|glusterfs|vboxsf|virtiofs|davfs|fakeowner)$/;

/** Whether a file-system type name (statfs or mount table) is shared over a network. */
export function isNetworkType(type: string): boolean {
	return networkTypes.test(type);
}

/** The `/proc/self/mountinfo` entry whose mount point holds `directory` most closely (Linux only). */
interface MountEntry {
	mountPoint: string;
	type: string;
	options: string;
}

async function mountEntryOf(directory: string): Promise<MountEntry | undefined> {
	let table: string;
	try {
		table = await readFile('/proc/self/mountinfo', 'utf8');
	} catch {
		return undefined;
	}
	let best: MountEntry | undefined;
	for (const line of table.split('\n')) {
		// id parent major:minor root mountPoint options [optional fields] - type source superOptions
		const fields = line.split(' ');
		const separator = fields.indexOf('-');
		const mountPoint = fields[4]?.replace(/\\([0-7]{3})/g, (_, code: string) =>
			String.fromCharCode(Number.parseInt(code, 8)),
		);
		const type = fields[separator + 1];
		if (separator < 0 || mountPoint === undefined || type === undefined) continue;
		const inside = mountPoint === '/' || directory === mountPoint || directory.startsWith(`${mountPoint}/`);
		const options = `${fields[5] ?? ''},${fields[separator + 3] ?? ''}`;
		if (inside && (!best || mountPoint.length >= best.mountPoint.length)) best = { mountPoint, type, options };
	}
	return best;
}

const known = new Map<string, Promise<FileSystemInfo>>();
/** Mount points of the network file systems detected so far (see `onKnownNetworkFileSystem`). */
const networkMounts = new Set<string>();

/**
The file system of `directory` (or of its nearest existing ancestor), looked up once per directory. The mount table
names FUSE file systems precisely (`fuse.sshfs`); statfs alone says only `fuse`. `SWARM_MAILBOX_NETWORK_FS=1` (or `0`)
overrides the detection, for a file system it does not know.
*/
export function fileSystemOf(directory: string): Promise<FileSystemInfo> {
	const resolved = path.resolve(directory);
	let info = known.get(resolved);
	if (!info) {
		info = detect(resolved);
		known.set(resolved, info);
		void info.then((detected) => {
			if (detected.network) networkMounts.add(detected.mountPoint ?? resolved);
		});
	}
	return info;
}

/** Treat `directory` and everything under it as on a network file system from now on (see `judgeLocksByObservation`). */
export function markNetworkDirectory(directory: string): void {
	networkMounts.add(path.resolve(directory));
}

/**
Whether `directory` lies on a network file system detected (or marked) already (by any lookup on the same mount): for callers
that choose a way of doing I/O per call and cannot wait for a detection. `false` until one has been made.
*/
export function onKnownNetworkFileSystem(directory: string): boolean {
	if (networkMounts.size === 0) return false;
	for (const mount of networkMounts) {
		if (directory === mount || directory.startsWith(mount.endsWith('/') ? mount : `${mount}/`)) return true;
	}
	return false;
}

/** The answer for `directory` if it was looked up already (synchronous callers), else `undefined`. */
export function knownFileSystemOf(directory: string): Promise<FileSystemInfo> | undefined {
	return known.get(path.resolve(directory));
}

async function detect(directory: string): Promise<FileSystemInfo> {
	let target = directory;
	let type = 'unknown';
	for (;;) {
		try {
			const stats = await statfs(target);
			type = magic.get(stats.type) ?? `0x${stats.type.toString(16)}`;
			break;
		} catch {
			const parent = path.dirname(target);
			if (parent === target) break;
			target = parent;
		}
	}
	const entry = await mountEntryOf(target);
	if (entry && (type === 'fuse' || type === 'unknown' || type.startsWith('0x'))) type = entry.type;
	const override = process.env.SWARM_MAILBOX_NETWORK_FS;
	const network = override === '1' ? true : override === '0' ? false : isNetworkType(type);
	const attributeCacheMs = network ? attributeCacheOf(type, entry?.options ?? '') : 0;
	return entry
		? { type, network, attributeCacheMs, mountPoint: entry.mountPoint }
		: { type, network, attributeCacheMs };
}

function attributeCacheOf(type: string, options: string): number {
	const override = Number(process.env.SWARM_MAILBOX_ATTRIBUTE_CACHE_MS);
	if (process.env.SWARM_MAILBOX_ATTRIBUTE_CACHE_MS && Number.isFinite(override) && override >= 0) return override;
	const option = (name: string) => {
		const match = new RegExp(`(?:^|,)${name}=(\\d+)`).exec(options);
		return match ? Number(match[1]) * 1000 : undefined;
	};
	if (/(?:^|,)noac(?:,|$)/.test(options)) return 1_000;
	const nfs = option('acdirmax') ?? option('actimeo');
	if (nfs !== undefined) return nfs + 1_000;
	if (type === 'fuse.sshfs') return 21_000;
	return 60_000;
}
