/**
"Another machine" for leadership tests: a forked fixture run in its own UTS and pid namespaces (`unshare`), so it has
its own host name and pid space, as a process on another machine would (its pid means nothing here, and ours nothing
there). The boot id stays this machine's, which the code does not need to tell the hosts apart (the pid space differs).
Needs root and `unshare` (util-linux). Under CI=true a missing part fails the test; locally `hostsUnavailable()` gives
the reason to skip with.
*/
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { repoRoot } from './fork.js';

/** Why separate hosts cannot be simulated here, or `undefined` when they can. */
export function hostsUnavailable(): string | undefined {
	if (process.platform !== 'linux') return 'host namespaces need Linux';
	try {
		execFileSync('unshare', ['--uts', '--pid', '--fork', 'sh', '-c', 'hostname probe-host'], { stdio: 'pipe' });
	} catch (error) {
		return `unshare --uts --pid cannot run here (${String((error as Error).message).split('\n')[0]})`;
	}
	return undefined;
}

/** For a `describe` block: skip locally with the reason, fail under CI=true. */
export function requireHosts(): { skip: boolean } {
	const reason = hostsUnavailable();
	if (!reason) return { skip: false };
	if (process.env.CI === 'true') throw new Error(`The cross-host tests need separate host namespaces: ${reason}`);
	console.warn(`Skipping the cross-host tests: ${reason}`);
	return { skip: true };
}

const onHost: ChildProcess[] = [];
/** The pid this side sees of each host process's node (reported by the fixture as `outerPid`). */
const outerPids = new Map<ChildProcess, number>();

/** Fork `script` (through tsx) as a process of host `host`: its own host name and pid namespace. */
export function forkOnHost(host: string, script: string, args: string[]): ChildProcess {
	const child = fork(script, args, {
		execPath: 'unshare',
		// sh sets the host name inside the new UTS namespace, then becomes node (keeping the IPC descriptor).
		execArgv: [
			'--uts',
			'--pid',
			'--fork',
			'sh',
			'-c',
			'hostname "$1" && shift && exec "$0" "$@"',
			process.execPath,
			host,
			'--import',
			'tsx',
		],
		cwd: repoRoot,
		stdio: 'inherit',
	});
	onHost.push(child);
	child.on('message', (message: { outerPid?: unknown }) => {
		if (typeof message.outerPid === 'number') outerPids.set(child, message.outerPid);
	});
	return child;
}

/** SIGKILL a host's node process (by the pid this side sees); its `unshare` parent then exits too. */
export async function killOnHost(child: ChildProcess): Promise<void> {
	const pid = outerPids.get(child);
	if (pid === undefined) throw new Error('the host process has not reported its outer pid yet');
	try {
		process.kill(pid, 'SIGKILL');
	} catch {
		// already gone
	}
	if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
}

/** Kill every host process still running (afterEach). */
export async function killHosts(): Promise<void> {
	for (const child of onHost.splice(0)) {
		if (child.exitCode !== null || child.signalCode !== null) continue;
		if (outerPids.has(child)) await killOnHost(child);
		else child.kill('SIGKILL');
	}
}
