/**
`schema [frame]`: the JSON Schema of one structured frame, or of all of them keyed by type (the same documents as
the shipped `schemas/` folder).
*/

import { Command } from 'commander';
import { errors } from '../errors.js';
import { isFrameType } from '../protocol/frame-codec.js';
import { frameJsonSchema } from '../protocol/frame-json-schema.js';
import { frameTypes } from '../protocol/frames.js';

export function schemaCommand(): Command {
	return new Command('schema')
		.description('print the JSON Schema of one frame type, or of every frame type keyed by type')
		.argument('[frame]', `frame type: ${frameTypes.join(', ')}`)
		.action((frame: string | undefined) => {
			if (frame !== undefined && !isFrameType(frame)) {
				throw errors.invalidArgument('frame', `one of ${frameTypes.join(', ')}`, frame);
			}
			const schema =
				frame === undefined
					? Object.fromEntries(frameTypes.map((type) => [type, frameJsonSchema(type)]))
					: frameJsonSchema(frame);
			process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
		});
}
