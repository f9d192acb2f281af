/**
`doctor <team> [--fix]`: check every file of a team (config, roster, inboxes, locks, modes, leftovers) and, with
`--fix`, repair what is safe. Exit 0 when nothing of severity `error` remains, 1 when something does, 2 on failure.
*/

import { Command } from 'commander';
import { diagnoseTeam } from '../doctor/doctor.js';
import { formatDoctorReport } from '../doctor/report.js';
import { globalOptions, parseMs, stopSignal } from './context.js';
import { exitCodes, writeJson } from './output.js';

export function doctorCommand(): Command {
	return new Command('doctor')
		.description('check a team directory for corrupt inboxes, stale locks, orphans, bad modes; --fix repairs')
		.argument('<team>', 'team name')
		.option('--fix', 'repair what is safe (quarantine, prune into a copy, remove stale locks) and say what was done')
		.option('--stale <ms>', 'lock age after which its holder is presumed dead (must match every writer)', '10000')
		.action(async (team: string, options: { fix?: boolean; stale: string }, command: Command) => {
			const { root, json } = globalOptions(command);
			const report = await diagnoseTeam(team, {
				...(root === undefined ? {} : { root }),
				fix: options.fix === true,
				staleMs: parseMs('--stale', options.stale),
				signal: stopSignal(),
			});
			if (json) writeJson(report);
			else process.stdout.write(`${formatDoctorReport(report)}\n`);
			process.exitCode = report.ok ? exitCodes.ok : exitCodes.denied;
		});
}
