#!/bin/sh
# install-deps.sh: install the external tools the end-to-end tests and the
# load benchmark need, when they are missing. Idempotent; safe to run as root
# from CI (no stdin, no prompts) and as a user with sudo.
#
#   sipp      Debian package sip-tester (SIPp 3.6)      e2e tests, bench
#   baresip   Debian package baresip (1.0)              e2e interop test
#   promtool  Debian package prometheus                 metrics and alert rule checks in the tests
#   chromium  Debian package chromium (headless, driven by chromedp)
#             the popup page's browser tests (api, e2e)
#   kamailio  Debian packages kamailio (tm, rr, sl, maxfwd, pv, siputils,
#             htable, uac are in the main package) and kamailio-lua-modules
#             (app_lua: fills the bench's htable at start)      bench only
#
# Usage: scripts/install-deps.sh [--sipp-only]   (default: sipp and kamailio)
set -eu

want_kamailio=1
for arg in "$@"; do
	case "$arg" in
	--sipp-only) want_kamailio=0 ;;
	-h | --help)
		sed -n '2,14p' "$0"
		exit 0
		;;
	*)
		echo "install-deps: unknown argument $arg" >&2
		exit 2
		;;
	esac
done

pkgs=""
command -v sipp >/dev/null 2>&1 || pkgs="$pkgs sip-tester"
command -v baresip >/dev/null 2>&1 || pkgs="$pkgs baresip"
command -v promtool >/dev/null 2>&1 || pkgs="$pkgs prometheus"
[ -x /usr/bin/chromium ] || pkgs="$pkgs chromium"
[ -x /usr/sbin/nats-server ] || pkgs="$pkgs nats-server" # cluster tests
if [ "$want_kamailio" = 1 ]; then
	if ! command -v kamailio >/dev/null 2>&1 && ! [ -x /usr/sbin/kamailio ]; then
		pkgs="$pkgs kamailio"
	elif ! ls /usr/lib/*/kamailio/modules/htable.so >/dev/null 2>&1; then
		pkgs="$pkgs kamailio"
	fi
	if ! ls /usr/lib/*/kamailio/modules/app_lua.so >/dev/null 2>&1; then
		pkgs="$pkgs kamailio-lua-modules"
	fi
fi

if [ -z "$pkgs" ]; then
	echo "install-deps: all present"

	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: missing:$pkgs and no apt-get; install them by hand" >&2
	exit 1
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo -n"
	else
		echo "install-deps: need root (or sudo) to install:$pkgs" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing:$pkgs"
# One update per run; the lists may be empty on a fresh container.
$SUDO apt-get update -qq </dev/null
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO apt-get install -y -qq --no-install-recommends $pkgs </dev/null
# The kamailio package enables a system service on some images; the bench
# runs its own instance on other ports, so a running default one is harmless.
command -v sipp >/dev/null 2>&1 || {
	echo "install-deps: sipp still missing after install" >&2
	exit 1
}
command -v baresip >/dev/null 2>&1 || {
	echo "install-deps: baresip still missing after install" >&2
	exit 1
}
[ -x /usr/bin/chromium ] || {
	echo "install-deps: chromium still missing after install" >&2
	exit 1
}
echo "install-deps: done"
