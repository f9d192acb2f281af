/**
A real network file system for the tests: one exported directory served by a private OpenSSH server on 127.0.0.1,
mounted twice through sshfs. Each mount plays one machine (each sshfs process keeps its own caches, as two clients
would), with default sshfs caching unless `options` says otherwise. The server runs from a throwaway directory with its
own host key, client key and config, on a free port; the system's sshd and its config are never touched.

Needs root, /dev/fuse, `sshfs` and `sshd` (`.ci/run` installs them). Under CI=true a missing part fails the test;
locally `sshfsUnavailable()` gives the reason to skip with.
*/

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SshfsPair {
	/** The directory both mounts show (the server's side). */
	export: string;
	/** Mount A ("machine A"). */
	a: string;
	/** Mount B ("machine B"). */
	b: string;
	/** Mount one more client of the export with these sshfs `-o` options; unmounted with the pair. */
	mount(name: string, options?: string[]): Promise<string>;
	unmount(): Promise<void>;
}

const sshd = '/usr/sbin/sshd';

/** Why the pair cannot be mounted here, or `undefined` when it can. */
export function sshfsUnavailable(): string | undefined {
	if (process.platform !== 'linux') return 'sshfs mounts need Linux';
	if (process.getuid?.() !== 0) return 'sshfs mounts need root here';
	if (!existsSync('/dev/fuse')) return 'no /dev/fuse';
	for (const binary of ['sshfs', 'ssh-keygen', 'fusermount3']) {
		try {
			execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
		} catch {
			return `${binary} is not installed (apt-get install -y sshfs openssh-server)`;
		}
	}
	if (!existsSync(sshd)) return `${sshd} is not installed (apt-get install -y openssh-server)`;
	return undefined;
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

/** Start the server and mount the export twice. Throws (with the server's log) when it cannot. */
export async function mountSshfsPair(options: string[] = []): Promise<SshfsPair> {
	const base = mkdtempSync(path.join(tmpdir(), 'swarm-mailbox-sshfs-'));
	const keys = path.join(base, 'keys');
	const exported = path.join(base, 'export');
	mkdirSync(keys, { mode: 0o700 });
	mkdirSync(exported, { mode: 0o700 });
	mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation directory
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keys, 'host')]);
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keys, 'client')]);
	writeFileSync(path.join(keys, 'authorized_keys'), readFileSync(path.join(keys, 'client.pub')), { mode: 0o600 });
	const port = await freePort();
	const config = path.join(keys, 'sshd_config');
	writeFileSync(
		config,
		[
			`Port ${port}`,
			'ListenAddress 127.0.0.1',
			`HostKey ${path.join(keys, 'host')}`,
			`AuthorizedKeysFile ${path.join(keys, 'authorized_keys')}`,
			`PidFile ${path.join(keys, 'sshd.pid')}`,
			'StrictModes no',
			'PermitRootLogin prohibit-password',
			'PasswordAuthentication no',
			'KbdInteractiveAuthentication no',
			'UsePAM no',
			'MaxStartups 64',
			'MaxSessions 64',
			'Subsystem sftp internal-sftp',
			'',
		].join('\n'),
	);
	const log = path.join(keys, 'sshd.log');
	// -D: stays a child of ours (killed by pid at unmount); -e -E: its log in our directory.
	const server = spawn(sshd, ['-D', '-f', config, '-E', log], { stdio: 'ignore', detached: false });
	const serverExit = new Promise<number | null>((resolve) => server.once('exit', resolve));
	const mounts: string[] = [];
	const mount = async (name: string, extra: string[] = options): Promise<string> => {
		const point = path.join(base, name);
		mkdirSync(point, { recursive: true });
		const args = [
			`root@127.0.0.1:${exported}`,
			point,
			'-p',
			String(port),
			'-o',
			[
				`IdentityFile=${path.join(keys, 'client')}`,
				'StrictHostKeyChecking=no',
				'UserKnownHostsFile=/dev/null',
				'BatchMode=yes',
				'LogLevel=ERROR',
				...extra,
			].join(','),
		];
		let lastError: unknown;
		for (let attempt = 0; attempt < 40; attempt++) {
			try {
				execFileSync('sshfs', args, { stdio: 'pipe', timeout: 15_000 });
				mounts.push(point);
				return point;
			} catch (error) {
				lastError = error;
				await sleep(100); // the server may still be starting
			}
		}
		const serverLog = existsSync(log) ? readFileSync(log, 'utf8') : '(no server log)';
		throw new Error(`sshfs could not mount ${point}: ${String((lastError as Error).message)}\n${serverLog}`);
	};
	const unmount = async () => {
		for (const point of mounts.splice(0).reverse()) {
			for (let attempt = 0; attempt < 20; attempt++) {
				try {
					execFileSync('fusermount3', ['-u', point], { stdio: 'pipe' });
					break;
				} catch {
					// busy (a killed child's descriptor not closed yet): lazily after a few tries
					if (attempt === 10) execFileSync('fusermount3', ['-uz', point], { stdio: 'ignore' });
					await sleep(100);
				}
			}
		}
		server.kill('SIGTERM');
		await Promise.race([serverExit, sleep(2_000)]);
		rmSync(base, { recursive: true, force: true });
	};
	try {
		const a = await mount('a');
		const b = await mount('b');
		return { export: exported, a, b, mount, unmount };
	} catch (error) {
		await unmount();
		throw error;
	}
}

/**
For a `describe` block: the reason to skip locally, or a failure under CI=true (a missing network file system there is
a broken machine, not a reason to skip). Call at module level.
*/
export function requireSshfs(): { skip: boolean; reason?: string } {
	const reason = sshfsUnavailable();
	if (!reason) return { skip: false };
	if (process.env.CI === 'true') throw new Error(`The network file system tests need sshfs: ${reason}`);
	console.warn(`Skipping the network file system tests: ${reason}`);
	return { skip: true, reason };
}
