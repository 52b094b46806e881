#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A broken script, for the bad input test of selftests/harness-test.sh
# (usage/broken.args): it takes any option and argument, writes into .work
# and starts a build.
#
#   selftests/harness-test/usage/accepts-anything.sh [ANYTHING...]
set -u -o pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
mkdir -p "$top/.work"
echo "$*" >"$top/.work/accepted-anything"
make -f /dev/null accepted-anything 2>/dev/null
exit 0
