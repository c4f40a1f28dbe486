// The page: read the files chosen or dropped, run the check, show each
// step's verdict in words. Runs from file:// with no network.
import { check } from './check.js';
import { t } from './strings.js';

const $ = id => document.getElementById(id);
const ORDER = ['proof', 'key', 'signature', 'cosignature', 'entry',
	'disclosure', 'file', 'inclusion', 'publication', 'dkim', 'consistency',
	'timestamp'];

function translate() {
	document.title = t('title');
	$('title').textContent = t('title');
	$('intro').textContent = t('intro');
	for (const el of document.querySelectorAll('[data-t]'))
		el.textContent = t(el.dataset.t);
}

const chosen = {};

function fileOf(id) {
	return chosen[id] ?? $(id).files[0] ?? null;
}

async function bytesOf(id) {
	const f = fileOf(id);
	return f ? new Uint8Array(await f.arrayBuffer()) : null;
}

// Files dropped anywhere on the form go where their content says.
async function sortDropped(files) {
	for (const f of files) {
		const head = new TextDecoder().decode(await f.slice(0, 64).arrayBuffer());
		const slot = head.startsWith('custody-proof/') ? 'proof' :
			head.startsWith('custody-consistency/') ? 'consistency' :
			head.startsWith('-----BEGIN CERTIFICATE') ? 'tsaca' :
			/^(ssh-ed25519 |[^\s+]+\+[0-9a-f]{8}\+)/.test(head) ||
			/^(log|witness|group|quorum) /m.test(head) ? 'key' : 'document';
		chosen[slot] = f;
		const input = $(slot);
		input.setAttribute('aria-description', f.name);
		input.title = f.name;
	}
}

// A name as custody prints it (custody_quote, git's core.quotePath): as
// it is, or in double quotes with C escapes when it holds a control, a
// bidi control, a line separator, '"' or '\\', so that a name with a
// line feed shows as "a\nb", never as a line break or nothing.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;
const ESCAPES = { '\x07': '\\a', '\b': '\\b', '\t': '\\t', '\n': '\\n',
	'\v': '\\v', '\f': '\\f', '\r': '\\r', '"': '\\"', '\\': '\\\\' };
export function shownName(name) {
	if (!UNPRINTABLE.test(name) && !/["\\]/.test(name))
		return name;
	let out = '';
	for (const c of name) {
		if (ESCAPES[c] !== undefined)
			out += ESCAPES[c];
		else if (UNPRINTABLE.test(c))
			for (const b of new TextEncoder().encode(c))
				out += '\\' + b.toString(8).padStart(3, '0');
		else
			out += c;
	}
	return '"' + out + '"';
}

function row(dl, name, value) {
	const dt = document.createElement('dt'), dd = document.createElement('dd');
	dt.textContent = name;
	dd.textContent = value;
	dl.append(dt, dd);
}

function steps(failedStep, ran) {
	const ol = document.createElement('ol');
	ol.className = 'steps';
	for (const s of ORDER) {
		if (!ran.includes(s))
			continue;
		const li = document.createElement('li');
		if (s === failedStep) {
			li.className = 'fail';
			li.textContent = t('stepFailed', { step: t(`steps.${s}`) });
			ol.append(li);
			break;
		}
		li.className = 'pass';
		li.textContent = t('stepPassed', { step: t(`steps.${s}`) });
		ol.append(li);
	}
	return ol;
}

// A message's DKIM verdict as its dkim entry records it (the page does
// not verify it again), or, for a message, that there is none.
function showDkim(dl, r, inputs) {
	const name = inputs.documentName ?? '';
	if (!r.dkim) {
		if (/^message\//.test(r.mediaType ?? '') || /\.eml$/i.test(name))
			row(dl, t('rows.dkim'), t('noDkim'));
		return;
	}
	const d = r.dkim;
	row(dl, t('rows.dkim'), t(d.resolver === '-' || d.resolver === '' ?
		'dkimVerdict' : 'dkimVerdictAsked', d));
	for (const s of d.signatures)
		row(dl, t('rows.signature'), t('dkimSignature', {
			domain: s.domain, selector: s.selector, algorithm: s.algorithm,
			result: s.result, source: s.source, dnssec: s.dnssec,
			key: s.bits ? t('dkimKeyBits', { bits: s.bits }) :
				t('dkimKey') }));
	row(dl, t('rows.dkimBound'), r.timestamp ? t('dkimBoundStamped', {
		index: d.index, time: r.timestamp.time }) : t('dkimBound', {
		index: d.index, size: r.treeSize }));
	row(dl, t('rows.dkimAgain'), t('dkimNotAgain'));
}

function show(outcome, inputs) {
	const box = $('result');
	box.replaceChildren();
	const r = outcome.result;
	const verdict = document.createElement('p');
	verdict.id = 'verdict';
	box.dataset.verdict = outcome.ok ? 'ok' : 'failed';
	box.dataset.step = outcome.ok ? '' : outcome.step;
	const ran = ORDER.filter(s => (s !== 'cosignature' || inputs.policy) &&
		(s !== 'file' || inputs.document) &&
		(s !== 'publication' || r.publication || outcome.step === s) &&
		(s !== 'dkim' || r.dkim || outcome.step === s) &&
		(s !== 'consistency' || inputs.saved) &&
		(s !== 'timestamp' || r.timestamp || outcome.step === s));
	if (!outcome.ok) {
		verdict.className = 'verdict bad';
		verdict.textContent = t('failed', { step: outcome.step });
		const why = document.createElement('p');
		why.id = 'message';
		why.textContent = outcome.message;
		box.append(verdict, why, steps(outcome.step, ran));
		box.focus();
		return;
	}
	verdict.className = 'verdict ok';
	verdict.textContent = t('ok', { file: shownName(inputs.documentName ?? ''),
		origin: r.origin });
	const dl = document.createElement('dl');
	row(dl, t('rows.registered'), t('registeredAt', { time: r.registered,
		index: r.index }));
	row(dl, t('rows.document'), t('digest', r));
	if (r.derivedFrom !== undefined)
		row(dl, t('rows.derived'), t('derivedFrom', { from: r.derivedFrom,
			how: r.derivation }));
	row(dl, t('rows.publication'), r.publication ? t('published', {
		url: r.publication.url, date: r.publication.published,
		index: r.publication.index }) : t('notPublished'));
	showDkim(dl, r, inputs);
	for (const d of r.disclosed ?? [])
		row(dl, t('rows.disclosed'), t('disclosedValue', d.field === 'path' ?
			{ ...d, value: shownName(String(d.value)) } : d));
	const rest = (r.privateFields ?? []).filter(f =>
		!(r.disclosed ?? []).some(d => d.field === f));
	row(dl, t('rows.private'), r.privateFields ? t('privateRest',
		{ fields: rest.join(t('listSeparator')) }) : t('privateAll'));
	row(dl, t('rows.log'), t('logAt', { origin: r.origin, size: r.treeSize,
		root: r.root }));
	row(dl, t('rows.signedBy'), t(r.quorum ? 'signedByPolicy' :
		'signedByKey', r));
	if (r.quorum) {
		row(dl, t('rows.witnesses'), t('witnessesMet', { n: r.cosigners.length,
			total: r.witnesses, quorum: r.quorum }));
		for (const c of r.cosigners)
			row(dl, t('rows.cosigned'), t('cosignedBy', { name: c.name,
				time: new Date(Number(c.timestamp) * 1000).toISOString()
					.replace(/\.\d{3}Z$/, 'Z') }));
	}
	row(dl, t('rows.time'), !r.timestamp ? t('noTimestamp') : t(
		r.timestamp.trusted ? 'timestampTrusted' : 'timestampUntrusted',
		{ time: r.timestamp.time, tsa: r.timestamp.authority,
		ca: inputs.tsaCaName }));
	if (r.oldSize !== undefined)
		row(dl, t('rows.history'), t('history', { size: r.oldSize }));
	box.append(verdict, steps(null, ran), dl);
	box.focus();
}

async function run(event) {
	event.preventDefault();
	const keyText = $('keytext').value.trim();
	const keyBytes = await bytesOf('key');
	const key = keyBytes ? new TextDecoder().decode(keyBytes) : keyText || null;
	const proof = await bytesOf('proof');
	if (!fileOf('document') || !proof || !key) {
		$('result').textContent = t('missing');
		return;
	}
	const isPolicy = /^(log|witness|group|quorum) /m.test(key) &&
		!/^ssh-ed25519 /.test(key);
	const doc = fileOf('document');
	const caFile = fileOf('tsaca');
	const inputs = {
		document: doc, documentName: doc?.name ?? null, proof,
		key: isPolicy ? null : key, policy: isPolicy ? key : null,
		saved: await bytesOf('saved'), consistency: await bytesOf('consistency'),
		tsaCa: caFile ? await caFile.text() : null, tsaCaName: caFile?.name,
		progress(done, total) {
			const bar = $('progress');
			$('progress-box').hidden = false;
			bar.value = total ? done / total : 1;
			// how many pieces were read, for the tests and the curious
			bar.dataset.updates = String(Number(bar.dataset.updates ?? 0) + 1);
		},
	};
	$('check').disabled = true;
	try {
		show(await check(inputs), inputs);
	} finally {
		$('check').disabled = false;
	}
}

translate();
$('form').addEventListener('submit', run);
for (const id of ['document', 'proof', 'key', 'saved', 'consistency', 'tsaca'])
	$(id).addEventListener('change', () => { delete chosen[id]; });
const drop = $('drop');
drop.addEventListener('dragover', e => {
	e.preventDefault();
	drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', e => {
	e.preventDefault();
	drop.classList.remove('over');
	sortDropped(e.dataTransfer.files);
});
