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
import { LeadScreen } from './lead-screen.js';
import type { LeadView } from './lead-view.js';
import { loadPolicyFile } from './policy-file.js';
import { loadSigner } from './signing-key.js';

interface LeadFlags {
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
	const view: LeadView = interactive ? new LeadScreen() : new LeadEvents(flags.auto);

	// The leader reports its own answers and the audit log every answer; report each one once.
	const reported = new Set<string>();
	const decided = (record: AuditRecord) => {
		if (reported.has(record.msgId)) return;
		reported.add(record.msgId);
		view.decided(record);
	};
	leader.on('decided', decided);
	leader.on('dropped', (drop) => view.dropped(drop));
	leader.on('failure', (error) => view.failure(error));

	const stop = stopSignal();
	const requests = leader.requests({ signal: stop }); // subscribed first, so recovered requests are not missed
	const feed = await DecisionFeed.start(team, decided); // Policy.forTeam made its directory
	try {
		await leader.start();
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
		await leader.close();
		await feed.close();
	}
	view.closed((await leader.pending()).length);
}

export function leadCommand(): Command {
	return new Command('lead')
		.description('run the team lead: answer permission requests (a screen on a terminal, JSON lines otherwise)')
		.argument('<team>', 'team name')
		.option('--policy <file>', 'policy file: allow/deny/ask rules, networkAllow/networkDeny, fallback, askTimeoutMs')
		.addOption(
			new Option('--auto <decision>', 'answer every request the policy leaves to a person').choices(['allow', 'deny']),
		)
		.option(
			'--signing-key <file|dir>',
			"sign answers with the lead's Ed25519 private key (PKCS#8 PEM), or <dir>/<teammate>.pem per teammate",
		)
		.action(runLead);
}
