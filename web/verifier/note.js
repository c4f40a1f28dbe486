// C2SP signed notes, checkpoints and verifier keys (c2sp.org/signed-note,
// c2sp.org/tlog-checkpoint), read as strictly as custody reads them.
import { concat, decimal, decodeUtf8, equal, fromBase64, fromHex, hash,
	toBase64 } from './bytes.js';
import { t } from './strings.js';

export class CheckError extends Error {
	constructor(message, verify = false) {
		super(message);
		this.verify = verify;   // a failed check rather than bad input
	}
}

const bad = message => { throw new CheckError(message); };

export const EM_DASH = '\u2014 ';

function nameProblem(name) {
	if (name.length === 0)
		return t('reason.note.empty');
	if (/[\u0000-\u001f]/.test(name))
		return t('reason.note.holdsControlCharacter');
	if (/[\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/
	    .test(name))
		return t('reason.note.holdsSpace');
	if (name.includes('+'))
		return t('reason.note.holds');
	return null;
}

export function checkText(text, what, firstLine) {
	const lines = text.split('\n');
	for (let i = 0; i < lines.length; i++) {
		const m = /[\u0000-\u001f]/.exec(lines[i]);
		if (m)
			bad(t('reason.note.controlCharacter', { what,
				line: firstLine + i,
				hex: m[0].charCodeAt(0).toString(16).padStart(2, '0') }));
	}
}

// Split a note (a string already known to be UTF-8) into its text and
// signature lines; throws as custody does on a malformed note.
export function splitNote(note, what = 'note', firstLine = 1) {
	checkText(note, what, firstLine);
	const count = s => s.split('\n').length - 1;
	if (note.length === 0)
		bad(t('reason.note.lineNoteEmpty', { what, firstLine }));
	if (!note.endsWith('\n'))
		bad(t('reason.note.lineLastWithNewline', { what,
			value: firstLine + count(note) }));
	const split = note.lastIndexOf('\n\n', note.length - 2);
	if (split < 0)
		bad(t('reason.note.lineNoSignatureLines', { what,
			value: firstLine + count(note) - 1 }));
	const text = note.slice(0, split + 1);
	let number = firstLine + count(text) + 1;
	if (split + 2 === note.length)
		bad(t('reason.note.lineNoBlankLine', { what, value: number - 1 }));
	const sigs = [];
	for (const line of note.slice(split + 2, -1).split('\n')) {
		if (sigs.length >= 100)
			bad(t('reason.note.lineMoreSignatureLines', { what, number }));
		if (!line.startsWith(EM_DASH))
			bad(t('reason.note.lineSignatureUSpace', { what, number }));
		const rest = line.slice(EM_DASH.length);
		const space = rest.indexOf(' ');
		if (space < 0)
			bad(t('reason.note.lineNoNameSignature', { what, number }));
		const name = rest.slice(0, space);
		const problem = nameProblem(name);
		if (problem)
			bad(t('reason.note.lineKeyName', { what, number, problem }));
		const raw = fromBase64(rest.slice(space + 1));
		if (raw === null || raw.length === 0)
			bad(t('reason.note.lineSignatureCanonicalBase', { what, number }));
		if (raw.length < 5)
			bad(t('reason.note.lineSignatureOneByte', { what, number }));
		sigs.push({ name, keyId: raw.slice(0, 4), sig: raw.slice(4),
			line: number });
		number++;
	}
	return { text, sigs };
}

export function parseCheckpoint(text, what = 'checkpoint', firstLine = 1) {
	if (text.length === 0)
		bad(t('reason.note.lineNoOriginLine', { what, firstLine }));
	const lines = text.slice(0, -1).split('\n');
	const origin = lines[0];
	if (origin.length === 0)
		bad(t('reason.note.lineOriginEmpty', { what, firstLine }));
	if (lines.length < 2)
		bad(t('reason.note.lineNoSizeLine', { what, value: firstLine + 1 }));
	const size = decimal(lines[1]);
	if (size === null)
		bad(t('reason.note.lineTreeDecimalNumber', { what,
			value: firstLine + 1 }));
	if (lines.length < 3)
		bad(t('reason.note.lineNoHashLine', { what, value: firstLine + 2 }));
	const root = lines[2].length === 44 ? fromBase64(lines[2]) : null;
	if (root === null || root.length !== 32)
		bad(t('reason.note.lineRootCanonicalBase', { what,
			value: firstLine + 2 }));
	for (let i = 3; i < lines.length; i++)
		if (lines[i] === '')
			bad(t('reason.note.lineExtensionLineEmpty', { what,
				value: firstLine + i }));
	return { origin, size, root, rootB64: lines[2] };
}

export function noteKeyId(name, type, pub) {
	return hash(name, '\n', Uint8Array.of(type), pub).slice(0, 4);
}

export function verifierFromKey(name, pub) {
	return { name, pub, keyId: noteKeyId(name, 1, pub) };
}

// "<name>+<key id hex>+base64(0x01 || key)"
export function parseVkey(vkey) {
	const plus = vkey.indexOf('+');
	const name = plus < 0 ? vkey : vkey.slice(0, plus);
	const problem = nameProblem(name);
	if (problem)
		bad(t('reason.note.verifierKeyKeyName', { problem }));
	if (plus < 0)
		bad(t('reason.note.verifierKeyIdKey'));
	const rest = vkey.slice(plus + 1);
	const id = fromHex(rest.slice(0, 8));
	if (rest.length < 9 || rest[8] !== '+' || id === null)
		bad(t('reason.note.verifierKeyAfterName'));
	const b64 = rest.slice(9);
	if (b64.length !== 44)
		bad(t('reason.note.verifierKeyXBytes'));
	const body = fromBase64(b64);
	if (body === null)
		bad(t('reason.note.verifierKeyCanonicalBase'));
	if (body.length !== 33 || body[0] !== 1)
		bad(t('reason.note.verifierKeyXBytes'));
	const v = verifierFromKey(name, body.slice(1));
	if (!equal(v.keyId, id))
		bad(t('reason.note.verifierKeyNameKey', { value: rest.slice(0, 8) }));
	return v;
}

// "ssh-ed25519 <base64 of the SSH wire key> [comment]" to its 32 bytes.
export function parseSshKey(line) {
	const words = line.split(' ');
	const blob = fromBase64(words[1] ?? '');
	const want = concat(Uint8Array.of(0, 0, 0, 11), 'ssh-ed25519',
		Uint8Array.of(0, 0, 0, 32));
	if (blob === null || blob.length !== 51 ||
	    !equal(blob.slice(0, 19), want))
		bad(t('reason.note.publicKeyKeyLine'));
	return { pub: blob.slice(19), blob };
}

// SHA256:<unpadded base64> of the SSH wire form, as ssh-keygen -l prints.
export function fingerprint(pub) {
	const blob = concat(Uint8Array.of(0, 0, 0, 11), 'ssh-ed25519',
		Uint8Array.of(0, 0, 0, 32), pub);
	return 'SHA256:' + toBase64(hash(blob)).replace(/=+$/, '');
}

export async function ed25519Verify(pub, message, sig) {
	if (sig.length !== 64)
		return false;
	try {
		const key = await crypto.subtle.importKey('raw', pub,
			{ name: 'Ed25519' }, false, ['verify']);
		return await crypto.subtle.verify({ name: 'Ed25519' }, key, sig,
			message);
	} catch {
		return false;
	}
}

// Verify a note against one verifier; the text on success.
export async function verifyNote(note, v) {
	const { text, sigs } = splitNote(note);
	let verified = 0, badLine = 0;
	const message = new TextEncoder().encode(text);
	for (const s of sigs) {
		if (s.name !== v.name || !equal(s.keyId, v.keyId))
			continue;
		if (await ed25519Verify(v.pub, message, s.sig))
			verified++;
		else if (badLine === 0)
			badLine = s.line;
	}
	const hexId = Array.from(v.keyId, b => b.toString(16).padStart(2, '0'))
		.join('');
	if (badLine !== 0)
		throw new CheckError(t('reason.note.noteLineNotVerify', { badLine,
			name: v.name, hexId }), true);
	if (verified === 0)
		throw new CheckError(t('reason.note.noteNotSignedBy', {
			name: v.name }), true);
	return { text, sigs };
}

export { decodeUtf8 };
