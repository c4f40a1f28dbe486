// C2SP tlog-policy files and tlog-cosignature/v1 cosignatures: a policy
// names the outlet's log key, its witnesses and the quorum they must meet.
import { concat, equal, fromBase64, fromHex } from './bytes.js';
import { CheckError, ed25519Verify, noteKeyId, parseVkey,
	splitNote } from './note.js';

// A witness's key: "<name>+<key id>+base64(0x04 || key)" (cosignature/v1).
function parseWitnessVkey(vkey) {
	const bad = msg => { throw new CheckError(`witness key: ${msg}`); };
	const plus = vkey.indexOf('+');
	const name = plus < 0 ? vkey : vkey.slice(0, plus);
	if (name === '' || /[\s+\u0000-\u001f]/.test(name))
		bad('the key name is empty or holds a space or "+"');
	if (plus < 0)
		bad('not of the form <name>+<key id>+<key>');
	const rest = vkey.slice(plus + 1);
	const id = fromHex(rest.slice(0, 8));
	if (rest.length < 9 || rest[8] !== '+' || id === null)
		bad('no 8-digit lowercase hex key id after the name');
	const body = rest.length === 53 ? fromBase64(rest.slice(9)) : null;
	if (body === null || body.length !== 33)
		bad('not canonical base64 of a key type and 32 bytes');
	if (body[0] === 1)
		bad('of type 0x01, a log\'s note key: a witness cosigns with type ' +
			'0x04 (cosignature/v1)');
	if (body[0] !== 4)
		bad(`of type 0x${body[0].toString(16).padStart(2, '0')}, not 0x04 ` +
			'(an Ed25519 cosignature/v1 key)');
	const pub = body.slice(1), keyId = noteKeyId(name, 4, pub);
	if (!equal(keyId, id))
		bad(`the key id ${rest.slice(0, 8)} does not match the name and key`);
	return { name, pub, keyId };
}

const SKEW = 600n;

export function parsePolicy(text, what) {
	const p = { logs: new Map(), witnesses: [], groups: new Map(),
		quorum: null };
	const bad = (n, msg) => { throw new CheckError(`${what} line ${n}: ${msg}`); };
	const names = new Set(['none']);
	const lines = text.split('\n');
	lines.forEach((raw, i) => {
		const n = i + 1;
		const line = raw.replace(/#.*$/, '').trim();
		if (line === '')
			return;
		const w = line.split(/[ \t]+/);
		if (w[0] === 'log') {
			if (w.length < 2 || w.length > 3)
				bad(n, 'a log line is "log <vkey> [<url>]"');
			let v;
			try {
				v = parseVkey(w[1]);
			} catch (e) {
				bad(n, `the log key: ${e.message}`);
			}
			p.logs.set(v.name, w[1]);
		} else if (w[0] === 'witness') {
			if (w.length < 3 || w.length > 4)
				bad(n, 'a witness line is "witness <name> <vkey> [<url>]"');
			if (names.has(w[1]))
				bad(n, `"${w[1]}" is already defined`);
			let v;
			try {
				v = parseWitnessVkey(w[2]);
			} catch (e) {
				bad(n, `witness ${w[1]}: ${e.message}`);
			}
			names.add(w[1]);
			p.witnesses.push({ name: w[1], vname: v.name, pub: v.pub,
				keyId: v.keyId });
		} else if (w[0] === 'group') {
			if (w.length < 4)
				bad(n, 'a group line is "group <name> <k|any|all> <name>..." ' +
					'with at least one member');
			if (names.has(w[1]))
				bad(n, `"${w[1]}" is already defined`);
			for (const m of w.slice(3))
				if (!names.has(m) || m === 'none')
					bad(n, `"${m}" is not defined on an earlier line`);
			const members = w.slice(3);
			const k = w[2] === 'any' ? 1 : w[2] === 'all' ? members.length :
				/^[1-9][0-9]*$/.test(w[2]) ? Number(w[2]) : NaN;
			if (!(k >= 1 && k <= members.length))
				bad(n, 'a group line is "group <name> <k|any|all> <name>..." ' +
					'with at least one member');
			names.add(w[1]);
			p.groups.set(w[1], { k, members });
		} else if (w[0] === 'quorum') {
			if (w.length !== 2 || p.quorum !== null)
				bad(n, 'one quorum line, "quorum <name>"');
			if (!names.has(w[1]))
				bad(n, `"${w[1]}" is not defined on an earlier line`);
			p.quorum = w[1];
		} else {
			bad(n, `"${w[0]}" is not a policy line`);
		}
	});
	if (p.logs.size === 0)
		throw new CheckError(`${what}: it names no log`);
	if (p.quorum === null)
		throw new CheckError(`${what}: it has no quorum line`);
	return p;
}

function met(p, name, cosigned) {
	if (name === 'none')
		return true;
	const g = p.groups.get(name);
	if (!g)
		return cosigned.has(name);
	return g.members.filter(m => met(p, m, cosigned)).length >= g.k;
}

export async function checkCosignatures(p, note, now, r) {
	const { text, sigs } = splitNote(note);
	const cosigned = new Set();
	r.cosigners = [];
	for (const w of p.witnesses) {
		const s = sigs.find(s => s.name === w.vname && equal(s.keyId, w.keyId));
		if (!s)
			continue;
		const dv = new DataView(s.sig.buffer, s.sig.byteOffset);
		const ts = s.sig.length === 72 ? dv.getBigUint64(0) : null;
		const ok = ts !== null && await ed25519Verify(w.pub, concat(
			`cosignature/v1\ntime ${ts}\n`, text), s.sig.slice(8));
		if (!ok)
			throw new CheckError(`the cosignature of witness ${w.name}: the ` +
				'signature does not verify (a cosignature over another ' +
				'checkpoint, or forged)', true);
		if (ts > BigInt(now) + SKEW)
			throw new CheckError(`the cosignature of witness ${w.name} is ` +
				`dated ${ts}, ${ts - BigInt(now)} seconds after this machine's ` +
				'clock: a cosignature from the future is refused (check this ' +
				'machine\'s clock)', true);
		cosigned.add(w.name);
		r.cosigners.push({ name: w.name, timestamp: ts });
	}
	r.witnesses = p.witnesses.length;
	r.quorum = p.quorum;
	if (!met(p, p.quorum, cosigned)) {
		const n = r.cosigners.length;
		throw new CheckError(`the checkpoint carries ${n} valid cosignature` +
			`${n === 1 ? '' : 's'} by the policy's ${p.witnesses.length} ` +
			`witnesses, short of its quorum (${p.quorum}): its witnesses have ` +
			'not vouched for it', true);
	}
}
