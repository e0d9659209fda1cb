#!/bin/sh
# gen-contacts.sh DIR [N]: write N (default 500,000) deterministic contacts
# for the load benchmark, in three forms:
#   DIR/contacts.csv        for `cidproxy contacts import` (first_name,last_name,business_number)
#   DIR/kamailio-cid.tsv    number<TAB>first last, loaded into Kamailio's htable "cid"
#   DIR/callers.csv         SIPp -inf file: every 5th number, all known callers
# Numbers are +4930 followed by 7 digits, a permutation of 1000000..9999999
# (i * 7919 mod 9000000 is a bijection), so keys are spread, unique and
# identical in both proxies. E.164 on the wire: Kamailio matches exactly,
# cidproxy normalises; both do one hash lookup per INVITE.
set -eu
dir=${1:?usage: gen-contacts.sh DIR [N]}
n=${2:-500000}
mkdir -p "$dir"
awk -v n="$n" -v dir="$dir" 'BEGIN {
	split("Anna Ben Clara David Emma Felix Greta Hans Ida Jonas Karla Lukas Mia Noah Olga Paul Rosa Simon Tina Udo", F, " ")
	split("Schmidt Meyer Weber Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Neumann Schwarz Braun Zimmer Kruger Hartmann Lange Werner Krause", L, " ")
	csv = dir "/contacts.csv"; ht = dir "/kamailio-cid.tsv"; inf = dir "/callers.csv"
	print "first_name,last_name,business_number" > csv
	print "SEQUENTIAL" > inf
	for (i = 0; i < n; i++) {
		num = sprintf("+4930%07d", 1000000 + (i * 7919) % 9000000)
		first = F[i % 20 + 1]; last = sprintf("%s%d", L[int(i / 20) % 20 + 1], i)
		printf "%s,%s,%s\n", first, last, num > csv
		printf "%s\t%s %s\n", num, first, last > ht
		if (i % 5 == 0) printf "%s;\n", num > inf
	}
}'
