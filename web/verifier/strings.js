// Every word the page shows, in one place, so that a translation is one
// more object of the same keys: the labels, the result lines and every
// reason a check fails for (under `reason`). English first; its wording
// follows `custody check`'s, which the browser tests compare it with.
// A {name} in a text is filled from the values given to t(); a reason may
// hold another, already filled, as {reason}.
export const strings = {
	en: {
		title: 'Check a document against its custody proof',
		intro: 'Choose the document, its proof and the outlet\u2019s key (or ' +
			'its witness policy). Everything is checked on this computer: ' +
			'nothing is sent anywhere.',
		document: 'Document',
		documentHelp: 'the file you want to check',
		proof: 'Proof',
		proofHelp: 'the .proof file the outlet published with it',
		key: 'Outlet key or policy',
		keyHelp: 'a verifier key (custody key export --vkey), an ssh-ed25519 ' +
			'line, or a witness policy file',
		keyText: 'or paste the key',
		advanced: 'More checks (optional)',
		saved: 'A checkpoint you saved earlier',
		consistency: 'Its consistency proof',
		tsaCa: 'Timestamp authority certificate you trust (PEM)',
		check: 'Check',
		drop: 'or drop files here',
		hashing: 'Hashing the document',
		ok: 'OK: {file} is the document registered in the log {origin}',
		failed: 'Check failed at step \u2018{step}\u2019',
		missing: 'Choose the document, the proof and the key first.',
		steps: {
			options: 'options', policy: 'policy', key: 'key',
			proof: 'proof', signature: 'signature',
			cosignature: 'cosignature', entry: 'entry',
			disclosure: 'disclosure', file: 'file',
			inclusion: 'inclusion', publication: 'publication',
			consistency: 'consistency', timestamp: 'timestamp',
		},
		stepPassed: '{step}: passed',
		stepFailed: '{step}: failed',
		listSeparator: ', ',
		rows: {
			registered: 'registered', document: 'document',
			derived: 'derived', publication: 'publication',
			disclosed: 'disclosed', private: 'private', log: 'log',
			history: 'history', signedBy: 'signed by',
			witnesses: 'witnesses', cosigned: 'cosigned', time: 'time',
		},
		registeredAt: '{time} (the outlet\'s clock), entry {index}',
		digest: 'SHA-256 {sha256}, {size} bytes',
		derivedFrom: 'by {how} from entry {from}, registered earlier in the ' +
			'same log (the original is not disclosed)',
		published: 'published at {url} on {date} (entry {index})',
		notPublished: 'registered, not recorded as published',
		disclosedValue: 'by the outlet: {field} = {value}',
		privateRest: '{fields} (not disclosed)',
		privateAll: 'every field but the public ones (the outlet disclosed none)',
		logAt: '{origin} at size {size}, root {root}',
		history: 'consistent with the checkpoint of size {size} you saved',
		signedByKey: '{fingerprint}, the key you gave',
		signedByPolicy: '{fingerprint}, the log key of the policy',
		witnessesMet: '{n} of the policy\'s {total} cosigned it, quorum ' +
			'{quorum} met',
		cosignedBy: 'by {name} at {time}',
		noTimestamp: 'no timestamp: only the outlet\'s own records say when',
		timestampTrusted: 'registered before {time}, by an RFC 3161 ' +
			'timestamp from {tsa} (trusted: {ca})',
		timestampUntrusted: 'an RFC 3161 timestamp says {time}, from {tsa}, ' +
			'but no trusted authority was given',
		pageHash: 'This page\u2019s SHA-256 is printed by `custody verifier`; ' +
			'compare it before you trust a copy.',
		reason: {
		},
	},
};

// The page's language is its <html lang>; a text it lacks is English.
const lang = globalThis.document?.documentElement?.lang;

function lookup(table, key) {
	return key.split('.').reduce((o, k) => o?.[k], table);
}

// The text of KEY ('reason.note.empty') in the page's language, each
// {name} in it replaced by values[name].
export function t(key, values = {}) {
	const template = lookup(strings[lang], key) ?? lookup(strings.en, key);
	if (typeof template !== 'string')
		throw new Error(`strings.js has no text '${key}'`);
	return template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));
}
