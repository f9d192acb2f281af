import path from 'node:path';
import { errors, isMailboxError } from '../errors.js';
import { isTempFile } from '../fs/atomic-write.js';
import { leaderNameOf, readConfigFile, type TeamConfig, teamMemberSchema, validMembers } from '../team/config.js';
import { assertCreatableMemberName, sanitizePathComponent, sanitizeTeamDirName } from '../team/paths.js';
import {
	checkDirectory,
	checkInboxContent,
	checkLock,
	checkRegularFile,
	checkSpool,
	checkTemp,
	checkTree,
	type Findings,
} from './checks.js';
import { doctorProblems } from './messages.js';

/**
Where a team lives. Claude Code names the config directory and the inbox directory with two different sanitisers,
so for names outside `[a-z0-9-]` they differ (reference, section 1).
*/
export interface TeamPaths {
	team: string;
	root: string;
	configDirectory: string;
	configPath: string;
	/** `<root>/<sanitizePathComponent(team)>`: the parent of `inboxes/` (the config directory when they agree). */
	inboxParent: string;
	inboxDirectory: string;
}

export function teamPaths(team: string, root: string): TeamPaths {
	const configDirectory = path.join(root, sanitizeTeamDirName(team));
	const inboxParent = path.join(root, sanitizePathComponent(team));
	return {
		team,
		root,
		configDirectory,
		configPath: path.join(configDirectory, 'config.json'),
		inboxParent,
		inboxDirectory: path.join(inboxParent, 'inboxes'),
	};
}

const quarantineName = /\.json\.(corrupt|invalid)-[^/]+$/;

/** Walk every directory of the team (never through a link) and record what is wrong. */
export async function checkTeam(findings: Findings, paths: TeamPaths): Promise<void> {
	const split = paths.inboxParent !== paths.configDirectory;
	const configState = await checkDirectory(findings, paths.configDirectory);
	const parentState = split ? await checkDirectory(findings, paths.inboxParent) : configState;
	if (configState === 'missing' && parentState === 'missing') throw errors.teamNotFound(paths.team, paths.configPath);

	let config: TeamConfig | undefined;
	let stray = new Set<string>();
	if (configState === 'ok') ({ config, stray } = await checkConfigDirectory(findings, paths, split));
	else if (configState === 'missing') findings.add(doctorProblems.configMissing(paths.configPath));

	let present: Set<string> | undefined;
	if (parentState === 'ok') {
		if (split) {
			findings.add(doctorProblems.splitDirectories(paths.configDirectory, paths.inboxDirectory));
			await checkInboxParent(findings, paths);
		}
		const state = await checkDirectory(findings, paths.inboxDirectory);
		if (state === 'ok') present = await checkInboxDirectory(findings, paths.inboxDirectory);
		else if (state === 'missing') present = new Set();
	} else if (parentState === 'missing') present = new Set();
	if (config && present) checkRoster(findings, paths, config, present, stray);
}

async function checkConfigDirectory(findings: Findings, paths: TeamPaths, split: boolean) {
	let config: TeamConfig | undefined;
	let stray = new Set<string>();
	const names = await findings.names(paths.configDirectory);
	if (names && !names.includes('config.json')) findings.add(doctorProblems.configMissing(paths.configPath));
	for (const name of names ?? []) {
		const entry = path.join(paths.configDirectory, name);
		if (name === 'inboxes' && !split) continue; // the real inbox directory, checked on its own
		const stats = await findings.lstat(entry);
		if (!stats) continue;
		if (name === 'config.json') {
			if (checkRegularFile(findings, entry, stats)) config = await readConfig(findings, entry);
		} else if (name === 'inboxes') {
			stray = await checkStrayInboxes(findings, entry, paths.inboxDirectory);
		} else if (name === 'swarm-mailbox') await checkTree(findings, entry);
		else if (name.endsWith('.lock')) checkLock(findings, entry, stats);
		else if (isTempFile(name)) checkTemp(findings, entry, stats);
		else findings.add(doctorProblems.unknownFile(entry));
	}
	return { config, stray };
}

async function readConfig(findings: Findings, file: string): Promise<TeamConfig | undefined> {
	try {
		const read = await readConfigFile(file);
		if (read.ok) return read.config;
		findings.add(read.missing ? doctorProblems.configMissing(file) : doctorProblems.configCorrupt(file, read.reason));
	} catch (error) {
		findings.add(doctorProblems.unreadable(file, isMailboxError(error) ? error.message : String(error)));
	}
	return undefined;
}

/** `inboxes/` under the config directory's name: mail written there is never read when the names differ. */
async function checkStrayInboxes(findings: Findings, directory: string, inboxDirectory: string): Promise<Set<string>> {
	if ((await checkDirectory(findings, directory)) !== 'ok') return new Set();
	const names = ((await findings.names(directory)) ?? []).filter((name) => name.endsWith('.json'));
	findings.add(doctorProblems.strayInboxDirectory(directory, inboxDirectory, names.length));
	return new Set(names);
}

/** The inbox side's own directory holds only `inboxes/`; a config there is one Claude Code never reads. */
async function checkInboxParent(findings: Findings, paths: TeamPaths): Promise<void> {
	for (const name of (await findings.names(paths.inboxParent)) ?? []) {
		if (name === 'inboxes') continue;
		const entry = path.join(paths.inboxParent, name);
		findings.add(
			name === 'config.json' ? doctorProblems.strayConfig(entry, paths.configPath) : doctorProblems.unknownFile(entry),
		);
	}
}

/** Every entry of `inboxes/`; resolves with the inbox file names found (`<name>.json`). */
async function checkInboxDirectory(findings: Findings, directory: string): Promise<Set<string>> {
	const inboxes = new Set<string>();
	for (const name of (await findings.names(directory)) ?? []) {
		const entry = path.join(directory, name);
		const stats = await findings.lstat(entry);
		if (!stats) continue;
		if (isTempFile(name)) checkTemp(findings, entry, stats);
		else if (name.endsWith('.json')) {
			inboxes.add(name);
			if (checkRegularFile(findings, entry, stats)) await checkInboxContent(findings, entry, stats);
		} else if (name.endsWith('.json.lock')) checkLock(findings, entry, stats);
		else if (name.endsWith('.json.spool')) {
			if ((await checkDirectory(findings, entry)) === 'ok')
				await checkSpool(findings, entry, entry.slice(0, -'.spool'.length));
		} else if (quarantineName.test(name)) {
			if (checkRegularFile(findings, entry, stats)) findings.add(doctorProblems.quarantinedCopy(entry));
		} else findings.add(doctorProblems.unknownFile(entry));
	}
	return inboxes;
}

/** Roster against inbox files: unusable members, shared inboxes, members without an inbox, inboxes without a member. */
function checkRoster(
	findings: Findings,
	paths: TeamPaths,
	config: TeamConfig,
	present: Set<string>,
	stray: Set<string>,
): void {
	const { configPath, inboxDirectory } = paths;
	if (config.name !== paths.team) {
		const theirs = path.join(paths.root, sanitizePathComponent(config.name), 'inboxes');
		findings.add(doctorProblems.configNameMismatch(configPath, paths.team, config.name, theirs));
	}
	config.members.forEach((member, index) => {
		if (!teamMemberSchema.safeParse(member).success) findings.add(doctorProblems.invalidMember(configPath, index));
	});
	const expected = new Map<string, string>(); // inbox file → member name
	const sharing = new Map<string, string[]>(); // case-folded inbox file → member names
	for (const member of validMembers(config)) {
		try {
			assertCreatableMemberName(member.name, { allowLead: member.agentId === config.leadAgentId });
		} catch (error) {
			if (!isMailboxError(error)) throw error;
			findings.add(doctorProblems.memberNameUnsafe(configPath, error.message));
		}
		const file = `${sanitizePathComponent(member.name)}.json`;
		if (!expected.has(file)) expected.set(file, member.name);
		const key = file.toLowerCase();
		sharing.set(key, [...(sharing.get(key) ?? []), member.name]);
	}
	for (const names of sharing.values()) {
		if (names.length < 2) continue;
		const file = path.join(inboxDirectory, `${sanitizePathComponent(names[0] as string)}.json`);
		findings.add(doctorProblems.duplicateInbox(configPath, names, file));
	}
	const leader = leaderNameOf(config);
	const leaderFile = `${sanitizePathComponent(leader)}.json`;
	if (!expected.has(leaderFile)) expected.set(leaderFile, leader);
	for (const [file, member] of expected) {
		if (present.has(file)) continue;
		const strayCopy = stray.has(file) ? path.join(paths.configDirectory, 'inboxes', file) : undefined;
		findings.add(doctorProblems.missingInbox(path.join(inboxDirectory, file), member, strayCopy));
	}
	for (const file of present) {
		if (expected.has(file)) continue;
		const lookalike = [...expected].find(([name]) => name.toLowerCase() === file.toLowerCase())?.[1];
		findings.add(doctorProblems.orphanInbox(path.join(inboxDirectory, file), lookalike));
	}
}
