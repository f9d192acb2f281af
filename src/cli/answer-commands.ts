/**
`pending`, `approve` and `deny`: answer journaled requests from any shell, while a leader runs or after it stopped.
They go through the same exactly-once claim as the leader (`Leader.answer`), so a request answered twice fails the
second time with `ALREADY_ANSWERED`.
*/

import { Command, Option } from 'commander';
import type { AnswerResult } from '../leader/answer.js';
import { Leader } from '../leader/leader.js';
import { type AlwaysScope, alwaysScopeOf, alwaysScopes } from '../policy/always-rule.js';
import { globalOptions, openTeam, parseJsonObject } from './context.js';
import { columns, printable, requestSubject, requestView, writeJson, writeLine } from './output.js';
import { loadSigner } from './signing-key.js';

interface AnswerFlags {
	worker?: string;
	signingKey?: string;
}

function withAnswerOptions(command: Command): Command {
	return command
		.argument('<team>', 'team name')
		.argument('<request-id>', 'the request id (see `pending`)')
		.option('--worker <name>', 'the asking worker, when the id is pending for several')
		.option(
			'--signing-key <file|dir>',
			"sign the response with the lead's Ed25519 private key (PKCS#8 PEM), or <dir>/<teammate>.pem per teammate",
		);
}

async function remoteOptions(flags: AnswerFlags) {
	const signer = await loadSigner(flags.signingKey);
	return {
		decidedBy: 'cli',
		...(flags.worker === undefined ? {} : { worker: flags.worker }),
		...(signer ? { signer: signer.sign } : {}),
	};
}

function printResult(json: boolean | undefined, result: AnswerResult): void {
	if (json) {
		writeJson(result);
		return;
	}
	const verb = result.decision === 'allow' ? 'Allowed' : 'Denied';
	const always = result.persistedRule ? `; from now on always allowed: ${printable(result.persistedRule)}` : '';
	writeLine(`${verb} ${printable(result.requestId)} of ${printable(result.worker)}${always}`);
}

export function pendingCommand(): Command {
	return new Command('pending')
		.description('list the requests waiting for an answer (from the durable journal)')
		.argument('<team>', 'team name')
		.action(async (teamName: string, _options: object, self: Command) => {
			const requests = await Leader.listPending(await openTeam(self, teamName));
			if (globalOptions(self).json) return writeJson(requests.map(requestView));
			if (requests.length === 0) return writeLine('No pending requests.');
			const rows = requests.map((request) => [
				printable(request.requestId),
				printable(request.worker),
				new Date(request.receivedAt).toISOString(),
				requestSubject(request, 60),
			]);
			writeLine(columns([['REQUEST', 'WORKER', 'RECEIVED', 'ASKS FOR'], ...rows]));
		});
}

export function approveCommand(): Command {
	return withAnswerOptions(new Command('approve'))
		.description('allow a pending request')
		.option('--input <json>', 'run the tool with this input instead (a JSON object)')
		.addOption(
			new Option(
				'--always [scope]',
				'also allow it from now on (lead rules file, and the worker itself): exact (this call, the default), prefix (e.g. Bash(npm test:*)) or tool',
			).choices(alwaysScopes),
		)
		.option('--suggestions', "also accept the worker's own permission_suggestions")
		.action(async (teamName: string, requestId: string, flags: ApproveFlags, self: Command) => {
			const updatedInput = flags.input === undefined ? undefined : parseJsonObject('--input', flags.input);
			const always = alwaysScopeOf(flags.always);
			const team = await openTeam(self, teamName);
			const decision = { behavior: 'allow' as const, updatedInput, always, acceptSuggestions: flags.suggestions };
			printResult(globalOptions(self).json, await Leader.answer(team, requestId, decision, await remoteOptions(flags)));
		});
}

interface ApproveFlags extends AnswerFlags {
	input?: string;
	always?: boolean | AlwaysScope;
	suggestions?: boolean;
}

export function denyCommand(): Command {
	return withAnswerOptions(new Command('deny'))
		.description('deny a pending request')
		.option('--message <text>', 'the reason the worker sees (default "Permission denied")')
		.action(async (teamName: string, requestId: string, flags: AnswerFlags & { message?: string }, self: Command) => {
			const team = await openTeam(self, teamName);
			const decision = { behavior: 'deny' as const, message: flags.message };
			printResult(globalOptions(self).json, await Leader.answer(team, requestId, decision, await remoteOptions(flags)));
		});
}
