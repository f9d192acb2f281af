/** `npm run build`: compile the approval page's script with esbuild and copy its style sheet into dist/web/page/. */

import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { pageBuildOptions } from '../src/web/assets.js';

const root = path.join(import.meta.dirname, '..');
const out = path.join(root, 'dist', 'web', 'page');
mkdirSync(out, { recursive: true });
await build({ ...pageBuildOptions, entryPoints: [...pageBuildOptions.entryPoints], outfile: path.join(out, 'app.js') });
copyFileSync(path.join(root, 'src', 'web', 'page', 'app.css'), path.join(out, 'app.css'));
