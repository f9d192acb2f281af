/**
`lead <team> [--policy FILE] [--auto allow|deny] [--signing-key FILE] [--takeover]`: run the team's Leader until
SIGINT / SIGTERM (or Ctrl+C on the screen). It claims the team's lead first and refuses (exit 2) while another live
lead holds it; should another lead be recorded over its claim while it runs (a `--takeover`), it stops and exits 2.
The policy (fixed rules from the file plus the team's persisted "always allow" rules) decides what it can; `--auto`
answers the rest on the Leader's fast path; otherwise they go to a person on a terminal, or wait for `approve` /
`deny` from another shell. Every answer, wherever it was given, is reported once; plain messages and idle
notifications from teammates are shown and then acked.
*/

import { Command, Option } from 'commander';
import { errors, isMailboxError, type MailboxError } from '../errors.js';
import type { InboxEntry } from '../inbox/entry.js';
import type { DecideFunction } from '../leader/decide.js';
import { Leader } from '../leader/leader.js';
import { Policy } from '../policy/policy.js';
import { frameTypeOf } from '../protocol/frame-codec.js';
import { globalOptions, openTeam, stopSignal } from './context.js';
import { LeadEvents } from './lead-events.js';
import type { LeadView } from './lead-view.js';
import { loadPolicyFile } from './policy-file.js';
import { loadSigner } from './signing-key.js';
import { addWebOptions, startWeb, type WebFlags, type WebHandle } from './web-option.js';

interface LeadFlags extends WebFlags {
	policy?: string;
	auto?: 'allow' | 'deny';
	signingKey?: string;
	takeover?: boolean;
}

const AUTO_DENY_MESSAGE = 'Denied by the team lead (swarm-mailbox lead --auto deny).';

/** Entries the lead acks once shown: nothing else will act on them, and Claude Code sends an idle notice per turn. */
function ackedOnceShown(entry: InboxEntry): boolean {
	const type = frameTypeOf(entry.text);
	return type === undefined || type === 'idle_notification';
}

function asMailboxError(error: unknown): MailboxError {
	return isMailboxError(error) ? error : errors.io('ack a shown message in', 'the lead inbox', error);
}

async function runLead(teamName: string, flags: LeadFlags, self: Command): Promise<void> {
	const policyOptions = await loadPolicyFile(flags.policy);
	const signer = await loadSigner(flags.signingKey);
	const team = await openTeam(self, teamName);
	const policy = await Policy.forTeam(team, policyOptions);
	const interactive =
		!globalOptions(self).json && flags.auto === undefined && process.stdin.isTTY && process.stdout.isTTY;
	// The prompt library loads only for the screen.
	const view: LeadView = interactive ? new (await import('./lead-screen.js')).LeadScreen() : new LeadEvents();
	const { auto } = flags;
	const decide: DecideFunction | undefined =
		auto &&
		((request, context) => {
			// `--auto` answers what the policy leaves to a person; its `fallback: deny` stands.
			if (context.policy?.behavior === 'deny') return undefined;
			view.autoAnswering(request);
			return auto === 'allow' ? { behavior: 'allow' } : { behavior: 'deny', message: AUTO_DENY_MESSAGE };
		});
	const leader = new Leader(team, {
		policy,
		...(signer ? { signer: signer.sign } : {}),
		...(decide ? { decide, decidedBy: 'auto' } : {}),
		takeover: flags.takeover === true,
	});
	let web: WebHandle | undefined;
	leader.on('decided', (record) => {
		view.decided(record);
		web?.decided(record);
	});
	leader.on('dropped', (drop) => view.dropped(drop));
	leader.on('failure', (error) => view.failure(error));
	leader.on('takeover', (event) => view.takeover(event));
	leader.on('quarantine', (event) => view.quarantine(event));
	// Another lead recorded over ours: the Leader has closed itself; the command ends with its error (exit 2).
	const displacement = new AbortController();
	let displaced: MailboxError | undefined;
	leader.on('displaced', (event) => {
		displaced = event.error;
		view.displaced(event);
		displacement.abort(event.error);
	});

	const stop = AbortSignal.any([stopSignal(), displacement.signal]);
	const requests = leader.requests({ signal: stop }); // subscribed first, so recovered requests are not missed
	const messages = leader.messages({ signal: stop });
	try {
		await leader.start();
		web = await startWeb(leader, flags, { json: !interactive, failure: (error) => view.failure(error) });
		view.ready({
			team: team.name,
			leader: leader.name,
			policy: flags.policy,
			rulesFile: policy.rulesFile,
			auto: flags.auto,
			verifyKey: signer?.verifyKey,
			pending: (await leader.pending()).length,
		});
		const shown = (async () => {
			for await (const entry of messages) {
				const ack = ackedOnceShown(entry);
				view.message(entry, ack);
				if (ack)
					await team
						.inbox(leader.name)
						.ack([entry])
						.catch((error: unknown) => view.failure(asMailboxError(error)));
			}
		})();
		await view.run(requests, stop);
		await leader.close();
		await shown;
	} finally {
		await web?.close();
		await leader.close();
	}
	view.closed((await leader.pending()).length);
	if (displaced) throw displaced;
}

export function leadCommand(): Command {
	const command = new Command('lead')
		.description('run the team lead: answer permission requests (a screen on a terminal, JSON lines otherwise)')
		.argument('<team>', 'team name')
		.option(
			'--policy <file>',
			'policy file: allow/deny/ask rules, networkAllow/networkDeny, workers, fallback, askTimeoutMs',
		)
		.addOption(
			new Option('--auto <decision>', 'answer every request the policy leaves to a person').choices(['allow', 'deny']),
		)
		.option(
			'--signing-key <file|dir>',
			"sign answers with the lead's Ed25519 private key (PKCS#8 PEM), or <dir>/<teammate>.pem per teammate",
		)
		.option(
			'--takeover',
			'take the lead even while the recorded lead process still runs (it stops being answered for)',
		);
	return addWebOptions(command).action(runLead);
}
