// Build web/verifier/ into one self-contained HTML file:
//   node build.mjs SOURCE_DIR OUT.html
// esbuild bundles the modules (and @noble/hashes, PKI.js) into one
// script, which goes inline into index.html with the style sheet. No
// timestamps, no absolute paths: the same source gives the same bytes.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const [src = join(here, 'verifier'), out = join(here, 'dist/verify.html')] =
	process.argv.slice(2);

const bundle = await esbuild.build({
	entryPoints: [join(src, 'main.js')],
	absWorkingDir: here,
	nodePaths: [join(here, 'node_modules')],
	bundle: true,
	format: 'iife',
	target: 'es2022',
	minify: true,
	legalComments: 'eof',
	charset: 'utf8',
	write: false,
	logLevel: 'error',
});
// "</script" inside the bundle would end the element early
const script = bundle.outputFiles[0].text.replace(/<\/(script)/gi, '<\\/$1');
const style = readFileSync(join(src, 'style.css'), 'utf8');
const page = readFileSync(join(src, 'index.html'), 'utf8')
	.replace('/*STYLE*/', () => style)
	.replace('/*SCRIPT*/', () => script);
mkdirSync(dirname(resolve(out)), { recursive: true });
writeFileSync(out, page);
