import fc from 'fast-check';

/**
Seeded fast-check settings. Every property runs with an explicit seed, random per run unless `FC_SEED` is set, and a
failure names the seed and path that replay it: `FC_SEED=<seed> FC_PATH=<path> npx vitest run <file> -t <test>`
(model-based tests also take the printed `replayPath` as `FC_REPLAY_PATH`). Runs across processes depend on timing
too, so a replay repeats the same commands, not always the same interleaving.
`FC_RUNS` multiplies every run count, for a longer fuzzing session by hand.
*/
export function fuzzOptions<T>(numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
	const seed = process.env['FC_SEED'] === undefined ? randomSeed() : Number(process.env['FC_SEED']);
	const path = process.env['FC_PATH'];
	const scale = Number(process.env['FC_RUNS'] ?? 1);
	return {
		...extra,
		seed,
		...(path === undefined ? {} : { path }),
		numRuns: Math.max(1, Math.round(numRuns * scale)),
	};
}

function randomSeed(): number {
	return Math.floor(Math.random() * 0x7fffffff);
}

/** `fc.assert` (sync or async), with the replay command up front and a counterexample cut to a readable size. */
export async function check<T>(property: fc.IAsyncProperty<T> | fc.IProperty<T>, options: fc.Parameters<T>) {
	try {
		await fc.assert(property as fc.IAsyncProperty<T>, options);
	} catch (error) {
		const report = error instanceof Error ? error.message : String(error);
		const hint = `replay with FC_SEED=${options.seed} and FC_PATH (and FC_REPLAY_PATH, if shown) from the report below`;
		throw new Error(`${hint}\n${report.slice(0, 20_000)}`, { cause: error });
	}
}
