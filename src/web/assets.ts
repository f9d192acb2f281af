/**
The page's files. `npm run build` compiles `page/app.ts` with esbuild into `dist/web/page/app.js` and copies
`app.css` beside it; from a source checkout (tests, `tsx`), the script is compiled in memory on first use instead.
The HTML is a fixed shell: every dynamic part is filled in by the script through `textContent`.
*/

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface PageAssets {
	html: string;
	script: string;
	style: string;
}

const pageDirectory = fileURLToPath(new URL('./page/', import.meta.url));

/** The esbuild settings for the page script, shared with the build script. */
export const pageBuildOptions = {
	entryPoints: [`${pageDirectory}app.ts`],
	bundle: true,
	format: 'esm',
	target: 'es2020',
	minify: true,
	legalComments: 'none',
} as const;

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>swarm-mailbox · approvals</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<header class="top">
<h1>Approvals <span id="team" class="team"></span></h1>
<span id="status" class="status" role="status">connecting…</span>
<button type="button" id="logout" class="link logout">Log out</button>
</header>
<nav id="workers" class="workers" aria-label="Filter by worker"></nav>
<section class="batch" id="batch" hidden>
<label class="select-all"><input type="checkbox" id="select-all"> <span id="selected-count">0 selected</span></label>
<button type="button" id="batch-approve" class="approve">Approve selected</button>
<button type="button" id="batch-deny" class="deny">Deny selected</button>
</section>
<main>
<p id="empty" class="empty">No request is waiting.</p>
<ol id="requests" class="requests"></ol>
<h2>Recent decisions</h2>
<ol id="recent" class="recent"></ol>
<section id="dropped-section" hidden>
<h2>Refused requests</h2>
<ol id="dropped" class="recent"></ol>
</section>
</main>
<template id="request-template">
<li class="request">
<div class="head">
<input type="checkbox" class="pick" aria-label="Select">
<span class="worker"></span>
<span class="tool"></span>
<span class="age"></span>
</div>
<p class="description"></p>
<pre class="input"></pre>
<button type="button" class="link unfold" hidden>Show everything</button>
<ul class="suggestions"></ul>
<div class="actions">
<button type="button" class="approve">Approve</button>
<button type="button" class="always">Always allow</button>
<select class="scope" aria-label="Always allow what">
<option value="exact">this call</option>
<option value="prefix">its prefix</option>
<option value="tool">the whole tool</option>
</select>
<button type="button" class="accept-suggestions" hidden>Approve + its suggestions</button>
<button type="button" class="edit">Edit</button>
<button type="button" class="deny">Deny</button>
</div>
<form class="deny-form" hidden>
<label>Reason <input type="text" class="reason" maxlength="2000" placeholder="Why not (sent to the worker)"></label>
<button type="submit" class="deny">Deny</button>
<button type="button" class="cancel">Cancel</button>
</form>
<form class="edit-form" hidden>
<label>Input (JSON) <textarea class="edited" rows="8" spellcheck="false"></textarea></label>
<p class="error" role="alert"></p>
<button type="submit" class="approve">Approve edited</button>
<button type="button" class="cancel">Cancel</button>
</form>
<p class="error result" role="alert"></p>
</li>
</template>
</body>
</html>
`;

let loaded: Promise<PageAssets> | undefined;

/** The page's HTML, script and style (compiled once per process). */
export function pageAssets(): Promise<PageAssets> {
	loaded ??= (async () => {
		const style = await readFile(`${pageDirectory}app.css`, 'utf8');
		const script = await readFile(`${pageDirectory}app.js`, 'utf8').catch(() => compileScript());
		return { html, script, style };
	})();
	loaded.catch(() => {
		loaded = undefined;
	});
	return loaded;
}

async function compileScript(): Promise<string> {
	// A source checkout has esbuild (a dev dependency); a published package ships the compiled script.
	const { build } = await import('esbuild');
	const result = await build({ ...pageBuildOptions, entryPoints: [...pageBuildOptions.entryPoints], write: false });
	return result.outputFiles[0]!.text;
}
