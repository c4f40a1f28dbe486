// C2SP tlog-policy files and tlog-cosignature/v1 cosignatures: a policy
// names the outlet's log key, its witnesses and the quorum they must meet.
import { concat, equal, fromBase64, fromHex } from './bytes.js';
import { CheckError, ed25519Verify, noteKeyId, parseVkey,
	splitNote } from './note.js';
import { t } from './strings.js';

// A witness's key: "<name>+<key id>+base64(0x04 || key)" (cosignature/v1).
function parseWitnessVkey(vkey) {
	const bad = msg => { throw new CheckError(t('reason.policy.witnessKey', {
		msg })); };
	const plus = vkey.indexOf('+');
	const name = plus < 0 ? vkey : vkey.slice(0, plus);
	if (name === '' || /[\s+\u0000-\u001f]/.test(name))
		bad(t('reason.policy.keyNameSpaceOr'));
	if (plus < 0)
		bad(t('reason.policy.notFormIdKey'));
	const rest = vkey.slice(plus + 1);
	const id = fromHex(rest.slice(0, 8));
	if (rest.length < 9 || rest[8] !== '+' || id === null)
		bad(t('reason.policy.noDigitAfterName'));
	const body = rest.length === 53 ? fromBase64(rest.slice(9)) : null;
	if (body === null || body.length !== 33)
		bad(t('reason.policy.notCanonicalTypeBytes'));
	if (body[0] === 1)
		bad(t('reason.policy.typeXCosignatureV'));
	if (body[0] !== 4)
		bad(t('reason.policy.typeXVKey', {
			value: body[0].toString(16).padStart(2, '0') }));
	const pub = body.slice(1), keyId = noteKeyId(name, 4, pub);
	if (!equal(keyId, id))
		bad(t('reason.policy.keyIdNameKey', { value: rest.slice(0, 8) }));
	return { name, pub, keyId };
}

const SKEW = 600n;

export function parsePolicy(text, what) {
	const p = { logs: new Map(), witnesses: [], groups: new Map(),
		quorum: null };
	const bad = (n, msg) => { throw new CheckError(t('reason.policy.line', {
		what, n, msg })); };
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
				bad(n, t('reason.policy.logLineVkeyUrl'));
			let v;
			try {
				v = parseVkey(w[1]);
			} catch (e) {
				bad(n, t('reason.policy.logKey', { message: e.message }));
			}
			p.logs.set(v.name, w[1]);
		} else if (w[0] === 'witness') {
			if (w.length < 3 || w.length > 4)
				bad(n, t('reason.policy.witnessLineVkeyUrl'));
			if (names.has(w[1]))
				bad(n, t('reason.policy.alreadyDefined', { value: w[1] }));
			let v;
			try {
				v = parseWitnessVkey(w[2]);
			} catch (e) {
				bad(n, t('reason.policy.witness', { value: w[1],
					message: e.message }));
			}
			names.add(w[1]);
			p.witnesses.push({ name: w[1], vname: v.name, pub: v.pub,
				keyId: v.keyId });
		} else if (w[0] === 'group') {
			if (w.length < 4)
				bad(n, t('reason.policy.groupLineOneMember'));
			if (names.has(w[1]))
				bad(n, t('reason.policy.alreadyDefined', { value: w[1] }));
			for (const m of w.slice(3))
				if (!names.has(m) || m === 'none')
					bad(n, t('reason.policy.notDefinedEarlierLine', { m }));
			const members = w.slice(3);
			const k = w[2] === 'any' ? 1 : w[2] === 'all' ? members.length :
				/^[1-9][0-9]*$/.test(w[2]) ? Number(w[2]) : NaN;
			if (!(k >= 1 && k <= members.length))
				bad(n, t('reason.policy.groupLineOneMember'));
			names.add(w[1]);
			p.groups.set(w[1], { k, members });
		} else if (w[0] === 'quorum') {
			if (w.length !== 2 || p.quorum !== null)
				bad(n, t('reason.policy.oneQuorumQuorumName'));
			if (!names.has(w[1]))
				bad(n, t('reason.policy.notDefinedEarlierLine2', {
					value: w[1] }));
			p.quorum = w[1];
		} else {
			bad(n, t('reason.policy.notPolicyLine', { value: w[0] }));
		}
	});
	if (p.logs.size === 0)
		throw new CheckError(t('reason.policy.itNamesNoLog', { what }));
	if (p.quorum === null)
		throw new CheckError(t('reason.policy.itHasQuorumLine', { what }));
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
			throw new CheckError(t('reason.policy.cosignatureWitnessOrForged',
				{ name: w.name }), true);
		if (ts > BigInt(now) + SKEW)
			throw new CheckError(t(
				'reason.policy.cosignatureWitnessMachineClock',
				{ name: w.name, ts, value: ts - BigInt(now) }), true);
		cosigned.add(w.name);
		r.cosigners.push({ name: w.name, timestamp: ts });
	}
	r.witnesses = p.witnesses.length;
	r.quorum = p.quorum;
	if (!met(p, p.quorum, cosigned)) {
		const n = r.cosigners.length;
		throw new CheckError(t(n === 1 ? 'reason.policy.shortOfQuorumOne' :
			'reason.policy.shortOfQuorum', { n, witnesses: p.witnesses.length,
			quorum: p.quorum }), true);
	}
}
