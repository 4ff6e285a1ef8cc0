#!/usr/bin/env bash
# Makes a throwaway PKI for the TLS tests in DIR: a CA (ca.pem), certificates signed by it for
# every NAME given (NAME.pem, NAME.key; common name NAME; valid for 127.0.0.1 and localhost, as
# server and client), and an unrelated CA (rogue-ca.pem) with one certificate of its own
# (rogue.pem, rogue.key, common name member-1). Nothing here is secret: the keys live as long
# as the test's temporary directory.
#   make_certs.sh DIR NAME...
set -euo pipefail
dir="$1"
shift
cd "$dir"

new_ca() {  # new_ca PREFIX CN
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$1.key" -out "$1.pem" -subj "/CN=$2" 2> /dev/null
}

# sign CA NAME CN: NAME.pem and NAME.key, a leaf certificate of common name CN signed by CA.
sign() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$2.key" -out "$2.csr" -subj "/O=warren-test/CN=$3" 2> /dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' \
    > "$2.ext"
  openssl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1.key" -CAcreateserial -days 2 \
    -extfile "$2.ext" -out "$2.pem" 2> /dev/null
  rm -f "$2.csr" "$2.ext"
}

[ -f ca.pem ] || new_ca ca warren-test-ca
for name in "$@"; do sign ca "$name" "$name"; done
if [ ! -f rogue-ca.pem ]; then
  new_ca rogue-ca warren-rogue-ca
  sign rogue-ca rogue member-1
fi
