// The page with the keyboard alone: Tab from the top reaches every
// control in reading order, and Enter on the Check button runs the
// check (the files are set as a file chooser would), after which the
// focus is on the result. Prints the ids reached, then the verdict.
//   node keyboard-check.mjs PAGE.html DOCUMENT PROOF KEY
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(join(process.env.WEB_DIR, 'package.json'));
const puppeteer = require('puppeteer-core');
const [page, doc, proof, key] = process.argv.slice(2).map(p => resolve(p));
const browser = await puppeteer.launch({
	executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
	const tab = await browser.newPage();
	await tab.setViewport({ width: 360, height: 800 });
	await tab.goto(pathToFileURL(page).href);
	for (const [id, file] of [['document', doc], ['proof', proof], ['key', key]])
		await (await tab.$('#' + id)).uploadFile(file);
	const reached = [];
	for (let i = 0; i < 12; i++) {
		await tab.keyboard.press('Tab');
		const id = await tab.evaluate(() => document.activeElement.id ||
			document.activeElement.tagName.toLowerCase());
		reached.push(id);
		if (id === 'check')
			break;
	}
	console.log(reached.join(' '));
	await tab.keyboard.press('Enter');
	await tab.waitForFunction(() =>
		document.getElementById('result').dataset.verdict !== undefined);
	console.log(await tab.evaluate(() =>
		document.getElementById('result').dataset.verdict + ' ' +
		document.activeElement.id));
} finally {
	await browser.close();
}
