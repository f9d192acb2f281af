/**
`request` and `request-network`: ask the lead as a worker would (through the Worker class), wait for the answer, and
print it as JSON on stdout. Exit 0 on allow, 1 on deny or timeout (or when stopped by a signal), 2 on error.
*/

import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { LeadVerifier } from '../protocol/signing.js';
import { Worker, type WorkerOptions } from '../worker/worker.js';
import { openTeam, parseJsonObject, parseMs, stopSignal } from './context.js';
import { exitCodes, writeJson } from './output.js';

interface WorkerFlags {
	as: string;
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

function withWorkerOptions(command: Command): Command {
	return command
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
			const worker = new Worker(await openTeam(self, teamName), options);
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
			const options = workerOptions(flags);
			const worker = new Worker(await openTeam(self, teamName), options);
			await ask(
				worker,
				(signal) => worker.requestNetworkAccess(flags.host, { signal }),
				(outcome) => outcome.allow,
			);
		});
}
