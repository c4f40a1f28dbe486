#!/bin/sh
# The throw-away PKI of the RFC 3161 tests (tests/unit/test_tsa.c), made
# with the openssl command line each run, since certificates expire.
#
#   make-pki.sh DIR
#       into DIR (which must exist): ca.pem, a test CA (ECDSA P-256);
#       tsa.pem, a TSA certificate under it with extendedKeyUsage
#       critical,timeStamping; noeku.pem, one without that usage;
#       expired.pem, a TSA certificate that was valid in 2019-2020 only;
#       noncritical.pem, whose timeStamping usage is not critical;
#       multi.pem, whose usage is timeStamping and codeSigning;
#       other-ca.pem, an unrelated CA; tsa.cnf, the `openssl ts -reply`
#       configuration. Every certificate X has its key in X.key.
#
#   make-pki.sh --token DIR NAME DIGEST GENTIME OUT
#       a timestamp token (DER ContentInfo) for the SHA-256 DIGEST (hex)
#       with genTime GENTIME (YYYYMMDDHHMMSSZ), signed by DIR/NAME.pem,
#       into OUT. `openssl ts -reply` refuses signers without the
#       timeStamping usage and always stamps the present time, so such
#       tokens are made by hand: a TSTInfo written with `openssl
#       asn1parse -genconf`, signed with `openssl cms -sign -cades`.
set -eu

die() {
	echo "make-pki.sh: $*" >&2
	exit 1
}

token() {
	dir=$1 name=$2 digest=$3 gentime=$4 out=$5
	work=$(mktemp -d "${TMPDIR:-/tmp}/tsa-token.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	cat > "$work/tstinfo.cnf" <<CNF
asn1 = SEQUENCE:tstinfo
[tstinfo]
version = INTEGER:1
policy = OID:1.2.3.4.1
imprint = SEQUENCE:imprint
serial = INTEGER:0x2a
gentime = GENTIME:$gentime
[imprint]
algorithm = SEQUENCE:sha256
digest = FORMAT:HEX,OCTETSTRING:$digest
[sha256]
oid = OID:sha256
parameters = NULL
CNF
	openssl asn1parse -genconf "$work/tstinfo.cnf" -noout \
		-out "$work/tstinfo.der" > /dev/null
	openssl cms -sign -binary -nodetach -cades -md sha256 \
		-econtent_type id-smime-ct-TSTInfo \
		-in "$work/tstinfo.der" -signer "$dir/$name.pem" \
		-inkey "$dir/$name.key" -outform DER -out "$out"
}

if [ "${1-}" = "--token" ]; then
	[ $# -eq 6 ] ||
		die "usage: make-pki.sh --token DIR NAME DIGEST GENTIME OUT"
	token "$2" "$3" "$4" "$5" "$6"
	exit 0
fi
[ $# -eq 1 ] || die "usage: make-pki.sh DIR"
[ -d "$1" ] || die "$1 is not a folder"
dir=$(cd "$1" && pwd)
cd "$dir"

mkdir -p ca-db
: > ca-db/index.txt
echo 1000 > ca-db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = test_ca
[test_ca]
dir = $dir/ca-db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = any_name
unique_subject = no
email_in_dn = no
[any_name]
organizationName = optional
commonName = supplied
[req]
distinguished_name = req_name
prompt = no
[req_name]
CN = unused
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_tsa]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_noeku]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_noncritical]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_multi]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping,codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

# make NAME SUBJECT ISSUER EXTENSIONS START END: NAME.key and NAME.pem;
# ISSUER "self" makes a self-signed certificate.
make() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$1.key" 2> /dev/null
	openssl req -new -config ca.cnf -key "$1.key" -subj "$2" \
		-out "$1.csr"
	if [ "$3" = self ]; then
		set -- "$@" -selfsign -keyfile "$1.key"
	else
		set -- "$@" -cert "$3.pem" -keyfile "$3.key"
	fi
	name=$1 ext=$4 start=$5 end=$6
	shift 6
	openssl ca -batch -notext -config ca.cnf -extensions "$ext" \
		-startdate "$start" -enddate "$end" "$@" \
		-in "$name.csr" -out "$name.pem" 2> ca-db/last.log ||
		{ cat ca-db/last.log >&2; die "cannot make $name.pem"; }
	rm -f "$name.csr"
}

make ca "/O=custody tests/CN=custody test CA" self v3_ca \
	20000101000000Z 20991231235959Z
make other-ca "/O=someone else/CN=unrelated test CA" self v3_ca \
	20000101000000Z 20991231235959Z
make tsa "/O=custody tests/CN=custody test TSA" ca v3_tsa \
	20100101000000Z 20900101000000Z
make noeku "/O=custody tests/CN=TSA without timeStamping" ca v3_noeku \
	20100101000000Z 20900101000000Z
make expired "/O=custody tests/CN=expired test TSA" ca v3_tsa \
	20190101000000Z 20210101000000Z
make noncritical "/O=custody tests/CN=TSA with a non-critical usage" ca \
	v3_noncritical 20100101000000Z 20900101000000Z
make multi "/O=custody tests/CN=TSA for code signing too" ca v3_multi \
	20100101000000Z 20900101000000Z

echo 01 > tsaserial
cat > tsa.cnf <<CNF
[tsa]
default_tsa = test_tsa
[test_tsa]
serial = $dir/tsaserial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
