// Run a corpus's cases through the verifier page in headless Chromium:
//   node page-check.mjs PAGE.html CORPUS_DIR OUT.tsv [SHOTS_DIR]
// CORPUS_DIR/cases.tsv as tests/data/verifier/make-corpus.py writes it;
// OUT.tsv gets NAME VERDICT STEP MESSAGE UPDATES a line: the first four
// as run-check.sh's, then how many times the progress bar moved. Any
// request the page makes for something not on disk fails the run. With
// SHOTS_DIR, screenshots of the first passing and the first failing case
// at 360 px wide (verifier-passed.png, verifier-failed.png). A page wider
// than 360 px (the screen) after any case fails the run. With
// LINES_DIR set, each passing case's verdict and result lines ("label
// value", as `custody check` prints them) go to LINES_DIR/NAME.page.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(process.env.WEB_DIR ?
	join(process.env.WEB_DIR, 'package.json') : import.meta.url);
const puppeteer = require('puppeteer-core');

const [page, corpus, outFile, shots] = process.argv.slice(2);
const slots = ['name', 'document', 'proof', 'key', 'saved', 'consistency',
	'tsaCa'];
const cases = readFileSync(join(corpus, 'cases.tsv'), 'utf8').split('\n')
	.filter(l => l !== '' && !l.startsWith('#')).map(l => {
		const c = {};
		l.split('\t').slice(0, slots.length).forEach((v, i) => {
			if (v !== '-')
				c[slots[i]] = i === 0 ? v : join(corpus, 'files', v);
		});
		return c;
	});
const browser = await puppeteer.launch({
	executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--no-first-run',
		'--disable-dev-shm-usage'],
});
const results = [];
const shot = { ok: false, failed: false };
const requests = [];
try {
	const tab = await browser.newPage();
	await tab.setViewport({ width: 360, height: 900 });
	tab.on('request', r => {
		if (!r.url().startsWith('file:') && !r.url().startsWith('data:'))
			requests.push(r.url());
	});
	const url = pathToFileURL(resolve(page)).href;
	for (const c of cases) {
		await tab.goto(url, { waitUntil: 'load' });
		for (const [slot, id] of [['document', 'document'], ['proof', 'proof'],
		    ['key', 'key'], ['saved', 'saved'], ['consistency', 'consistency'],
		    ['tsaCa', 'tsaca']]) {
			if (!c[slot])
				continue;
			const input = await tab.$(`#${id}`);
			await input.uploadFile(resolve(c[slot]));
		}
		await tab.click('#check');
		await tab.waitForFunction(() =>
			document.getElementById('result').dataset.verdict !== undefined,
			{ timeout: 30000 });
		const got = await tab.evaluate(() => {
			const r = document.getElementById('result');
			return { verdict: r.dataset.verdict, step: r.dataset.step,
				message: document.getElementById('message')?.textContent ?? '',
				updates: document.getElementById('progress').dataset.updates ??
					'0',
				width: document.documentElement.scrollWidth,
				text: r.innerText,
				lines: [document.getElementById('verdict')?.textContent ?? '',
					...[...r.querySelectorAll('dt')].map(dt =>
						`${dt.textContent} ${dt.nextElementSibling.textContent}`)] };
		});
		if (process.env.LINES_DIR && got.verdict === 'ok') {
			mkdirSync(process.env.LINES_DIR, { recursive: true });
			writeFileSync(join(process.env.LINES_DIR, `${c.name}.page`),
				got.lines.join('\n') + '\n');
		}
		results.push({ name: c.name, ...got });
		// readable at 360 px: nothing wider than the screen
		if (got.width > 360) {
			console.error(`${c.name}: the page is ${got.width} px wide at 360`);
			process.exitCode = 1;
		}
		if (shots && !shot[got.verdict === 'ok' ? 'ok' : 'failed']) {
			shot[got.verdict === 'ok' ? 'ok' : 'failed'] = true;
			await tab.screenshot({ path: join(shots, got.verdict === 'ok' ?
				'verifier-passed.png' : 'verifier-failed.png'), fullPage: true });
		}
	}
} finally {
	await browser.close();
}
writeFileSync(outFile, results.map(r => [r.name, r.verdict, r.step || '-',
	r.message.split('\n')[0] || '-', r.updates].join('\t') + '\n').join(''));
if (requests.length) {
	console.error(`the page asked for ${requests.join(', ')}`);
	process.exit(1);
}
