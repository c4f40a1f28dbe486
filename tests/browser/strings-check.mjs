// Every text the verifier page shows comes from web/verifier/strings.js:
// no module but strings.js hands a literal to the user, every t('key')
// names a text strings.js has, and strings.js holds no text nobody uses.
// Usage: node strings-check.mjs VERIFIER_DIR; prints each problem as
// "FILE:LINE: ..." and exits 1 if there is one.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const { strings } = await import(join(dir, 'strings.js'));
const problems = [];

function leaves(table, prefix = '') {
	return Object.entries(table).flatMap(([k, v]) => typeof v === 'string' ?
		[prefix + k] : leaves(v, `${prefix}${k}.`));
}
const keys = new Set(leaves(strings.en));
const steps = new Set(Object.keys(strings.en.steps));
// What the page shows but no one translates: a step's name (the message
// prefixes and step names of `custody check`), and fixed formats.
const FORMATS = new Set(['SHA256:']);
const used = new Set();

const lookup = key => key.split('.').reduce((o, k) => o?.[k], strings.en);

// The names of the values a t() call gives, from what follows its key:
// none, or the names of an object literal; null when it is not a literal.
function valueNames(rest) {
	rest = rest.trim();
	if (rest === '')
		return [];
	if (!rest.startsWith(',') || !rest.slice(1).trim().startsWith('{'))
		return null;
	const body = rest.slice(rest.indexOf('{') + 1, rest.lastIndexOf('}'));
	const names = [];
	let depth = 0, part = '';
	for (const c of body + ',') {
		if ('([{'.includes(c))
			depth++;
		else if (')]}'.includes(c))
			depth--;
		if (c === ',' && depth === 0) {
			const n = /^\s*(\w+)/.exec(part);
			if (n)
				names.push(n[1]);
			part = '';
		} else {
			part += c;
		}
	}
	return names;
}

// The source without its comments, the same length, so offsets keep
// their line numbers.
function code(text) {
	return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g,
		c => c.replace(/[^\n]/g, ' '));
}

// The literals ('...', "...", `...`) in TEXT, with their offsets.
function literals(text) {
	const out = [];
	const re = /'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g;
	for (let m; (m = re.exec(text));)
		out.push({ at: m.index, text: m[0], body: m[0].slice(1, -1) });
	return out;
}

// From OPEN (just after a '('), the offset of its matching ')'.
function close(text, open) {
	let depth = 1, i = open;
	for (; i < text.length && depth; i++) {
		const c = text[i];
		if (c === '\'' || c === '"' || c === '`') {
			const m = literals(text.slice(i))[0];
			i += m ? m.text.length - 1 : 0;
		} else if (c === '(') {
			depth++;
		} else if (c === ')') {
			depth--;
		}
	}
	return i - 1;
}

// The calls and assignments whose text reaches the user: their arguments
// may hold no literal but a step's name, outside a t(...).
const SINKS = new RegExp([
	/\bnew (CheckError|StepFailure|Error)\(/,
	/(?<![\w.])(bad|fail|at|parseEntry|parsePolicy|b64|der)\(/,
	/\.(textContent|innerText|innerHTML|title|value)\s*=/,
	/\b(const|let) (what|where|usage|moved)\s*=/,
	/\breturn (?=['`])/,
].map(r => r.source).join('|'), 'g');

for (const name of readdirSync(dir).filter(f => f.endsWith('.js'))) {
	if (name === 'strings.js')
		continue;
	const text = code(readFileSync(join(dir, name), 'utf8'));
	const lineOf = at => text.slice(0, at).split('\n').length;
	for (const m of text.matchAll(/(?<![\w.])t\(\s*('[^']*'|`[^`$]*\$\{)/g)) {
		const key = m[1].slice(1).replace(/'$/, '');
		if (key.endsWith('${')) {
			const prefix = key.slice(0, -2);
			for (const k of keys)
				if (k.startsWith(prefix))
					used.add(k);
		} else if (!keys.has(key)) {
			problems.push(`${name}:${lineOf(m.index)}: t('${key}'): ` +
				'strings.js has no such text');
		} else {
			const open = m.index + m[0].length;
			const given = valueNames(text.slice(open, close(text,
				text.indexOf('(', m.index) + 1)));
			const wanted = [...lookup(key).matchAll(/\{(\w+)\}/g)]
				.map(p => p[1]);
			if (given && wanted.some(w => !given.includes(w)))
				problems.push(`${name}:${lineOf(m.index)}: t('${key}') ` +
					`wants {${wanted.join('}, {')}}, is given ` +
					`${given.length ? given.join(', ') : 'none'}`);
		}
	}
	// a local t would hide strings.js's (and the page would break)
	for (const m of text.matchAll(/\b(const|let|var) t\b|[(,]\s*t\s*(?=[,)=])|(?<![\w.])t\s*=>/g))
		problems.push(`${name}:${lineOf(m.index)}: a local 't' hides ` +
			'strings.js\'s t()');
	for (const l of literals(text))
		if (keys.has(l.body))
			used.add(l.body);
	for (const m of text.matchAll(SINKS)) {
		const start = m.index + m[0].length;
		const end = m[0].endsWith('(') ? close(text, start) :
			text.indexOf(';', start);
		// blank out t(...) calls: what they give comes from strings.js
		let args = text.slice(start, end);
		for (let i; (i = args.search(/(?<![\w.])t\(/)) >= 0;) {
			const j = close(args, i + 2);
			args = args.slice(0, i) + ' '.repeat(j + 1 - i) + args.slice(j + 1);
		}
		for (const l of literals(args))
			if (/[A-Za-z]/.test(l.body) && !steps.has(l.body) &&
			    !FORMATS.has(l.body))
				problems.push(`${name}:${lineOf(start + l.at)}: ${l.text} ` +
					'reaches the user but is not in strings.js');
	}
}

const html = readFileSync(join(dir, 'index.html'), 'utf8');
for (const m of html.matchAll(/data-t="([^"]*)"/g)) {
	if (!keys.has(m[1]))
		problems.push(`index.html: data-t="${m[1]}": strings.js has no such ` +
			'text');
	used.add(m[1]);
}
// the words between tags, but for the <title> custody's own pages share
const words = html.replace(/<(script|style|title)>[\s\S]*?<\/\1>/g, '')
	.replace(/<[^>]*>/g, '').trim();
if (words)
	problems.push(`index.html: "${words.split('\n')[0]}" is not in strings.js`);

for (const k of keys)
	if (!used.has(k))
		problems.push(`strings.js: '${k}' is not used`);
for (const p of problems)
	console.log(p);
process.exit(problems.length ? 1 : 0);
