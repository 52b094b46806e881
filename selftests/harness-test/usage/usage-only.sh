#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A script that refuses a bad argument without saying which, for the bad
# input test of selftests/harness-test.sh (usage/broken.args): it prints
# its usage and exits 2, naming nothing.
#
#   selftests/harness-test/usage/usage-only.sh [-h]
set -u -o pipefail
if [ "${1:-}" = -h ]; then
	sed -n 's/^# \{0,1\}//; 3,8p' "$0"
	exit 0
fi
[ $# -eq 0 ] || {
	sed -n 's/^# \{0,1\}//; 3,8p' "$0" >&2
	exit 2
}
