# SPDX-License-Identifier: GPL-2.0
# Shared helpers for apply.sh and the selftests/ harness. Source it; it sets
#   TOP   the top of this repository
#   WORK  the git-ignored folder every generated file lives in (.work)
# shellcheck shell=bash

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WORK=${WORK:-$TOP/.work}
export TOP WORK

info() { echo "== $*" >&2; }
die() {
	echo "${0##*/}: error: $*" >&2
	exit 1
}

# usage_exit STATUS: print the comment block at the top of the running
# script (its usage) without the "# ", on stdout when STATUS is 0 and on
# stderr otherwise, and exit with STATUS (-h: 0, a bad option: 2).
usage_exit() {
	local text
	text=$(awk 'NR == 1 && /^#!/ { next } /^# SPDX-License-Identifier/ { next }
		/^#/ { sub(/^# ?/, ""); if (on || $0 != "") { print; on = 1 }; next } { exit }' "$0")
	if [ "$1" -eq 0 ]; then
		printf '%s\n' "$text"
	else
		printf '%s\n' "$text" >&2
	fi
	exit "$1"
}

# usage_error MESSAGE: a usage error: "SCRIPT: error: MESSAGE", then the
# usage, on stderr, and exit 2.
usage_error() {
	echo "${0##*/}: error: $*" >&2
	usage_exit 2
}

# help_only "$@": the options of a script that takes -h and nothing else:
# -h prints the usage and exits 0, anything else is a usage error.
help_only() {
	local opt OPTIND=1

	while getopts :h opt; do
		case $opt in
		h) usage_exit 0 ;;
		*) usage_error "unknown option -$OPTARG" ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -eq 0 ] || usage_error "unexpected argument '$1'"
}

# apt_locked CMD...: run CMD (an apt-get) holding .work/apt.lock, so that
# scripts running at the same time (selftests/run.sh builds ahead) take
# turns: apt-get itself gives up at once on a lock another one holds.
apt_locked() {
	mkdir -p "$WORK"
	flock "$WORK/apt.lock" "$@"
}

# install_pkgs PKG...: apt-get install the named Debian packages.
install_pkgs() {
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	info "installing Debian package(s): $*"
	if ! apt_locked $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
		>"${WORK:-/tmp}/apt.log" 2>&1; then
		apt_locked $sudo apt-get update -q >/dev/null 2>&1 || true
		apt_locked $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
			>"${WORK:-/tmp}/apt.log" 2>&1 ||
			die "could not install Debian package(s) $* (apt-get output: ${WORK:-/tmp}/apt.log)"
	fi
}

# need_pkgs CHECK:PKG...: make sure each CHECK is present, installing PKG
# when it is not. CHECK is a command name, or a path when it contains a /.
need_pkgs() {
	local spec check pkg missing=()
	for spec in "$@"; do
		check=${spec%%:*}
		pkg=${spec#*:}
		case "$check" in
		*/*) [ -e "$check" ] && continue ;;
		*) command -v "$check" >/dev/null 2>&1 && continue ;;
		esac
		missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	mkdir -p "$WORK"
	# shellcheck disable=SC2046
	install_pkgs $(printf '%s\n' "${missing[@]}" | sort -u)
	for spec in "$@"; do
		check=${spec%%:*}
		case "$check" in
		*/*) [ -e "$check" ] || die "Debian package ${spec#*:} did not provide $check" ;;
		*) command -v "$check" >/dev/null 2>&1 || die "Debian package ${spec#*:} did not provide $check" ;;
		esac
	done
}

# table_def TABLE LIST KEYS NAME KEY=VALUE...: row NAME of a table of the
# workbench written as data (the architectures, the migration variants):
# TABLE[NAME.KEY]=VALUE in the associative array TABLE, NAME appended to
# the array LIST. Every key of KEYS (space separated) must be given ('' is
# a value), and no other: a typo in a table stops the script.
table_def() {
	local -n _table=$1 _list=$2
	local keys=$3 name=$4 kv key
	shift 4
	for kv in "$@"; do
		key=${kv%%=*}
		[[ " $keys " == *" $key "* ]] || die "$name: unknown key '$key' (keys: $keys)"
		_table[$name.$key]=${kv#*=}
	done
	for key in $keys; do
		[ -n "${_table[$name.$key]+set}" ] || die "$name: no $key="
	done
	_list+=("$name")
}
