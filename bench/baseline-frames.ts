/**
The older permission frames (reference: the older snapshot, sections 3.1, 3.2 and 3.12), as the baseline worker and
lead exchange them: compact JSON inside an element's `text`, snake_case fields, no signature, no digest binding.
*/

import type { BaselineMessage } from './baseline-writer.js';

export interface BaselinePermissionRequest {
	type: 'permission_request';
	request_id: string;
	agent_id: string;
	tool_name: string;
	tool_use_id: string;
	description: string;
	input: Record<string, unknown>;
	permission_suggestions: unknown[];
}

export interface BaselinePermissionResponse {
	type: 'permission_response';
	request_id: string;
	subtype: 'success';
	response: { updated_input?: Record<string, unknown>; permission_updates?: unknown[] };
}

/** `perm-<epoch ms>-<up to 7 base36 chars>`, as the older generator makes it. */
export const baselineRequestId = () => `perm-${Date.now()}-${Math.random().toString(36).slice(2, 9)}`;

export function baselineEnvelope(from: string, frame: object, color?: string): BaselineMessage {
	return { from, text: JSON.stringify(frame), timestamp: new Date().toISOString(), ...(color ? { color } : {}) };
}

/** The frame in `message.text` if it is of `type` (the older code recognises frames by `type` alone). */
export function baselineFrameOf<T extends { type: string }>(message: BaselineMessage, type: T['type']): T | undefined {
	try {
		const frame = JSON.parse(message.text) as T;
		return frame?.type === type ? frame : undefined;
	} catch {
		return undefined;
	}
}
