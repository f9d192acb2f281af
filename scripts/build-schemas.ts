/**
Generates `schemas/`: one JSON Schema (draft 2020-12) per frame type, from the zod schemas in
`src/protocol/frames.ts`, plus `schemas/index.json` listing them. The zod schemas are the source of truth; the
JSON files exist for non-TypeScript peers and are shipped in the package.

Run `npx tsx scripts/build-schemas.ts` after changing a frame schema. A test calls `diffSchemas()` so a stale
folder fails CI instead of shipping.
*/

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { frameJsonSchema } from '../src/protocol/frame-json-schema.js';
import { type FrameType, frameTypes } from '../src/protocol/frames.js';

/** The checked-in output folder. */
export const schemasDir = fileURLToPath(new URL('../schemas/', import.meta.url));

const INDEX_FILE = 'index.json';
const SCHEMA_SUFFIX = '.schema.json';

/** The file a frame type's schema is written to, relative to the schemas folder. */
export function schemaFileName(type: FrameType): string {
	return type + SCHEMA_SUFFIX;
}

function render(value: unknown): string {
	return JSON.stringify(value, null, '\t') + '\n';
}

/** Every file the folder should hold, by file name, in a stable order (see `frameJsonSchema`). */
export function renderSchemas(): Map<string, string> {
	const files = new Map<string, string>();
	for (const type of frameTypes) files.set(schemaFileName(type), render(frameJsonSchema(type)));
	const index = {
		description:
			'JSON Schemas for the structured frames carried in inbox entry `text` (Claude Code 2.1.330 wire format).',
		frames: frameTypes.map((type) => ({ type, schema: schemaFileName(type) })),
	};
	files.set(INDEX_FILE, render(index));
	return files;
}

async function listGenerated(dir: string): Promise<string[]> {
	try {
		const names = await readdir(dir);
		return names.filter((name) => name === INDEX_FILE || name.endsWith(SCHEMA_SUFFIX));
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw error;
	}
}

/** Writes the schemas into `dir` and removes generated files that no longer correspond to a frame type. */
export async function writeSchemas(dir: string = schemasDir): Promise<string[]> {
	const files = renderSchemas();
	await mkdir(dir, { recursive: true });
	for (const name of await listGenerated(dir)) {
		if (!files.has(name)) await rm(join(dir, name));
	}
	for (const [name, contents] of files) await writeFile(join(dir, name), contents);
	return [...files.keys()];
}

/** The generated files in `dir` that are missing, out of date, or left over. Empty when the folder is current. */
export async function diffSchemas(dir: string = schemasDir): Promise<string[]> {
	const files = renderSchemas();
	const stale: string[] = [];
	for (const [name, contents] of files) {
		const current = await readFile(join(dir, name), 'utf8').catch(() => undefined);
		if (current !== contents) stale.push(name);
	}
	for (const name of await listGenerated(dir)) {
		if (!files.has(name)) stale.push(name);
	}
	return stale;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
	const written = await writeSchemas();
	console.log(`Wrote ${written.length} files to ${schemasDir}`);
}
