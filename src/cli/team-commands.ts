/**
`team create` and `team show`: a team's `config.json`, its roster, and its inboxes with their entry counts.
*/

import { Command } from 'commander';
import { readdir, stat } from '../fs/fs-seam.js';
import { sanitizePathComponent } from '../team/paths.js';
import { Team } from '../team/team.js';
import { globalOptions, openTeam } from './context.js';
import { columns, printable, writeJson, writeLine } from './output.js';

/** One inbox file and what it holds. */
interface InboxSummary {
	name: string;
	path: string;
	exists: boolean;
	entries: number;
	unread: number;
	invalid: number;
}

/** The inboxes of the roster's members (even before their file exists) and any other inbox file in the folder. */
async function inboxSummaries(team: Team, memberNames: string[]): Promise<InboxSummary[]> {
	const names = [...memberNames];
	const files = await readdir(team.inboxDirectory).catch(() => [] as string[]);
	for (const file of files.sort()) {
		if (!file.endsWith('.json')) continue;
		const name = file.slice(0, -'.json'.length);
		if (!names.some((known) => sanitizePathComponent(known) === name)) names.push(name);
	}
	return Promise.all(
		names.map(async (name) => {
			const inbox = team.inbox(name);
			const exists = await stat(inbox.path).then(
				(stats) => stats.isFile(),
				() => false,
			);
			const { entries, invalid } = exists ? await inbox.inspect() : { entries: [], invalid: [] };
			const unread = entries.filter((entry) => entry.read !== true).length;
			return { name, path: inbox.path, exists, entries: entries.length, unread, invalid: invalid.length };
		}),
	);
}

async function describeTeam(team: Team) {
	const config = await team.readConfig();
	const members = await team.members();
	return {
		name: team.name,
		root: team.root,
		configPath: team.configPath,
		inboxDirectory: team.inboxDirectory,
		leader: await team.leaderName(),
		...(config.description === undefined ? {} : { description: config.description }),
		...(config.createdAt === undefined ? {} : { createdAt: new Date(config.createdAt).toISOString() }),
		members,
		inboxes: await inboxSummaries(
			team,
			members.map((member) => member.name),
		),
	};
}

function printTeam(summary: Awaited<ReturnType<typeof describeTeam>>): void {
	writeLine(`Team ${printable(summary.name)}`);
	writeLine(
		columns([
			['  config', summary.configPath],
			['  inboxes', summary.inboxDirectory],
			['  leader', printable(summary.leader)],
		]),
	);
	writeLine('Members');
	const memberRows = summary.members.map((member) =>
		['', member.name, member.agentId, member.color ?? '-', member.backendType ?? '-'].map((cell) => printable(cell)),
	);
	writeLine(columns([['', 'NAME', 'AGENT ID', 'COLOR', 'BACKEND'], ...memberRows]));
	writeLine('Inboxes');
	const inboxRows = summary.inboxes.map((inbox) => [
		'',
		printable(inbox.name),
		inbox.exists ? String(inbox.entries) : '-',
		inbox.exists ? String(inbox.unread) : '-',
		inbox.exists ? String(inbox.invalid) : '-',
	]);
	writeLine(columns([['', 'NAME', 'ENTRIES', 'UNREAD', 'INVALID'], ...inboxRows]));
}

function collect(value: string, previous: string[]): string[] {
	return [...previous, value];
}

export function teamCommand(): Command {
	const command = new Command('team').description('create or show a team (config.json, roster, inboxes)');
	command
		.command('create')
		.description('create a team with its lead member (team-lead) and optional teammates')
		.argument('<team>', 'team name')
		.option('--member <name>', 'add a teammate (repeat for several)', collect, [])
		.action(async (name: string, options: { member: string[] }, self: Command) => {
			const { root, json } = globalOptions(self);
			const members = options.member.map((member) => ({ name: member }));
			const team = await Team.create(name, { ...(root === undefined ? {} : { root }), members });
			if (json) writeJson(await describeTeam(team));
			else writeLine(`Created team ${printable(team.name)} in ${team.configPath}`);
		});
	command
		.command('show')
		.description('show a team: config, roster, and each inbox with its entry counts')
		.argument('<team>', 'team name')
		.action(async (name: string, _options: object, self: Command) => {
			const summary = await describeTeam(await openTeam(self, name));
			if (globalOptions(self).json) writeJson(summary);
			else printTeam(summary);
		});
	return command;
}
