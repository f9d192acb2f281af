import type { Stats } from 'node:fs';
import { z } from 'zod';
import { errors } from '../errors.js';
import { statSync } from '../fs/fs-seam.js';
import { readFileNoFollow } from '../fs/read-file.js';

/** Claude Code's teammate colours, handed out in this order. */
export const memberColors = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'pink', 'cyan'] as const;

/** A roster entry as Claude Code writes it; unknown keys are kept. */
export const teamMemberSchema = z.looseObject({
	agentId: z.string(),
	name: z.string(),
	agentType: z.string().optional(),
	model: z.string().optional(),
	prompt: z.string().optional(),
	color: z.string().optional(),
	planModeRequired: z.boolean().optional(),
	joinedAt: z.number().optional(),
	tmuxPaneId: z.string().optional(),
	cwd: z.string().optional(),
	subscriptions: z.array(z.unknown()).optional(),
	backendType: z.string().optional(),
	isActive: z.boolean().optional(),
	mode: z.string().optional(),
});

/** A roster entry as Claude Code writes it; unknown keys are kept. */
export type TeamMember = z.infer<typeof teamMemberSchema>;

export const teamConfigSchema = z.looseObject({
	name: z.string(),
	description: z.string().optional(),
	createdAt: z.number().optional(),
	leadAgentId: z.string(),
	leadSessionId: z.string().optional(),
	leadProcess: z.unknown().optional(),
	// Kept raw: Claude Code drops malformed members on read, but we must not lose them on rewrite.
	members: z.array(z.unknown()),
});

/** The contents of `config.json`; unknown keys are kept. */
export type TeamConfig = z.infer<typeof teamConfigSchema>;

/** Members with a string `agentId` and `name`, as Claude Code filters them on read. */
export function validMembers(config: TeamConfig): TeamMember[] {
	return config.members.filter((member): member is TeamMember => teamMemberSchema.safeParse(member).success);
}

/** The leader's inbox name: the member whose agentId is `leadAgentId`, else Claude Code's `team-lead` fallback. */
export function leaderNameOf(config: TeamConfig): string {
	return validMembers(config).find((member) => member.agentId === config.leadAgentId)?.name ?? 'team-lead';
}

export type ConfigRead =
	| { ok: true; config: TeamConfig; stats?: Stats }
	| { ok: false; missing: boolean; reason: string };

export async function readConfigFile(file: string): Promise<ConfigRead> {
	const read = await readFileNoFollow(file);
	if (!read) return { ok: false, missing: true, reason: 'missing' };
	let value: unknown;
	try {
		value = JSON.parse(read.bytes.toString('utf8'));
	} catch (error) {
		return { ok: false, missing: false, reason: `unparseable JSON: ${(error as Error).message}` };
	}
	const parsed = teamConfigSchema.safeParse(value);
	if (!parsed.success)
		return { ok: false, missing: false, reason: z.prettifyError(parsed.error).replaceAll('\n', ' ') };
	// Keep the original object (not zod's copy) so unknown keys survive byte-for-byte.
	return { ok: true, config: value as TeamConfig, stats: read.stats };
}

export function assertConfig(read: ConfigRead, file: string, team: string): TeamConfig {
	if (read.ok) return read.config;
	if (read.missing) throw errors.teamNotFound(team, file);
	throw errors.corruptConfig(file, read.reason);
}

/** A config.json read stamp: a rewrite (in place, as Claude Code does, or by rename) changes at least one part. */
function stampOf(stats: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): string {
	return `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/** How long a file must have been left alone before its stamp is trusted (covers coarse file-system clocks). */
const settledMs = 2_000;

/**
The last good read of a team's config.json, reused while a stat shows the file unchanged: a leader looks up the
asking worker's roster entry for every request. A file read within `settledMs` of its last change is not cached (a
second change within the same timestamp tick would leave its stamp unchanged), nor is an unreadable one.
*/
export class ConfigCache {
	#stamp: string | undefined;
	#read: ConfigRead | undefined;

	async read(file: string): Promise<ConfigRead> {
		if (this.#read) {
			try {
				if (stampOf(statSync(file)) === this.#stamp) return this.#read;
			} catch {
				// gone or unreadable: the read below reports it
			}
			this.#read = undefined;
		}
		const read = await readConfigFile(file);
		if (read.ok && read.stats && Date.now() - read.stats.mtimeMs > settledMs) {
			this.#stamp = stampOf(read.stats);
			this.#read = read;
		}
		return read;
	}
}
