// RFC 3161 timestamp tokens, read with PKI.js (a maintained CMS and X.509
// library) rather than by hand: the token's imprint must be the
// checkpoint's SHA-256, its signature valid, and, when the reader names
// the authorities they trust, its certificate must chain to one of them
// and be a timestamping certificate valid at the token's time.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { sha1 } from '@noble/hashes/legacy';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2';
import { equal, toHex } from './bytes.js';
import { CheckError } from './note.js';
import { t } from './strings.js';

const SHA256_OID = '2.16.840.1.101.3.4.2.1';
const TST_INFO_OID = '1.2.840.113549.1.9.16.1.4';
const SIGNED_DATA_OID = '1.2.840.113549.1.7.2';
const EKU_OID = '2.5.29.37';
const TIME_STAMPING_OID = '1.3.6.1.5.5.7.3.8';

const fail = (msg, verify = true) => { throw new CheckError(msg, verify); };

function der(bytes, what) {
	const parsed = asn1js.fromBER(bytes);
	if (parsed.offset === -1 || parsed.offset !== bytes.byteLength)
		fail(t('reason.tsa.notDer', { what }), false);
	return parsed.result;
}

export function pemCertificates(text) {
	const out = [];
	const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
	for (let m; (m = re.exec(text)) !== null;) {
		const bin = atob(m[1].replace(/\s+/g, ''));
		const bytes = Uint8Array.from(bin, c => c.charCodeAt(0));
		out.push(new pkijs.Certificate({ schema: der(bytes,
			t('reason.tsa.certificate')) }));
	}
	if (out.length === 0)
		fail(t('reason.tsa.authorityFilePemCertificate'), false);
	return out;
}

// The subject as OpenSSL's one-line form prints it ("O = x, CN = y"),
// which is how `custody check` names the authority.
const SHORT_NAMES = { '2.5.4.6': 'C', '2.5.4.8': 'ST', '2.5.4.7': 'L',
	'2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.3': 'CN', '2.5.4.5':
	'serialNumber', '1.2.840.113549.1.9.1': 'emailAddress' };

function subjectName(cert) {
	return cert.subject.typesAndValues.map(tv =>
		`${SHORT_NAMES[tv.type] ?? tv.type} = ${tv.value.valueBlock.value}`)
		.join(', ');
}

function isTimeStamping(cert) {
	const ext = (cert.extensions ?? []).find(e => e.extnID === EKU_OID);
	return ext && ext.critical &&
		ext.parsedValue?.keyPurposes?.includes(TIME_STAMPING_OID);
}

const ESS_V1_OID = '1.2.840.113549.1.9.16.2.12';
const ESS_V2_OID = '1.2.840.113549.1.9.16.2.47';
const ESS_HASHES = { '2.16.840.1.101.3.4.2.1': sha256,
	'2.16.840.1.101.3.4.2.2': sha384, '2.16.840.1.101.3.4.2.3': sha512 };

/*
 * RFC 2634 and RFC 5035: the signed attributes name the signer's
 * certificate by its hash, so that no other certificate (with the same
 * key) can stand in for it. OpenSSL checks this; so does the page.
 */
function checkSigningCertificate(signerInfo, cert) {
	const attrs = signerInfo.signedAttrs?.attributes ?? [];
	const attr = attrs.find(a => a.type === ESS_V2_OID || a.type === ESS_V1_OID);
	if (!attr)
		fail(t('reason.tsa.tokenNamesCertificateEss'));
	let hashFn = attr.type === ESS_V1_OID ? sha1 : sha256, certHash;
	try {
		const certs = attr.values[0].valueBlock.value[0].valueBlock.value;
		const first = certs[0].valueBlock.value;
		let i = 0;
		if (attr.type === ESS_V2_OID && first[0] instanceof asn1js.Sequence) {
			const oid = first[0].valueBlock.value[0].valueBlock.toString();
			hashFn = ESS_HASHES[oid];
			i = 1;
		}
		certHash = new Uint8Array(first[i].valueBlock.valueHexView);
	} catch {
		fail(t('reason.tsa.tokenSigningAttributeMalformed'), false);
	}
	if (!hashFn)
		fail(t('reason.tsa.tokenSigningUnknownAlgorithm'));
	const der = new Uint8Array(cert.toSchema().toBER());
	if (!equal(hashFn(der), certHash))
		fail(t('reason.tsa.tokenCertificateSigningCertificate'));
}

function iso(date) {
	return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// token: DER bytes; data: the bytes it must cover; caPem: text or null.
export async function verifyTimestamp(token, data, caPem) {
	const digest = sha256(data);
	let info, signed;
	pkijs.setEngine('webcrypto', new pkijs.CryptoEngine({ name: 'webcrypto',
		crypto: globalThis.crypto }));
	try {
		const ci = new pkijs.ContentInfo({ schema: der(token,
			t('reason.tsa.token')) });
		if (ci.contentType !== SIGNED_DATA_OID)
			fail(t('reason.tsa.tokenNotSignedData'), false);
		signed = new pkijs.SignedData({ schema: ci.content });
		const e = signed.encapContentInfo;
		if (e.eContentType !== TST_INFO_OID || !e.eContent)
			fail(t('reason.tsa.tokenHoldsNoTstinfo'), false);
		info = new pkijs.TSTInfo({ schema: der(
			new Uint8Array(e.eContent.getValue()), t('reason.tsa.tstinfo')) });
	} catch (err) {
		if (err instanceof CheckError)
			throw err;
		fail(t('reason.tsa.tokenDoesNotParse', { value: err.message ?? err }),
			false);
	}
	const imprint = info.messageImprint;
	if (imprint.hashAlgorithm.algorithmId !== SHA256_OID)
		fail(t('reason.tsa.tokenImprintNotSha'));
	const hashed = new Uint8Array(imprint.hashedMessage.valueBlock.valueHexView);
	if (!equal(hashed, digest))
		fail(t('reason.tsa.tokenCoversThisCheckpoint', {
			value: toHex(hashed).slice(0, 16), value2: toHex(digest).slice(0,
				16) }));
	const trusted = caPem == null ? null : pemCertificates(caPem);
	let ok = false;
	try {
		const result = await signed.verify({ signer: 0, data,
			checkChain: !!trusted, trustedCerts: trusted ?? [],
			checkDate: info.genTime, extendedMode: true });
		ok = result.signatureVerified === true &&
			(!trusted || result.signerCertificateVerified === true);
	} catch (err) {
		if (trusted && err?.signatureVerified === true)
			fail(t('reason.tsa.tsaNotAuthoritiesGiven'));
		ok = false;
	}
	if (!ok)
		fail(trusted ? t('reason.tsa.tsaNotNotVerify') :
			t('reason.tsa.tokenSignatureNotVerify'));
	const signer = (signed.certificates ?? []).find(c =>
		c instanceof pkijs.Certificate &&
		signed.signerInfos[0].sid instanceof pkijs.IssuerAndSerialNumber &&
		c.serialNumber.isEqual(signed.signerInfos[0].sid.serialNumber));
	if (!signer)
		fail(t('reason.tsa.tokenDoesSignerCertificate'));
	checkSigningCertificate(signed.signerInfos[0], signer);
	if (trusted) {
		if (!signer || !isTimeStamping(signer))
			fail(t('reason.tsa.tsaNotKeyUsage'));
		if (info.genTime < signer.notBefore.value ||
		    info.genTime > signer.notAfter.value)
			fail(t('reason.tsa.tsaCertificateTokenTime'));
	}
	return { time: iso(info.genTime), authority: subjectName(signer),
		trusted: !!trusted };
}
