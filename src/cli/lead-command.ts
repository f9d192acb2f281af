/**
`lead <team> [--policy FILE] [--auto allow|deny] [--signing-key FILE]`: run the team's Leader until SIGINT / SIGTERM
(or Ctrl+C on the screen). The policy (fixed rules from the file plus the team's persisted "always allow" rules)
decides what it can; the rest goes to a person on a terminal, to `--auto`, or waits for `approve` / `deny` from
another shell. Every answer, wherever it was given, is reported as it is logged.
*/

import { Command, Option } from 'commander';
import type { AuditRecord } from '../journal/audit-log.js';
import { Leader } from '../leader/leader.js';
import { Policy } from '../policy/policy.js';
import { globalOptions, openTeam, stopSignal } from './context.js';
import { DecisionFeed } from './decision-feed.js';
import { LeadEvents } from './lead-events.js';
import type { LeadView } from './lead-view.js';
import { loadPolicyFile } from './policy-file.js';
import { loadSigner } from './signing-key.js';
import { addWebOptions, startWeb, type WebFlags, type WebHandle } from './web-option.js';

interface LeadFlags extends WebFlags {
	policy?: string;
	auto?: 'allow' | 'deny';
	signingKey?: string;
}

async function runLead(teamName: string, flags: LeadFlags, self: Command): Promise<void> {
	const policyOptions = await loadPolicyFile(flags.policy);
	const signer = await loadSigner(flags.signingKey);
	const team = await openTeam(self, teamName);
	const policy = await Policy.forTeam(team, policyOptions);
	const leader = new Leader(team, { policy, ...(signer ? { signer: signer.sign } : {}) });
	const interactive =
		!globalOptions(self).json && flags.auto === undefined && process.stdin.isTTY && process.stdout.isTTY;
	// The prompt library loads only for the screen.
	const view: LeadView = interactive ? new (await import('./lead-screen.js')).LeadScreen() : new LeadEvents(flags.auto);

	// The leader reports its own answers and the audit log every answer; report each one once. The two reports of one
	// answer come close together, so only recent ids are kept (the oldest go first), and an id seen twice is done.
	const reported = new Set<string>();
	let web: WebHandle | undefined;
	const decided = (record: AuditRecord) => {
		if (reported.delete(record.msgId)) return;
		reported.add(record.msgId);
		if (reported.size > 4_096) reported.delete(reported.values().next().value as string);
		view.decided(record);
		web?.decided(record);
	};
	leader.on('decided', decided);
	leader.on('dropped', (drop) => view.dropped(drop));
	leader.on('failure', (error) => view.failure(error));

	const stop = stopSignal();
	const requests = leader.requests({ signal: stop }); // subscribed first, so recovered requests are not missed
	const feed = await DecisionFeed.start(team, decided); // Policy.forTeam made its directory
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
		await view.run(requests, stop);
	} finally {
		await web?.close();
		await leader.close();
		await feed.close();
	}
	view.closed((await leader.pending()).length);
}

export function leadCommand(): Command {
	const command = new Command('lead')
		.description('run the team lead: answer permission requests (a screen on a terminal, JSON lines otherwise)')
		.argument('<team>', 'team name')
		.option('--policy <file>', 'policy file: allow/deny/ask rules, networkAllow/networkDeny, fallback, askTimeoutMs')
		.addOption(
			new Option('--auto <decision>', 'answer every request the policy leaves to a person').choices(['allow', 'deny']),
		)
		.option('--signing-key <file>', "sign answers with the lead's Ed25519 private key (PKCS#8 PEM)");
	return addWebOptions(command).action(runLead);
}
