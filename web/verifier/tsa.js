// RFC 3161 timestamp tokens, read with PKI.js (a maintained CMS and X.509
// library) rather than by hand: the token's imprint must be the
// checkpoint's SHA-256, its signature valid, and, when the reader names
// the authorities they trust, its certificate must chain to one of them
// and be a timestamping certificate valid at the token's time.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { equal, toHex } from './bytes.js';
import { CheckError } from './note.js';

const SHA256_OID = '2.16.840.1.101.3.4.2.1';
const TST_INFO_OID = '1.2.840.113549.1.9.16.1.4';
const SIGNED_DATA_OID = '1.2.840.113549.1.7.2';
const EKU_OID = '2.5.29.37';
const TIME_STAMPING_OID = '1.3.6.1.5.5.7.3.8';

const fail = (msg, verify = true) => { throw new CheckError(msg, verify); };

function der(bytes, what) {
	const parsed = asn1js.fromBER(bytes);
	if (parsed.offset === -1 || parsed.offset !== bytes.byteLength)
		fail(`${what} is not DER`, false);
	return parsed.result;
}

export function pemCertificates(text) {
	const out = [];
	const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
	for (let m; (m = re.exec(text)) !== null;) {
		const bin = atob(m[1].replace(/\s+/g, ''));
		const bytes = Uint8Array.from(bin, c => c.charCodeAt(0));
		out.push(new pkijs.Certificate({ schema: der(bytes, 'a certificate') }));
	}
	if (out.length === 0)
		fail('the authority file holds no PEM certificate', false);
	return out;
}

function commonName(cert) {
	const cn = cert.subject.typesAndValues.find(t => t.type === '2.5.4.3');
	return cn ? cn.value.valueBlock.value : cert.subject.typesAndValues
		.map(t => t.value.valueBlock.value).join(', ');
}

function isTimeStamping(cert) {
	const ext = (cert.extensions ?? []).find(e => e.extnID === EKU_OID);
	return ext && ext.critical &&
		ext.parsedValue?.keyPurposes?.includes(TIME_STAMPING_OID);
}

function iso(date) {
	return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// token: DER bytes; digest: 32 bytes; caPem: text or null.
export async function verifyTimestamp(token, digest, caPem) {
	let info, signed;
	try {
		const ci = new pkijs.ContentInfo({ schema: der(token, 'the token') });
		if (ci.contentType !== SIGNED_DATA_OID)
			fail('the token is not CMS signed data', false);
		signed = new pkijs.SignedData({ schema: ci.content });
		const e = signed.encapContentInfo;
		if (e.eContentType !== TST_INFO_OID || !e.eContent)
			fail('the token holds no TSTInfo', false);
		info = new pkijs.TSTInfo({ schema: der(
			new Uint8Array(e.eContent.getValue()), 'the TSTInfo') });
	} catch (err) {
		if (err instanceof CheckError)
			throw err;
		fail(`the token does not parse (${err.message ?? err})`, false);
	}
	const imprint = info.messageImprint;
	if (imprint.hashAlgorithm.algorithmId !== SHA256_OID)
		fail('the token\'s imprint is not SHA-256');
	const hashed = new Uint8Array(imprint.hashedMessage.valueBlock.valueHexView);
	if (!equal(hashed, digest))
		fail(`the token covers ${toHex(hashed).slice(0, 16)}..., not this ` +
			`checkpoint (${toHex(digest).slice(0, 16)}...)`);
	const trusted = caPem == null ? null : pemCertificates(caPem);
	let ok = false;
	try {
		const result = await signed.verify({ signer: 0, checkChain: !!trusted,
			trustedCerts: trusted ?? [], checkDate: info.genTime,
			extendedMode: true });
		ok = result.signatureVerified === true &&
			(!trusted || result.signerCertificateVerified === true);
	} catch (err) {
		if (trusted && err?.signatureVerified === true)
			fail('the TSA is not trusted: its certificate does not chain to ' +
				'the authorities given');
		ok = false;
	}
	if (!ok)
		fail(trusted ? 'the TSA is not trusted: its certificate does not ' +
			'chain to the authorities given, or its signature does not verify' :
			'the token\'s signature does not verify');
	const signer = (signed.certificates ?? []).find(c =>
		c instanceof pkijs.Certificate &&
		signed.signerInfos[0].sid instanceof pkijs.IssuerAndSerialNumber &&
		c.serialNumber.isEqual(signed.signerInfos[0].sid.serialNumber));
	if (trusted) {
		if (!signer || !isTimeStamping(signer))
			fail('the TSA is not trusted: its certificate lacks the critical ' +
				'timeStamping extended key usage');
		if (info.genTime < signer.notBefore.value ||
		    info.genTime > signer.notAfter.value)
			fail('the TSA\'s certificate was not valid at the token\'s time');
	}
	return { time: iso(info.genTime), authority: signer ? commonName(signer) :
		'an unnamed authority', trusted: !!trusted };
}
