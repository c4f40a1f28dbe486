// Open a `custody site` folder's index.html from disk in headless
// Chromium: print its table rows (one a line, cells by tabs) and its
// links, and follow the link to the verifier. Fails when a relative link
// names no file of the folder, when the page asks for anything not on
// disk, or when the verifier does not open.
//   node site-check.mjs SITE_DIR
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(join(process.env.WEB_DIR, 'package.json'));
const puppeteer = require('puppeteer-core');
const site = resolve(process.argv[2]);
const browser = await puppeteer.launch({
	executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
});
let status = 0;
try {
	const tab = await browser.newPage();
	await tab.setViewport({ width: 360, height: 800 });
	const outside = [];
	tab.on('request', r => {
		if (!r.url().startsWith('file:'))
			outside.push(r.url());
	});
	await tab.goto(pathToFileURL(join(site, 'index.html')).href);
	const rows = await tab.$$eval('tbody tr', trs => trs.map(tr =>
		[...tr.children].map(td => td.innerText.replace(/\s+/g, ' '))
			.join('\t')));
	const links = await tab.$$eval('a[href]', as => as.map(a => a.href));
	for (const r of rows)
		console.log('row\t' + r);
	for (const l of links) {
		console.log('link\t' + l);
		if (l.startsWith('file:') && !existsSync(fileURLToPath(l))) {
			console.error(`the link ${l} names no file`);
			status = 1;
		}
	}
	await Promise.all([tab.waitForNavigation(), tab.click('a[href="verify.html"]')]);
	console.log('opened\t' + await tab.title());
	if (outside.length) {
		console.error(`the site asked for ${outside.join(', ')}`);
		status = 1;
	}
} finally {
	await browser.close();
}
process.exit(status);
