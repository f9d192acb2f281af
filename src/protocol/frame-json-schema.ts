/**
JSON Schemas (draft 2020-12) of the structured frames, derived from the zod schemas in `frames.ts`, which stay the
source of truth. `scripts/build-schemas.ts` writes them to `schemas/` and the CLI's `schema` command prints them, so
both always agree.
*/

import { z } from 'zod';
import { type FrameType, frameSchemas } from './frames.js';

/**
The JSON Schema of one frame type, titled with the type. It describes input (what a reader accepts), so fields with
defaults such as `permission_suggestions` are optional, as they are on the wire.
*/
export function frameJsonSchema(type: FrameType): Record<string, unknown> {
	const schema = z.toJSONSchema(frameSchemas[type], {
		target: 'draft-2020-12',
		io: 'input',
		unrepresentable: 'throw',
	});
	return { $schema: schema.$schema, title: type, ...schema };
}
