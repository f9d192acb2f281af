/**
`request` and `request-network`: ask the lead as a worker would (through the Worker class), wait for the answer, and
print it as JSON on stdout. Exit 0 on allow, 1 on deny or timeout (or when stopped by a signal), 2 on error.
*/

import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { errors } from '../errors.js';
import { isValidHost } from '../policy/host-pattern.js';
import { LeadVerifier } from '../protocol/signing.js';
import type { Team } from '../team/team.js';
import { Worker, type WorkerOptions } from '../worker/worker.js';
import { openTeam, parseJsonObject, parseMs, requireMember, stopSignal, withAnyName } from './context.js';
import { exitCodes, writeJson } from './output.js';

interface WorkerFlags {
	as: string;
	anyName?: boolean;
	timeout?: string;
	leadVerifyKey?: string;
}

/** The worker's options, checked before any file is touched. */
function workerOptions(flags: WorkerFlags): WorkerOptions {
	return {
		name: flags.as,
		...(flags.timeout === undefined ? {} : { timeoutMs: parseMs('--timeout', flags.timeout) }),
		...(flags.leadVerifyKey === undefined ? {} : { verifier: new LeadVerifier(flags.leadVerifyKey) }),
	};
}

/** Run one ask with a worker that is closed afterwards; the process exits 0 on allow, 1 otherwise. */
async function ask<T>(worker: Worker, run: (signal: AbortSignal) => Promise<T>, allowed: (outcome: T) => boolean) {
	try {
		const outcome = await run(stopSignal());
		writeJson(outcome);
		process.exitCode = allowed(outcome) ? exitCodes.ok : exitCodes.denied;
	} finally {
		await worker.close();
	}
}

/** The team, once `--as` is known to be on its roster (or `--any-name`). */
async function askingTeam(self: Command, teamName: string, flags: WorkerFlags): Promise<Team> {
	const team = await openTeam(self, teamName);
	await requireMember(team, '--as', flags.as, flags.anyName);
	return team;
}

function withWorkerOptions(command: Command): Command {
	return withAnyName(command)
		.argument('<team>', 'team name')
		.requiredOption('--as <worker>', 'the asking worker (its inbox receives the answer)')
		.option('--timeout <ms>', 'deny if the lead has not answered within this many ms (default 120000)')
		.option('--lead-verify-key <key>', "accept only answers signed with this key (the lead's --signing-key)");
}

export function requestCommand(): Command {
	return withWorkerOptions(new Command('request'))
		.description("ask the team lead for permission to run a tool; prints the lead's decision as JSON")
		.requiredOption('--tool <name>', 'tool name, e.g. Bash')
		.requiredOption('--input <json>', 'tool input as a JSON object, e.g. \'{"command":"npm test"}\'')
		.option('--description <text>', 'what the call is for, shown to the lead')
		.option('--tool-use-id <id>', 'the tool call id (default: a fresh toolu_cli_… id)')
		.action(async (teamName: string, flags: RequestFlags, self: Command) => {
			const input = parseJsonObject('--input', flags.input);
			const options = workerOptions(flags);
			const worker = new Worker(await askingTeam(self, teamName, flags), options);
			const toolUseId = flags.toolUseId ?? `toolu_cli_${randomBytes(12).toString('hex')}`;
			const call = { toolName: flags.tool, toolUseId, input, description: flags.description ?? '' };
			await ask(
				worker,
				(signal) => worker.requestPermission(call, { signal }),
				(outcome) => outcome.behavior === 'allow',
			);
		});
}

interface RequestFlags extends WorkerFlags {
	tool: string;
	input: string;
	description?: string;
	toolUseId?: string;
}

export function requestNetworkCommand(): Command {
	return withWorkerOptions(new Command('request-network'))
		.description('ask the team lead for sandbox network access to one host; prints the decision as JSON')
		.requiredOption('--host <host>', 'host name, e.g. registry.npmjs.org')
		.action(async (teamName: string, flags: WorkerFlags & { host: string }, self: Command) => {
			// Checked here too, so a URL or a host with a port fails at once instead of waiting for the lead's refusal.
			if (!isValidHost(flags.host))
				throw errors.invalidArgument('--host', 'one host name, e.g. registry.npmjs.org', flags.host);
			const options = workerOptions(flags);
			const worker = new Worker(await askingTeam(self, teamName, flags), options);
			await ask(
				worker,
				(signal) => worker.requestNetworkAccess(flags.host, { signal }),
				(outcome) => outcome.allow,
			);
		});
}
