// RFC 9162 Merkle trees: leaf and node hashes, inclusion and consistency
// proofs (section 2.1.3.2 and 2.1.4.2), and custody's pair proof.
import { equal, hash } from './bytes.js';
import { CheckError } from './note.js';
import { t } from './strings.js';

export const leafHash = bytes => hash(Uint8Array.of(0), bytes);
export const nodeHash = (l, r) => hash(Uint8Array.of(1), l, r);

const fail = msg => { throw new CheckError(msg, true); };

export function verifyInclusion(leaf, index, size, proof, root) {
	if (index >= size)
		fail(t('reason.merkle.leafNotTreeSize', { index, size }));
	let fn = index, sn = size - 1n, r = leaf;
	for (const p of proof) {
		if (sn === 0n)
			fail(t('reason.merkle.inclusionProofManyHashes', { index, size }));
		if ((fn & 1n) === 1n || fn === sn) {
			r = nodeHash(p, r);
			if ((fn & 1n) === 0n)
				while ((fn & 1n) === 0n && fn !== 0n) {
					fn >>= 1n;
					sn >>= 1n;
				}
		} else {
			r = nodeHash(r, p);
		}
		fn >>= 1n;
		sn >>= 1n;
	}
	if (sn !== 0n)
		fail(t('reason.merkle.inclusionProofTooShort', { index, size }));
	if (!equal(r, root))
		fail(t('reason.merkle.inclusionProofGiveRoot', { index, size }));
}

export function verifyConsistency(size1, size2, root1, root2, proof) {
	const what = t('reason.merkle.consistencyProofFromSize', { size1, size2 });
	if (size1 > size2)
		fail(t('reason.merkle.oldSizeLarger', { what }));
	if (size1 === size2) {
		if (proof.length !== 0 || !equal(root1, root2))
			fail(t('reason.merkle.fails', { what }));
		return;
	}
	if (size1 === 0n) {
		if (proof.length !== 0)
			fail(t('reason.merkle.fails', { what }));
		return;
	}
	if (proof.length === 0)
		fail(t('reason.merkle.empty', { what }));
	let path = proof.slice();
	if ((size1 & (size1 - 1n)) === 0n)
		path = [root1, ...path];
	let fn = size1 - 1n, sn = size2 - 1n;
	while ((fn & 1n) === 1n) {
		fn >>= 1n;
		sn >>= 1n;
	}
	let fr = path[0], sr = path[0];
	for (const c of path.slice(1)) {
		if (sn === 0n)
			fail(t('reason.merkle.hasTooManyHashes', { what }));
		if ((fn & 1n) === 1n || fn === sn) {
			fr = nodeHash(c, fr);
			sr = nodeHash(c, sr);
			if ((fn & 1n) === 0n)
				while ((fn & 1n) === 0n && fn !== 0n) {
					fn >>= 1n;
					sn >>= 1n;
				}
		} else {
			sr = nodeHash(sr, c);
		}
		fn >>= 1n;
		sn >>= 1n;
	}
	if (sn !== 0n || !equal(fr, root1) || !equal(sr, root2))
		fail(t('reason.merkle.doesNotBothRoots', { what }));
}

// docs/proof-format.md, "The pair proof".
export function verifyPair(leaf1, i, proof1, leaf2, j, extra, size, root) {
	if (i >= size || j >= size || i === j)
		fail(t('reason.merkle.leavesAreTreeSize', { i, j, size }));
	let used = 0, short = false;
	const holds = (lo, hi, x) => lo <= x && x < hi;
	const walk = (lo, hi, d) => {
		if (hi - lo === 1n)
			return lo === i ? leaf1 : leaf2;
		let k = 1n;
		while (k * 2n < hi - lo)
			k *= 2n;
		const halves = [[lo, lo + k], [lo + k, hi]];
		const h = halves.map(([a, b]) => {
			if (holds(a, b, i) || holds(a, b, j))
				return walk(a, b, d + 1);
			if (holds(lo, hi, i)) {
				const n = proof1.length - 1 - d;
				if (n < 0) {
					short = true;
					return new Uint8Array(32);
				}
				return proof1[n];
			}
			if (used >= extra.length) {
				short = true;
				return new Uint8Array(32);
			}
			return extra[used++];
		});
		return nodeHash(h[0], h[1]);
	};
	const got = walk(0n, size, 0);
	if (short)
		fail(t('reason.merkle.proofLeafTooShort', { j, i }));
	if (used !== extra.length)
		fail(t('reason.merkle.proofLeafTooMany', { j, i,
			value: extra.length - used }));
	if (!equal(got, root))
		fail(t('reason.merkle.leafItsTreeRoot', { j }));
}
