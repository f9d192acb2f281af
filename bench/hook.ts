/**
The Claude Code hook's cost per tool call: `swarm-mailbox hook` timed from spawn to exit, as Claude Code runs it (the
hook input on stdin, the decision on stdout), for a call its `--policy` decides locally and for one a running lead
decides (its policy allows Bash), beside `node -e 0` measured in the same rounds. The command is the one the package's
`bin` runs, bundled as `prepare` ships it (see shipped-cli.ts). The three are interleaved, one of each per round, so a
busy moment of the machine weighs on all of them alike.
*/

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Team } from '../src/index.js';
import { nextMessage } from '../test/helpers/fork.js';
import { type BenchContext, stop } from './context.js';
import type { SectionResult } from './results.js';
import { shippedCli } from './shipped-cli.js';
import { fixed, median, percentile, ratio } from './stats.js';

const repo = path.join(import.meta.dirname, '..');

interface Run {
	ms: number;
	code: number | null;
	stdout: string;
}

/** Spawn `node …args` with `stdin` written, and time it to its exit. */
function timed(args: string[], stdin: string): Promise<Run> {
	return new Promise((resolve, reject) => {
		const started = performance.now();
		const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
		let stdout = '';
		child.stdout.setEncoding('utf8').on('data', (text: string) => {
			stdout += text;
		});
		child.once('error', reject);
		child.once('close', (code) => resolve({ ms: performance.now() - started, code, stdout }));
		child.stdin.end(stdin);
	});
}

const hookInput = (toolName: string, toolInput: Record<string, unknown>, id: string) =>
	JSON.stringify({
		session_id: 'bench',
		transcript_path: '/dev/null',
		cwd: repo,
		permission_mode: 'default',
		hook_event_name: 'PreToolUse',
		tool_name: toolName,
		tool_input: toolInput,
		tool_use_id: id,
	});

export async function hookCalls(ctx: BenchContext): Promise<SectionResult> {
	const rounds = ctx.quick ? 8 : 40;
	const cli = shippedCli();
	const root = ctx.freshDir('hook');
	await Team.create('alpha', { root, members: [{ name: 'ann' }] });
	const policy = path.join(root, 'hook-policy.json');
	writeFileSync(policy, JSON.stringify({ allow: ['Read', 'Grep', 'Glob'] }));
	const lead = ctx.fork(ctx.bundle.leader, [root, 'alpha', '0']);
	const hookArgs = [cli.main, '--root', root, 'hook', '--team', 'alpha', '--as', 'ann', '--timeout', '20000'];
	const kinds = {
		node: { label: '`node -e 0` (reference)', samples: [] as number[] },
		local: { label: 'hook, decided by its `--policy`', samples: [] as number[] },
		lead: { label: 'hook, decided by the running lead', samples: [] as number[] },
	};
	try {
		await nextMessage(lead, 'ready');
		// One unmeasured round first: the file system cache and the lead's first answer.
		for (let round = -1; round < rounds; round++) {
			const bare = await timed(['-e', '0'], '');
			const local = await timed(
				[...hookArgs, '--policy', policy],
				hookInput('Read', { file_path: path.join(repo, 'README.md') }, `toolu_bench_local_${round}`),
			);
			const asked = await timed(hookArgs, hookInput('Bash', { command: `echo ${round}` }, `toolu_bench_lead_${round}`));
			if (!/"permissionDecision":"allow".*hook's policy/.test(local.stdout) || local.code !== 0) {
				ctx.fail(`hook (local policy) round ${round}: exit ${local.code}, ${local.stdout.trim() || 'no output'}`);
			}
			if (!/"permissionDecision":"allow".*Allowed by the team lead/.test(asked.stdout) || asked.code !== 0) {
				ctx.fail(`hook (lead) round ${round}: exit ${asked.code}, ${asked.stdout.trim() || 'no output'}`);
			}
			if (round < 0) continue;
			kinds.node.samples.push(bare.ms);
			kinds.local.samples.push(local.ms);
			kinds.lead.samples.push(asked.ms);
		}
	} finally {
		await stop(lead);
		cli.remove();
	}
	const reference = median(kinds.node.samples);
	const rows = Object.values(kinds).map(({ label, samples }) => [
		label,
		samples.length,
		fixed(median(samples), 1),
		fixed(percentile(samples, 0.9), 1),
		ratio(median(samples), reference),
	]);
	const localRatio = median(kinds.local.samples) / reference;
	const leadRatio = median(kinds.lead.samples) / reference;
	return {
		section: {
			title: '8. Claude Code hook per tool call',
			intro: [
				'`swarm-mailbox hook` (a `PreToolUse` input on stdin), timed from spawn to exit, one of each per round.',
				'Ms; the ratio is p50 over the p50 of `node -e 0` in the same rounds.',
			].join(' '),
			headers: ['process', 'runs', 'p50', 'p90', 'p50 / node -e 0'],
			rows,
			notes: [
				'The locally decided call loads the command line, the hook adapter and the policy rules, not the mailbox.',
				'The lead-decided call also opens the team, watches the inbox, writes the request and waits for the answer.',
			],
		},
		goals: [
			{
				goal: 'hook decided by its --policy: p50 at most 3× `node -e 0` (the bound of a policy-allowed `request`)',
				measured: `${localRatio.toFixed(2)}×`,
				met: localRatio <= 3,
			},
			{
				goal: 'hook decided by a running lead: p50 at most 3× `node -e 0` (as a policy-allowed `request`)',
				measured: `${leadRatio.toFixed(2)}×`,
				met: leadRatio <= 3,
			},
		],
	};
}
