#!/usr/bin/env bash
# Prints the paths of pgbouncer and haproxy, on one line, after installing the
# Debian packages that are missing (apt-get; as root, or through sudo). The
# packages' own services are kept from starting: the callers (run.sh, the
# scale-out run of bench/run.sh) start their own instances on loopback.
set -euo pipefail
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
tool() { command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } || true; }
missing=()
[ -n "$(tool pgbouncer)" ] || missing+=(pgbouncer)
[ -n "$(tool haproxy)" ] || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing ${missing[*]} (Debian packages)" >&2
	policy_made=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
		"${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
		policy_made=1
	fi
	rc=0
	{
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	} >&2 || rc=$?
	if [ -n "$policy_made" ]; then "${sudo[@]}" rm -f /usr/sbin/policy-rc.d; fi
	[ "$rc" = 0 ] || { echo "installing ${missing[*]} failed" >&2; exit 1; }
fi
pgbouncer=$(tool pgbouncer)
haproxy=$(tool haproxy)
[ -n "$pgbouncer" ] && [ -n "$haproxy" ] || { echo "pgbouncer or haproxy missing after installing them" >&2; exit 1; }
echo "$pgbouncer $haproxy"
