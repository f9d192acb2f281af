/**
Request-id generators in the exact shapes Claude Code 2.1.330 writes, so a Claude Code peer that matches or
logs ids sees nothing unusual. The random suffix comes from `node:crypto` rather than `Math.random`: ids double as
correlation keys for pending callbacks, so they should not be predictable by another process.
*/

import { randomInt } from 'node:crypto';

const SUFFIX_LENGTH = 7;
// 36^7 is below randomInt's 2^48 range limit, so one call yields all seven digits without modulo bias.
const SUFFIX_SPACE = 36 ** SUFFIX_LENGTH;

/** Seven random base-36 digits (`[0-9a-z]`), zero-padded so the length never varies. */
export function randomBase36(): string {
	return randomInt(SUFFIX_SPACE).toString(36).padStart(SUFFIX_LENGTH, '0');
}

/** A `permission_request` id: `perm-<epoch ms>-<7 base36>`. */
export function permissionRequestId(now: number = Date.now()): string {
	return `perm-${now}-${randomBase36()}`;
}

/** A `sandbox_permission_request` id: `sandbox-<epoch ms>-<7 base36>`. */
export function sandboxRequestId(now: number = Date.now()): string {
	return `sandbox-${now}-${randomBase36()}`;
}

/** A `shutdown_request` id: `shutdown-<epoch ms>@<target name>`. */
export function shutdownRequestId(target: string, now: number = Date.now()): string {
	return `shutdown-${now}@${target}`;
}

/**
A `plan_approval_request` id: `plan_approval-<epoch ms>@<agent name>@<team name>`.
An empty or missing team name becomes `default`, the same fallback Claude Code uses for inbox paths.
*/
export function planApprovalRequestId(agentName: string, teamName?: string, now: number = Date.now()): string {
	return `plan_approval-${now}@${agentName}@${teamName || 'default'}`;
}

/**
Patterns matching ids of each kind. Claude Code's own permission and sandbox suffixes can be shorter than seven
characters (they come from a truncated `Math.random` string), so these accept 1 to 7 digits.
*/
export const idPatterns = {
	permission: /^perm-\d+-[0-9a-z]{1,7}$/,
	sandbox: /^sandbox-\d+-[0-9a-z]{1,7}$/,
	shutdown: /^shutdown-\d+@.+$/,
	planApproval: /^plan_approval-\d+@[^@]+@.+$/,
} as const;
