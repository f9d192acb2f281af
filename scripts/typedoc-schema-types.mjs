// @ts-check
/**
TypeDoc plugin for names that are both a zod schema (a const) and its inferred type, exported type-only from
src/index.ts (`export type { PermissionMode }`). TypeDoc documents the const of such an export as a second type alias
(`typeof PermissionMode`), so the reference would show two `PermissionMode` pages, one of them a zod class. This keeps
the real type alias and drops the copy made from the const.
*/

import { Converter, ReflectionKind, TypeScript as ts } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
	/** Symbols (const + type) whose first type-alias reflection came from the const. */
	const fromConst = new Map();
	app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
		if (!reflection.kindOf(ReflectionKind.TypeAlias)) return;
		const symbol = context.getSymbolFromReflection(reflection);
		if (!symbol || !(symbol.flags & ts.SymbolFlags.Variable) || !(symbol.flags & ts.SymbolFlags.TypeAlias)) return;
		// TypeDoc converts the variable side before the type-alias side, so the first reflection is the const's.
		if (!fromConst.has(symbol)) fromConst.set(symbol, reflection);
	});
	app.converter.on(
		Converter.EVENT_RESOLVE_BEGIN,
		(context) => {
			for (const reflection of fromConst.values()) context.project.removeReflection(reflection);
			fromConst.clear();
		},
		3000,
	);
}
