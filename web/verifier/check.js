// The steps of `custody check` (lib/src/check.c), in its order, with its
// step names: the page must give the command's verdict on every input.
import { sha256 } from '@noble/hashes/sha2';
import { concat, decodeUtf8, equal, fromBase64, fromHex, hash, toHex,
	utf8 } from './bytes.js';
import { parseEntry, registers } from './entry.js';
import { leafHash, verifyConsistency, verifyInclusion,
	verifyPair } from './merkle.js';
import { CheckError, ed25519Verify, fingerprint, parseCheckpoint,
	parseSshKey, parseVkey, splitNote, verifierFromKey,
	verifyNote } from './note.js';
import { parsePolicy, checkCosignatures } from './policy.js';
import { parseProof } from './proof.js';
import { verifyTimestamp } from './tsa.js';
import { t } from './strings.js';

class StepFailure extends Error {
	constructor(step, message) {
		super(message);
		this.step = step;
	}
}

const at = (step, prefix, e) => {
	if (!(e instanceof CheckError))
		throw e;
	return new StepFailure(step, prefix ? t('reason.check.prefixed', { prefix,
		message: e.message }) :
		e.message);
};

function makeVerifier(key, origin) {
	key = key.replace(/[\r\n]+$/, '');
	if (key.startsWith('ssh-ed25519 ')) {
		const { pub } = parseSshKey(key);
		return { v: verifierFromKey(origin, pub), fp: fingerprint(pub) };
	}
	const v = parseVkey(key);
	return { v, fp: fingerprint(v.pub) };
}

function parseConsistencyFile(text) {
	const lines = text.split('\n');
	if (lines[0] !== 'custody-consistency/v1')
		throw new CheckError(t('reason.check.consistencyProofConsistencyV'));
	const num = l => /^(0|[1-9][0-9]*)$/.test(l ?? '') ? BigInt(l) : null;
	const o = lines[1]?.startsWith('old ') ? num(lines[1].slice(4)) : null;
	const n = lines[2]?.startsWith('new ') ? num(lines[2].slice(4)) : null;
	if (o === null || n === null || lines.length < 4)
		throw new CheckError(t('reason.check.consistencyProofNLines'));
	if (lines[lines.length - 1] !== '')
		throw new CheckError(t('reason.check.consistencyProofWithNewline'));
	const hashes = lines.slice(3, -1).map((l, i) => {
		const h = l.length === 44 ? fromBase64(l) : null;
		if (h === null || h.length !== 32)
			throw new CheckError(t('reason.check.consistencyProofHashBytes', {
				value: i + 4 }));
		return h;
	});
	return { old: o, new: n, hashes };
}

const EMPTY_ROOT = sha256(new Uint8Array(0));

function checkTwo(a, b, c, fp) {
	const older = a.size <= b.size ? a : b, newer = older === a ? b : a;
	if (a.origin !== b.origin)
		throw new CheckError(t('reason.check.checkpointsAreTwoLogs', {
			origin: a.origin, bOrigin: b.origin }), true);
	if (older.size === newer.size && !equal(older.root, newer.root))
		throw new CheckError(t('reason.check.evidenceForkTwoRoots', {
			origin: a.origin, fp, size: older.size, rootB64: older.rootB64,
				newerRootB64: newer.rootB64 }), true);
	if (c && (c.old !== older.size || c.new !== newer.size))
		throw new CheckError(t('reason.check.consistencyProofNotFrom', {
			old: c.old, new: c.new, size: older.size, newerSize: newer.size }));
	if (older.size === 0n) {
		if (!equal(older.root, EMPTY_ROOT))
			throw new CheckError(t('reason.check.checkpointSizeShaNothing', {
				rootB64: older.rootB64 }),
				true);
		if (c && c.hashes.length)
			throw new CheckError(t('reason.check.consistencyProofExpectedNone',
				{ length: c.hashes.length }), true);
		return;
	}
	if (!c) {
		if (older.size === newer.size)
			return;
		throw new CheckError(t('reason.check.checkpointsSizesConsistencyProof',
			{ size: older.size, newerSize: newer.size }));
	}
	if (older.size === newer.size && c.hashes.length)
		throw new CheckError(t('reason.check.consistencyProofExpectedNone2', {
			size: older.size, length: c.hashes.length }), true);
	try {
		verifyConsistency(older.size, newer.size, older.root, newer.root,
			c.hashes);
	} catch (e) {
		throw new CheckError(t('reason.check.evidenceForkNotConsistent', {
			origin: a.origin, size: older.size, rootB64: older.rootB64,
				newerSize: newer.size, newerRootB64: newer.rootB64, fp,
					message: e.message }), true);
	}
}

function checkDisclosures(pf, e, r) {
	const nc = pf.commitments.length;
	if (nc === 0) {
		if (pf.disclosed.length)
			throw new CheckError(t('reason.check.proofDisclosesNoCommitments'));
		return;
	}
	const got = hash('custody-private v2\n', ...pf.commitments.map(c =>
		`${c.field} ${toHex(c.commit)}\n`));
	const want = fromHex(e.private);
	if (!want || !equal(want, got))
		throw new CheckError(t('reason.check.commitmentsProofEntryPrivate'),
			true);
	r.privateFields = pf.commitments.map(c => c.field);
	r.disclosed = [];
	for (const d of pf.disclosed) {
		const c = pf.commitments.find(c => c.field === d.field);
		if (!c)
			throw new CheckError(t('reason.check.disclosedButSuchField', {
				field: d.field }), true);
		const commit = hash('custody-field v2\n', d.field, '\n', d.nonce,
			d.value);
		if (!equal(commit, c.commit))
			throw new CheckError(t('reason.check.valueDisclosedEntryCommitted',
				{ field: d.field }), true);
		const text = decodeUtf8(d.value);
		if (text === null || (['version', 'previous'].includes(d.field) &&
		    !/^(0|[1-9][0-9]{0,15})$/.test(text)))
			throw new CheckError(t(['version', 'previous'].includes(d.field) ?
				'reason.check.valueNotNumber' : 'reason.check.valueNotText',
				{ field: d.field }));
		r.disclosed.push({ field: d.field, value: text });
	}
}

function publicationEntry(pf, e) {
	const p = pf.publication;
	let yaml = `custody-entry: 2\nindex: ${p.index}\ntype: "publish"\n` +
		`time: "${p.time}"\nsalt: "${toHex(p.salt)}"\n`;
	const lines = decodeUtf8(p.lines);
	if (lines === null)
		throw new CheckError(t('reason.check.publicationLinesNotUtf'));
	yaml += lines + `published: "${p.published}"\ndocuments:\n`;
	for (const d of p.documents)
		yaml += d.self ? `- index: ${e.index}\n  sha256: "${e.sha256}"\n` :
			`- index: ${d.index}\n  sha256: "${toHex(d.sha256)}"\n`;
	yaml += `private: "${toHex(p.private)}"\n`;
	return utf8.encode(yaml);
}

function checkPublication(pf, e, leaf, tp, cp, r) {
	const bytes = publicationEntry(pf, e);
	const pe = parseEntry(bytes, t('reason.check.publicationEntry'));
	const m = /^url: (.*)$/m.exec(decodeUtf8(pf.publication.lines));
	const title = /^title: (.*)$/m.exec(decodeUtf8(pf.publication.lines));
	if (!pe.documents.some(d => d.index === e.index && d.sha256 === e.sha256))
		throw new CheckError(t('reason.check.entryDoesEntrySha', {
			index: pe.index, eIndex: e.index, value: e.sha256.slice(0, 16) }),
			true);
	verifyPair(leaf, e.index, tp.hashes, leafHash(bytes), pe.index,
		pf.publicationPath, cp.size, cp.root);
	r.publication = { index: pe.index, url: m ? JSON.parse(m[1]) : '',
		title: title ? JSON.parse(title[1]) : '', published: pe.published };
}

// What the page shows of a dkim entry's evidence (custody-dkim/v1,
// docs/dkim.md): the message's digest, the observation time, the
// resolver, and per signature its tags, result and key.
function readEvidence(text) {
	const ev = { sha256: '', observed: -1n, resolver: '', signatures: [] };
	let s = null;
	for (const line of text.split('\n')) {
		const sp = line.indexOf(' ');
		const tag = sp < 0 ? line : line.slice(0, sp), v = line.slice(sp + 1);
		if (sp < 0)
			continue;
		if (tag === 'message-sha256')
			ev.sha256 = v;
		else if (tag === 'observed')
			ev.observed = /^[0-9]{1,12}$/.test(v) ? BigInt(v) : -1n;
		else if (tag === 'resolver')
			ev.resolver = v;
		else if (tag === 'signature') {
			s = { domain: '', selector: '', algorithm: '', result: '',
				source: '-', dnssec: '-', bits: null };
			ev.signatures.push(s);
		} else if (s !== null) {
			const keys = { domain: 'domain', selector: 'selector',
				algorithm: 'algorithm', result: 'result',
				'key-source': 'source', 'key-dnssec': 'dnssec' };
			if (tag in keys)
				s[keys[tag]] = v;
			else if (tag === 'key-bits' && /^[1-9][0-9]{0,5}$/.test(v))
				s.bits = Number(v);
		}
	}
	return ev;
}

// The message's dkim entry: a verdict on this very entry (index and leaf
// hash), made for its digest at the time it states, in the same tree.
// The page has no DKIM verifier: it shows the verdict as recorded.
function checkDkim(pf, e, leaf, tp, cp, r) {
	if (e.type !== 'register')
		throw new CheckError(t('reason.check.dkimNotMessage', {
			index: e.index }), true);
	const de = parseEntry(pf.dkim, t('reason.check.dkimEntry'));
	if (de.type !== 'dkim')
		throw new CheckError(t('reason.check.dkimNotDkim', { type: de.type,
			index: de.index }), true);
	if (de.message !== e.index)
		throw new CheckError(t('reason.check.dkimOtherMessage', {
			index: de.index, message: de.message, eIndex: e.index }), true);
	if (de.message_leaf !== toHex(leaf))
		throw new CheckError(t('reason.check.dkimOtherLeaf', {
			index: de.index, eIndex: e.index,
			named: de.message_leaf.slice(0, 16),
			leaf: toHex(leaf).slice(0, 16) }), true);
	try {
		verifyPair(leaf, e.index, tp.hashes, leafHash(pf.dkim), de.index,
			pf.dkimPath, cp.size, cp.root);
	} catch (err) {
		if (!(err instanceof CheckError))
			throw err;
		throw new CheckError(t('reason.check.dkimNotInTree', {
			index: de.index, message: err.message }), true);
	}
	const ev = readEvidence(de.evidence);
	if (ev.sha256 !== e.sha256)
		throw new CheckError(t('reason.check.dkimOtherDigest', {
			index: de.index, named: ev.sha256.slice(0, 16),
			sha256: e.sha256.slice(0, 16) }), true);
	const seen = ev.observed < 0n ? '' : new Date(Number(ev.observed) * 1000)
		.toISOString().replace(/\.\d{3}Z$/, 'Z');
	if (seen !== de.observed)
		throw new CheckError(t('reason.check.dkimObserved', {
			index: de.index, observed: de.observed, seen }), true);
	r.dkim = { index: de.index, verdict: de.verdict, observed: de.observed,
		resolver: ev.resolver, signatures: ev.signatures };
}

// The note as the log signed it: the cosignatures (signatures of 8 + 64
// bytes) after the last other signature line are left out, as
// custody_cosig__strip does; a timestamp covers what the log signed.
function stripCosignatures(note) {
	const { text, sigs } = splitNote(note);
	const lines = note.slice(text.length + 1, -1).split('\n');
	let keep = -1;
	sigs.forEach((s, i) => {
		if (s.sig.length !== 72)
			keep = i;
	});
	if (keep < 0)
		return note;
	return text + '\n' + lines.slice(0, keep + 1).join('\n') + '\n';
}

/*
 * The checkpoint is not signed by the key given. Do the proof's log-key
 * entries lead from that key, each endorsed by the one before, to a key
 * that signs it? Then the words saying so (the new key named, for the
 * reader to check again with), else null; a bad entry, its error.
 */
async function rotated(pf, given, note, size) {
	let cur = given, at = 0n, hops = 0, vkey = null;
	for (const bytes of pf.logKeys) {
		const e = parseEntry(bytes, t('reason.check.logKeyEntryProof'));
		if (e.type !== 'log-key' || e.index >= size)
			throw new CheckError(t('reason.check.logKeyTreeSize', {
				index: e.index, type: e.type, size }));
		const from = parseVkey(String(e.previous_log_key ?? ''));
		const to = parseVkey(String(e.log_key ?? ''));
		const msg = utf8.encode(`custody log-key rotation v1\nindex ${e.index}\n` +
			`from ${e.previous_log_key}\nto ${e.log_key}\n`);
		const sig = b64 => typeof b64 === 'string' && b64.length === 88 ?
			fromBase64(b64) : null;
		const old = sig(e.old_signature), neu = sig(e.new_signature);
		if (!old || !neu || !await ed25519Verify(from.pub, msg, old) ||
		    !await ed25519Verify(to.pub, msg, neu))
			throw new CheckError(t('reason.check.rotationAtNewKey', {
				index: e.index }), true);
		if (equal(from.pub, cur.pub)) {
			cur = to;
			at = e.index;
			hops++;
			vkey = e.log_key;
		}
	}
	if (hops === 0)
		return null;
	try {
		await verifyNote(note, cur);
	} catch {
		return null;
	}
	return t(hops > 1 ? 'reason.check.rotatedSeveral' : 'reason.check.rotated',
		{ at, vkey });
}

/*
 * inputs: { document: Blob|null, documentName, proof: Uint8Array,
 *   key: string|null, policy: string|null, saved, consistency, tsaCa,
 *   now, progress(done, total) }.
 * Resolves to { ok, step, message, result }.
 */
export async function check(inputs) {
	const r = {};
	try {
		await run(inputs, r);
		return { ok: true, result: r };
	} catch (e) {
		if (e instanceof StepFailure)
			return { ok: false, step: e.step, message: e.message, result: r };
		if (e instanceof CheckError)
			return { ok: false, step: 'proof', message: e.message, result: r };
		throw e;
	}
}

async function run(inputs, r) {
	let key = inputs.key, policy = null;
	if (inputs.policy != null) {
		if (key != null)
			throw new StepFailure('options',
				t('reason.check.giveOutletNotBoth'));
		try {
			policy = parsePolicy(inputs.policy, t('reason.check.policy'));
		} catch (e) {
			throw at('policy', null, e);
		}
	} else if (key == null) {
		throw new StepFailure('key', t('reason.check.checkNeedsPublicKey'));
	}

	// 1. the proof's form
	let pf;
	try {
		const text = decodeUtf8(inputs.proof);
		if (text === null)
			throw new CheckError(t('reason.check.proofNotUtfText'));
		pf = parseProof(text);
	} catch (e) {
		throw at('proof', t('reason.check.proofFileMalformed'), e);
	}
	const tp = pf.tlog;

	// 2. the checkpoint's signature, by the key given
	let cp;
	try {
		cp = parseCheckpoint(splitNote(tp.checkpoint).text);
	} catch (e) {
		throw at('key', t('reason.check.keyOrCheckpoint'), e);
	}
	if (policy && (key = policy.logs.get(cp.origin)) === undefined)
		throw new StepFailure('policy', t('reason.check.policyItOutletPolicy',
			{ origin: cp.origin }));
	let v;
	try {
		({ v, fp: r.fingerprint } = makeVerifier(key, cp.origin));
	} catch (e) {
		throw at('key', t('reason.check.keyOrCheckpoint'), e);
	}
	try {
		await verifyNote(tp.checkpoint, v);
	} catch (e) {
		let why = e;
		try {
			const moved = await rotated(pf, v, tp.checkpoint, cp.size);
			if (moved)
				why = new CheckError(moved, true);
		} catch (err) {
			why = err;
		}
		throw at('signature', t('reason.check.checkpointSignature'), why);
	}
	r.origin = cp.origin;
	r.treeSize = cp.size;
	r.root = cp.rootB64;

	// 2b. the witnesses' cosignatures, to the policy's quorum
	if (policy) {
		try {
			await checkCosignatures(policy, tp.checkpoint, inputs.now ??
				Math.floor(Date.now() / 1000), r);
		} catch (e) {
			throw at('cosignature', t('reason.check.cosignatures'), e);
		}
	}

	// 3. the entry the proof carries
	if (!tp.extra || tp.extra.length === 0)
		throw new StepFailure('entry', t('reason.check.entryProofNoExtra'));
	let e;
	try {
		e = parseEntry(tp.extra, t('reason.check.proofEntry'));
	} catch (err) {
		throw at('entry', 'entry', err);
	}
	if (!registers(e) || e.index !== tp.index)
		throw new StepFailure('entry', t('reason.check.entryProofAtIndex', {
			type: e.type, index: e.index, tpIndex: tp.index }));
	Object.assign(r, { index: e.index, size: e.size, sha256: e.sha256,
		registered: e.time, mediaType: e.media_type });
	if (e.type === 'derive')
		Object.assign(r, { derivedFrom: e.derived_from,
			derivation: e.derivation });

	// 3b. what the outlet disclosed of the private part
	try {
		checkDisclosures(pf, e, r);
	} catch (err) {
		throw at('disclosure', 'disclosure', err);
	}

	// 4. the file is the registered document, hashed in pieces
	if (inputs.document) {
		const doc = inputs.document, piece = 4 << 20, h = sha256.create();
		for (let off = 0; off < doc.size; off += piece) {
			const part = doc.slice(off, Math.min(off + piece, doc.size));
			h.update(new Uint8Array(await part.arrayBuffer()));
			inputs.progress?.(Math.min(off + piece, doc.size), doc.size);
		}
		inputs.progress?.(doc.size, doc.size);
		const got = toHex(h.digest());
		if (got !== e.sha256 || BigInt(doc.size) !== e.size)
			throw new StepFailure('file', t('reason.check.fileNotEntryBytes', {
				documentName: inputs.documentName, got, size: doc.size,
					sha256: e.sha256, eSize: e.size }));
		r.fileChecked = true;
	}

	// 5. the entry is in the signed tree
	const leaf = leafHash(tp.extra);
	try {
		verifyInclusion(leaf, tp.index, cp.size, tp.hashes, cp.root);
	} catch (err) {
		throw at('inclusion', t('reason.check.inclusionEntryCheckpointTree'),
			err);
	}

	// 5b. the publication that names the document, in the same tree
	if (pf.publication) {
		try {
			checkPublication(pf, e, leaf, tp, cp, r);
		} catch (err) {
			throw at('publication', 'publication', err);
		}
	}

	// 5c. the message's DKIM verdict, in the same tree
	if (pf.dkim) {
		try {
			checkDkim(pf, e, leaf, tp, cp, r);
		} catch (err) {
			throw at('dkim', 'dkim', err);
		}
	}

	// 6. the reader's saved checkpoint, if any
	if (inputs.saved != null) {
		try {
			const text = decodeUtf8(inputs.saved);
			if (text === null)
				throw new CheckError(t('reason.check.savedCheckpointNotUtf'));
			let old;
			try {
				old = parseCheckpoint((await verifyNote(text, v)).text);
			} catch (err) {
				throw new CheckError(t('reason.check.savedCheckpoint', {
					message: err.message }),
					err.verify);
			}
			const c = inputs.consistency == null ? null :
				parseConsistencyFile(decodeUtf8(inputs.consistency) ?? '');
			checkTwo(old, cp, c, r.fingerprint);
			r.oldSize = old.size;
		} catch (err) {
			throw at('consistency', 'consistency', err);
		}
	}

	// 7. the timestamp covers this very checkpoint
	if (pf.token) {
		try {
			const signed = stripCosignatures(tp.checkpoint);
			r.timestamp = await verifyTimestamp(pf.token,
				utf8.encode(signed), inputs.tsaCa ?? null);
		} catch (err) {
			throw at('timestamp', 'timestamp', err);
		}
	}
}

export { concat };
