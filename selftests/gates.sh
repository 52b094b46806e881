#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Quality gates of the patch series: what a maintainer checks before taking
# it. Each gate is one result (selftests/lib/results.sh) named gate:NAME.
#
#   selftests/gates.sh [-h]
#
#   gate:mail:PATCH        the patch is a well-formed mail: From:,
#                          "Subject: [PATCH n/m] subsystem: summary" (n its
#                          place in the series, m the series' length), a
#                          Signed-off-by: of the From: author and a body of
#                          at least 3 lines before the "---"
#   gate:checkpatch:PATCH  scripts/checkpatch.pl --strict finds no error, no
#                          warning and no check, except the message types
#                          selftests/gates-exceptions.txt lists with a reason
#   gate:am                git am of every patch, in order, onto base
#   gate:quilt             quilt push -a (QUILT_PATCHES, QUILT_SERIES) onto
#                          base's copy of the files the series touches gives
#                          the same files as git am
#   gate:bisect:PATCH      after each patch the guest configuration
#                          (allnoconfig + selftests/config/guest.config)
#                          builds vmlinux and modules, with no compiler
#                          warning in a file the series touches and no
#                          modpost warning
#   gate:sparse            make C=2 CHECK=sparse on the series' .c files:
#                          no warning that the same files at base lack
#   gate:W=1               the same for the W=1 compiler warnings
#   gate:kernel-doc        scripts/kernel-doc -none -Wall on the series' .c
#                          and .h files: no warning that base lacks
#   gate:build:guest-y     the bisect build of the last patch: the guest,
#                          VIRTIO_BALLOON=y, walker linked in
#   gate:build:balloon-m   the guest with VIRTIO_BALLOON=m: vmlinux, modules
#                          and modpost (the walker's exports)
#   gate:build:no-balloon-compaction
#                          the guest with BALLOON_COMPACTION=n: the series'
#                          objects
#   gate:build:walker-off  the guest without VIRTIO_BALLOON and
#                          TEST_FREE_PAGE_WALK, so FREE_PAGE_WALK is off
#                          (VMWARE_BALLOON keeps MEMORY_BALLOON on):
#                          vmlinux links, mm/free_page_walk.o is not built,
#                          and a module calling the API through the stubs
#                          of the header builds with -Werror (the stubs
#                          match the real declarations)
#   gate:build:tinyconfig, gate:build:allnoconfig
#                          x86_64 vmlinux
#   gate:build:i386        ARCH=i386 (i686-linux-gnu-gcc), allnoconfig +
#                          guest.config + i386.config, 32-bit with
#                          HIGHMEM4G: the series' objects
#   gate:build:arm64       ARCH=arm64 (aarch64-linux-gnu-gcc), allnoconfig +
#                          guest.config + arm64.config, 64 KiB pages: the
#                          series' objects
#                          Both take the configuration of selftests/build.sh
#                          -a i386 / -a arm64 from selftests/lib/arch.sh, so
#                          that ccache has their objects for the boot builds.
# Every gate runs, whatever the others gave; the exit status is non-zero
# when one failed. Each detail ends with the gate's wall time.
#
# Everything generated is under .work/gates: linux/, a git worktree of
# .work/linux reset to its base tag every run; build/NAME/, the build
# folders, kept so that later runs build incrementally (with ccache, set up
# as in selftests/build.sh); logs/, one log per gate; base-ref/, the sparse
# and W=1 warnings of base, computed once per base and toolchain.
# build/NAME reaches the tree as ../../linux, as selftests/build.sh's
# .work/build/NAME reaches .work/linux: with CCACHE_BASEDIR the compiler
# command lines are the same, so the guest build.sh builds after the gates
# comes from the cache the bisect build of the last patch filled. A guest
# variant's folder (balloon-m, no-balloon-compaction, walker-off) starts as
# a copy of build/bisect the first time, and rebuilds only what its options
# change.
#
# Run on its own it starts a new result record and ends with the summary;
# run by selftests/run.sh (FPW_IN_RUN set) it adds to the run's record.
#
# Environment:
#   FPW_GATES_PATCHES  folder of the patch files (default: patches/)
#   FPW_GATES_SERIES   series file (default: FPW_GATES_PATCHES/series when
#                      FPW_GATES_PATCHES is set and has one, else ./series)
#   FPW_GATES_EXCEPTIONS  checkpatch exceptions file (default:
#                      selftests/gates-exceptions.txt)
#   FPW_GATES_ONLY     run only the gates whose names (without "gate:")
#                      start with one of these words (space or comma
#                      separated), e.g. "mail checkpatch" or
#                      "build:walker-off sparse"
#   JOBS               make -j (default: nproc)
set -u -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/results.sh
. "$TOP/selftests/lib/results.sh"
# shellcheck source=selftests/lib/arch.sh
. "$TOP/selftests/lib/arch.sh"
help_only "$@"
cd "$TOP" || die "cannot cd to $TOP"

G=$WORK/gates
TREE=$G/linux
REPO=$WORK/linux
LOGS=$G/logs
EXCEPTIONS=${FPW_GATES_EXCEPTIONS:-$TOP/selftests/gates-exceptions.txt}
GUEST_CONFIG=$TOP/selftests/config/guest.config
JOBS=${JOBS:-$(nproc)}
# The Kconfig symbol of the walker, and its API header's guard.
WALKER=FREE_PAGE_WALK
# Debian's python3 (with python3-ply and python3-git) for spdxcheck.py.
SYSPATH=/usr/bin:/bin:$PATH

PATCHES=$(cd "${FPW_GATES_PATCHES:-$TOP/patches}" 2>/dev/null && pwd) ||
	die "no patch folder ${FPW_GATES_PATCHES:-$TOP/patches}"
if [ -n "${FPW_GATES_SERIES:-}" ]; then
	SERIES=$FPW_GATES_SERIES
elif [ -n "${FPW_GATES_PATCHES:-}" ] && [ -f "$PATCHES/series" ]; then
	SERIES=$PATCHES/series
else
	SERIES=$TOP/series
fi
[ -f "$SERIES" ] || die "no series file $SERIES"
SERIES=$(cd "$(dirname "$SERIES")" && pwd)/${SERIES##*/}

mkdir -p "$G" "$LOGS"
exec 9>"$G/.lock"
flock -n 9 || die "another ${0##*/} is running (lock: $G/.lock)"

[ -n "${FPW_IN_RUN:-}" ] || results_reset

kbuild_env
unset KCONFIG_ALLCONFIG KCFLAGS KCPPFLAGS ARCH CROSS_COMPILE W C

# ---------------------------------------------------------------------------
# Helpers

# rel PATH: PATH relative to the top of the repository, for messages.
rel() { echo "${1#"$TOP"/}"; }

# selected NAME: is gate NAME (without "gate:") to run?
selected() {
	[ -n "${FPW_GATES_ONLY:-}" ] || return 0
	local w
	for w in ${FPW_GATES_ONLY//,/ }; do
		case $1 in "$w"*) return 0 ;; esac
	done
	return 1
}

# gate PASS|FAIL NAME START DETAIL: record gate:NAME, with its wall time.
gate() {
	result "$1" "gate:$2" "$4 ($((SECONDS - $3)) s)"
}

# first_line TEXT: the first non-empty line of TEXT, trimmed.
first_line() {
	printf '%s\n' "$1" | sed -e 's/^[[:space:]]*//' -e '/^$/d' | head -n 1
}

# last_error LOG: the most telling line of a failed command's LOG.
last_error() {
	local l
	l=$(grep -aE ': error: |^ERROR: |: fatal error|undefined!|No rule to make' "$1" | head -n 1)
	[ -n "$l" ] || l=$(grep -aE 'error|Error|ERROR|undefined' "$1" | grep -v '^make\(\[[0-9]*\]\)\?: \*\*\*' | head -n 1)
	[ -n "$l" ] || l=$(grep -av '^[[:space:]]*$' "$1" | tail -n 1)
	l=${l//"$TREE"\//}
	printf '%s' "${l:-no output}"
}

# normalize TAG PREFIX: diagnostics of stdin, one per line, as
# "TAG<TAB>file: warning: message | continuation": PREFIX is removed from
# paths, line and column numbers are dropped, so that the same diagnostic
# at base and with the series compares equal. Source snippets, notes and
# make's own lines are dropped.
normalize() {
	awk -v tag="$1" -v prefix="$2" '
		function flush() { if (cur != "") print tag "\t" cur; cur = "" }
		{
			while (prefix != "" && (k = index($0, prefix)) > 0)
				$0 = substr($0, 1, k - 1) substr($0, k + length(prefix))
		}
		/^[^ \t:]+(:[0-9]+(:[0-9]+)?)?: (warning|error): / {
			flush()
			sub(/:[0-9]+(:[0-9]+)?: /, ": ")
			cur = $0
			next
		}
		# sparse continues a warning with "file:line:col:    expected ..."
		/^[^ \t:]+:[0-9]+(:[0-9]+)?:[ \t]+[^ \t]/ && cur != "" && !/: note: / {
			sub(/^[^ \t:]+:[0-9]+(:[0-9]+)?:[ \t]+/, "")
			cur = cur " | " $0
			next
		}
		/^(WARNING|ERROR): / { flush(); cur = $0; next }
		/^[ \t]/ || / \| / { next }
		{ flush() }
		END { flush() }'
}

# new_lines BASE HEAD: the lines of file HEAD that file BASE lacks, counting
# repeated lines (a diagnostic repeated more often than at base is new).
new_lines() {
	comm -13 <(LC_ALL=C sort "$1") <(LC_ALL=C sort "$2")
}

# series_names: the patch names of the series file, in order.
series_names() {
	sed -e 's/[[:space:]]*#.*//' -e '/^[[:space:]]*$/d' "$SERIES" | awk '{print $1}'
}

# patch_paths FILE: the paths a patch touches (both sides of a rename).
patch_paths() {
	sed -n -e 's|^diff --git a/\([^ ]*\) b/\([^ ]*\)$|\1\n\2|p' "$1" | sort -u
}

# kernel_objects PATH...: the kernel objects of the .c files among PATH
# (tools/, scripts/, samples/ and usr/ are built by other means).
kernel_objects() {
	local p
	for p in "$@"; do
		case $p in
		tools/* | scripts/* | samples/* | usr/* | Documentation/*) ;;
		*.c) echo "${p%.c}.o" ;;
		esac
	done
}

# set_mk OUT ARCH [CROSS]: MK is the make command for build folder OUT.
set_mk() {
	local out=$1 arch=$2 cross=${3:-}
	MK=(make -s -C "$TREE" O="$out" ARCH="$arch" CC="ccache ${cross}gcc" HOSTCC="ccache gcc" -j"$JOBS")
	[ -z "$cross" ] || MK+=(CROSS_COMPILE="$cross")
}

# configure OUT ARCH CROSS TARGET [FRAGMENT]: make TARGET (allnoconfig,
# tinyconfig) in build folder OUT, with FRAGMENT (a file) as
# KCONFIG_ALLCONFIG. Sets MK for OUT.
configure() {
	local out=$1 arch=$2 cross=$3 target=$4 frag=${5:-}
	mkdir -p "$out"
	set_mk "$out" "$arch" "$cross"
	if [ -n "$frag" ]; then
		cp "$frag" "$out/gates.config"
		KCONFIG_ALLCONFIG=$out/gates.config "${MK[@]}" "$target"
	else
		rm -f "$out/gates.config"
		"${MK[@]}" "$target"
	fi
}

# config_value OUT SYM: y, m or n, as the .config of OUT has CONFIG_SYM.
config_value() {
	local v
	v=$(sed -n "s/^CONFIG_$2=\(.*\)$/\1/p" "$1/.config")
	echo "${v:-n}"
}

# config_expect OUT SYM=VALUE...: the mismatches, as "SYM=have (not VALUE)".
config_expect() {
	local out=$1 e have bad=()
	shift
	for e in "$@"; do
		have=$(config_value "$out" "${e%%=*}")
		[ "$have" = "${e#*=}" ] || bad+=("CONFIG_${e%%=*}=$have (not ${e#*=})")
	done
	echo "${bad[*]}"
}

# fragment_missing OUT FRAGMENT: the =y/=m lines of FRAGMENT that the .config
# of OUT lacks, leaving out symbols the tree does not define (yet).
fragment_missing() {
	local line sym
	grep -E '^CONFIG_[A-Z0-9_]+=[ym]$' "$2" | while read -r line; do
		grep -qx "$line" "$1/.config" && continue
		sym=${line%%=*}
		git -C "$TREE" grep -q -E "^[[:space:]]*(menu)?config ${sym#CONFIG_}[[:space:]]*$" -- '*Kconfig*' ||
			continue
		echo "$line"
	done | tr '\n' ' ' | sed 's/ $//'
}

# build_warnings LOG: SERIES_W, the warnings of LOG (compiler, objtool)
# about a file the series touches and every modpost warning, normalized,
# one a line; OTHER_W, how many other warnings LOG has.
build_warnings() {
	local all k w
	SERIES_W=
	OTHER_W=0
	all=$(normalize build "$TREE/" <"$1")
	while IFS=$'\t' read -r _ w; do
		[ -n "$w" ] || continue
		k=${w%%: *}
		case $k in *.o) k=${k%.o}.c ;; esac
		case $w in
		WARNING:* | ERROR:*) SERIES_W+="$w"$'\n' ;;
		*)
			if [ -n "$k" ] && [ -n "${SERIES_PATHS_SET[$k]:-}" ]; then
				SERIES_W+="$w"$'\n'
			else
				OTHER_W=$((OTHER_W + 1))
			fi
			;;
		esac
	done <<<"$all"
}

# kbuild OUT LOG TARGET...: build TARGET... with MK (see configure) after
# removing the series' objects from OUT, so that their warnings (replayed
# by ccache) are seen on every run. BUILD_MSG says what failed, or the
# number of other warnings.
kbuild() {
	local out=$1 log=$2 o bad
	shift 2
	for o in "${SERIES_OBJECTS[@]}"; do
		rm -f "$out/$o" "$out/${o%.o}.ko"
	done
	echo "== ${MK[*]} $*" >>"$log"
	if ! "${MK[@]}" "$@" >>"$log" 2>&1; then
		BUILD_MSG="make $* failed: $(last_error "$log") (log: $(rel "$log"))"
		return 1
	fi
	build_warnings "$log"
	if [ -n "$SERIES_W" ]; then
		BUILD_MSG="$(printf '%s' "$SERIES_W" | wc -l) warning(s): $(first_line "$SERIES_W") (log: $(rel "$log"))"
		return 1
	fi
	BUILD_MSG=
	[ "$OTHER_W" -eq 0 ] || BUILD_MSG="$OTHER_W warning(s) in files the series does not touch (log: $(rel "$log"))"
	return 0
}

# enabled_objects OUT: the series' objects that the build in OUT built.
enabled_objects() {
	local o
	for o in "${SERIES_OBJECTS[@]}"; do
		[ -f "$1/$o" ] && echo "$o"
	done | tr '\n' ' ' | sed 's/ $//'
}

# ---------------------------------------------------------------------------
# The series

mapfile -t NAMES < <(series_names)
COUNT=${#NAMES[@]}
declare -A SERIES_PATHS_SET=()
declare -A PATCH_PATHS=()
SERIES_PATHS=()
missing_patches=()
for p in "${NAMES[@]}"; do
	if [ ! -f "$PATCHES/$p" ]; then
		missing_patches+=("$p")
		continue
	fi
	PATCH_PATHS[$p]=$(patch_paths "$PATCHES/$p" | tr '\n' ' ')
	for f in ${PATCH_PATHS[$p]}; do
		[ -n "${SERIES_PATHS_SET[$f]:-}" ] && continue
		SERIES_PATHS_SET[$f]=1
		SERIES_PATHS+=("$f")
	done
done
mapfile -t SERIES_OBJECTS < <(kernel_objects "${SERIES_PATHS[@]}")
info "gates of $COUNT patch(es) of $(rel "$SERIES") in $(rel "$PATCHES")"

# ---------------------------------------------------------------------------
# Tools

if ! (need_pkgs git:git make:make gcc:gcc ccache:ccache flex:flex bison:bison bc:bc \
	/usr/include/libelf.h:libelf-dev /usr/include/openssl/ssl.h:libssl-dev perl:perl \
	flock:util-linux quilt:quilt sparse:sparse \
	/usr/bin/python3:python3 /usr/lib/python3/dist-packages/ply:python3-ply \
	/usr/lib/python3/dist-packages/git:python3-git \
	i686-linux-gnu-gcc:gcc-i686-linux-gnu aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu); then
	result FAIL gate:tools "could not install the Debian packages the gates need (log: $(rel "$WORK")/apt.log)"
fi

# ---------------------------------------------------------------------------
# The worktree, at base

# setup_tree: make TREE a worktree of REPO (again, when REPO was made anew)
# and reset it to base.
setup_tree() {
	local common
	git -C "$REPO" rev-parse -q --verify 'base^{commit}' >/dev/null 2>&1 ||
		{ TREE_MSG="$(rel "$REPO") has no base tag: run ./apply.sh"; return 1; }
	BASE=$(git -C "$REPO" rev-parse 'base^{commit}')
	if ! common=$(git -C "$TREE" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) ||
		! [ "$common" -ef "$REPO/.git" ] || ! [ "$(git -C "$TREE" rev-parse --show-toplevel 2>/dev/null)" -ef "$TREE" ]; then
		info "making the worktree $(rel "$TREE") of $(rel "$REPO")"
		rm -rf "$TREE"
		git -C "$REPO" worktree prune
		git -C "$REPO" worktree add -q --detach "$TREE" "$BASE" >"$LOGS/worktree.log" 2>&1 ||
			{ TREE_MSG="git worktree add failed: $(last_error "$LOGS/worktree.log")"; return 1; }
	fi
	git -C "$TREE" am --abort >/dev/null 2>&1
	if ! git -C "$TREE" checkout -q -f --detach "$BASE" >"$LOGS/worktree.log" 2>&1 ||
		! git -C "$TREE" clean -q -fdx >>"$LOGS/worktree.log" 2>&1; then
		TREE_MSG="cannot reset $(rel "$TREE") to base: $(last_error "$LOGS/worktree.log")"
		return 1
	fi
}

TREE_OK=1
TREE_MSG=
BASE=
setup_tree || TREE_OK=
[ -n "$TREE_OK" ] && info "worktree $(rel "$TREE") at base ${BASE:0:12}"

# ---------------------------------------------------------------------------
# gate:mail:PATCH

# mail_header FILE NAME: the unfolded header NAME of mail FILE.
mail_header() {
	awk -v want="$(echo "$2" | tr '[:upper:]' '[:lower:]'):" '
		NR == 1 && /^From / { next }
		/^$/ { exit }
		/^[ \t]/ { if (hit) { sub(/^[ \t]+/, ""); val = val " " $0 } next }
		{ hit = 0 }
		!found && tolower(substr($0, 1, length(want))) == want {
			hit = 1; found = 1
			val = substr($0, length(want) + 1)
			sub(/^[ \t]+/, "", val)
		}
		END { if (found) print val }' "$1"
}

# person TEXT: a "Name <address>" normalized for comparison (RFC 2047
# decoded, quotes dropped, blanks squeezed, lower case).
person() {
	local s=$1
	case $s in *=\?*)
		s=$(/usr/bin/python3 -c 'import sys, email.header as h
print(str(h.make_header(h.decode_header(sys.argv[1]))))' "$s" 2>/dev/null) || s=$1
		;;
	esac
	printf '%s' "$s" | tr -d '"' | tr -s ' \t' ' ' | sed -e 's/^ //' -e 's/ $//' | tr '[:upper:]' '[:lower:]'
}

mail_gate() {
	local p=$1 n=$2 f=$PATCHES/$1 start=$SECONDS from subject body sob=() s author lines bad=()
	local re_num re_one re_sys summary
	from=$(mail_header "$f" From)
	subject=$(mail_header "$f" Subject)
	body=$(awk 'NR == 1 && /^From / { next } !b { if ($0 == "") b = 1; next } $0 == "---" { exit } { print }' "$f")
	[ -n "$from" ] || bad+=("no From:")
	re_num='^\[PATCH( [^]]*)? ([0-9]+)/([0-9]+)\] (.*)$'
	re_one='^\[PATCH( [^]]*)?\] (.*)$'
	re_sys='^[A-Za-z0-9_][A-Za-z0-9_./+-]*(, ?[A-Za-z0-9_][A-Za-z0-9_./+-]*)*: [^ ].*$'
	summary=
	if [ -z "$subject" ]; then
		bad+=("no Subject:")
	elif [[ $subject =~ $re_num ]]; then
		summary=${BASH_REMATCH[4]}
		[ "${BASH_REMATCH[2]}" -eq "$n" ] && [ "${BASH_REMATCH[3]}" -eq "$COUNT" ] ||
			bad+=("Subject: numbered ${BASH_REMATCH[2]}/${BASH_REMATCH[3]} but it is $n/$COUNT of the series")
	elif [ "$COUNT" -eq 1 ] && [[ $subject =~ $re_one ]]; then
		summary=${BASH_REMATCH[2]}
	else
		bad+=("Subject: not \"[PATCH $n/$COUNT] subsystem: summary\": $subject")
	fi
	[ -z "$summary" ] || [[ $summary =~ $re_sys ]] ||
		bad+=("Subject: no \"subsystem: \" prefix: $summary")
	grep -qx -- '---' "$f" || bad+=("no \"---\" line before the diff")
	grep -q '^diff --git ' "$f" || bad+=("no diff")
	mapfile -t sob < <(printf '%s\n' "$body" | sed -n 's/^Signed-off-by:[[:space:]]*//p')
	if [ ${#sob[@]} -eq 0 ]; then
		bad+=("no Signed-off-by:")
	elif [ -n "$from" ]; then
		author=$(person "$from")
		for s in "${sob[@]}"; do
			[ "$(person "$s")" = "$author" ] && author=
		done
		[ -z "$author" ] || bad+=("no Signed-off-by: of the author $from")
	fi
	# The explanation: non-empty lines, trailers (Signed-off-by:, Link:, ...) aside.
	lines=$(printf '%s\n' "$body" | grep -vE '^[A-Z][A-Za-z0-9-]*: ' | grep -cv '^[[:space:]]*$')
	[ "$lines" -ge 3 ] || bad+=("the body before \"---\" has $lines line(s) of explanation, at least 3 needed")
	if [ ${#bad[@]} -eq 0 ]; then
		gate PASS "mail:$p" "$start" "From: $from; Signed-off-by: the author; [PATCH $n/$COUNT] ${summary%%:*}:; $lines-line body"
	else
		gate FAIL "mail:$p" "$start" "$(printf '%s; ' "${bad[@]}" | sed 's/; $//')"
	fi
}

i=0
for p in "${NAMES[@]}"; do
	i=$((i + 1))
	selected "mail:$p" || continue
	if [ ! -f "$PATCHES/$p" ]; then
		result FAIL "gate:mail:$p" "no patch file $(rel "$PATCHES")/$p (0 s)"
		continue
	fi
	mail_gate "$p" "$i"
done

# ---------------------------------------------------------------------------
# gate:checkpatch:PATCH

# exceptions_for PATCH: checkpatch message types excepted for PATCH, as
# "TYPE" lines; "!TYPE" for an entry without a reason.
exceptions_for() {
	[ -f "$EXCEPTIONS" ] || return 0
	local ep et reason
	while read -r ep et reason; do
		case $ep in '' | \#*) continue ;; esac
		[ "$ep" = "$1" ] || [ "$ep" = '*' ] || continue
		[ -n "$et" ] || continue
		if [ -n "$reason" ]; then echo "$et"; else echo "!$et"; fi
	done <"$EXCEPTIONS"
}

checkpatch_gate() {
	local p=$1 start=$SECONDS log=$LOGS/checkpatch-$1.log ignore=() noreason=() t args=() total e w c l msg
	while read -r t; do
		case $t in
		!*) noreason+=("${t#!}") ;;
		?*) ignore+=("$t") ;;
		esac
	done < <(exceptions_for "$p")
	[ ${#ignore[@]} -eq 0 ] || args=(--ignore "$(
		IFS=,
		echo "${ignore[*]}"
	)")
	(cd "$TREE" && PATH=$SYSPATH ./scripts/checkpatch.pl --strict --show-types --color=never \
		"${args[@]}" "$PATCHES/$p") >"$log" 2>&1
	total=$(sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks, \([0-9]*\) lines checked$/\1 \2 \3 \4/p' "$log")
	if [ -z "$total" ]; then
		gate FAIL "checkpatch:$p" "$start" "no summary from checkpatch.pl: $(last_error "$log") (log: $(rel "$log"))"
		return
	fi
	read -r e w c l <<<"$total"
	msg="$e errors, $w warnings, $c checks, $l lines"
	[ ${#ignore[@]} -eq 0 ] || msg+="; excepted in $(rel "$EXCEPTIONS"): ${ignore[*]}"
	if grep -qE 'Traceback|spdxcheck|No module named' "$log"; then
		gate FAIL "checkpatch:$p" "$start" "$msg; scripts/spdxcheck.py failed: $(grep -m1 -E 'Error|No module' "$log") (log: $(rel "$log"))"
	elif [ ${#noreason[@]} -gt 0 ]; then
		gate FAIL "checkpatch:$p" "$start" "$msg; exception(s) without a reason in $(rel "$EXCEPTIONS"): ${noreason[*]}"
	elif [ "$e" -ne 0 ] || [ "$w" -ne 0 ] || [ "$c" -ne 0 ]; then
		gate FAIL "checkpatch:$p" "$start" "$msg: $(grep -m1 -E '^(ERROR|WARNING|CHECK):' "$log") (log: $(rel "$log"))"
	else
		gate PASS "checkpatch:$p" "$start" "$msg"
	fi
}

for p in "${NAMES[@]}"; do
	selected "checkpatch:$p" || continue
	if [ ! -f "$PATCHES/$p" ]; then
		result FAIL "gate:checkpatch:$p" "no patch file $(rel "$PATCHES")/$p (0 s)"
	elif [ -z "$TREE_OK" ]; then
		result FAIL "gate:checkpatch:$p" "no kernel tree: $TREE_MSG (0 s)"
	else
		checkpatch_gate "$p"
	fi
done

# ---------------------------------------------------------------------------
# Warnings of base, for the gates that count only what the series adds.
# sparse and W=1 of base take a build folder at base; they depend only on
# base, the guest config and the tools, so they are kept in base-ref/.

BASE_OBJECTS=()
BASE_REF=
if [ -n "$TREE_OK" ]; then
	for o in "${SERIES_OBJECTS[@]}"; do
		git -C "$TREE" cat-file -e "$BASE:${o%.o}.c" 2>/dev/null && BASE_OBJECTS+=("$o")
	done
	BASE_REF=$G/base-ref/$({
		echo "v1 $BASE ${BASE_OBJECTS[*]}"
		cat "$GUEST_CONFIG"
		gcc --version | head -n 1
		sparse --version 2>&1
	} | sha1sum | cut -c1-16)
fi

# sparse_run OUT TAGPREFIX OBJ...: the normalized sparse warnings of each OBJ
# in build folder OUT (MK set up for it).
sparse_run() {
	local out=$1 o
	shift
	for o in "$@"; do
		"${MK[@]}" C=2 CHECK=sparse "$o" 2>&1 | tee -a "$LOGS/sparse-raw.log" | normalize "$o" "$TREE/"
	done
}

# w1_run OUT OBJ...: the normalized W=1 warnings of each OBJ, compiled anew
# in build folder OUT (ccache replays a cached compiler's warnings).
w1_run() {
	local out=$1 o
	shift
	for o in "$@"; do
		rm -f "$out/$o"
		"${MK[@]}" W=1 "$o" 2>&1 | tee -a "$LOGS/w1-raw.log" | normalize "$o" "$TREE/"
	done
}

# base_reference: compute base-ref/ (the tree is at base).
base_reference() {
	local ref=$BASE_REF tmp=$BASE_REF.tmp log=$LOGS/base-ref.log
	[ -f "$ref/done" ] && return 0
	info "sparse and W=1 warnings of base (once per base and toolchain)"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	: >"$log"
	configure "$G/build/bisect" x86_64 "" allnoconfig "$GUEST_CONFIG" >>"$log" 2>&1 &&
		"${MK[@]}" prepare >>"$log" 2>&1 &&
		sparse_run "$G/build/bisect" "${BASE_OBJECTS[@]}" >"$tmp/sparse" &&
		configure "$G/build/w1" x86_64 "" allnoconfig "$GUEST_CONFIG" >>"$log" 2>&1 &&
		"${MK[@]}" W=1 prepare >>"$log" 2>&1 &&
		w1_run "$G/build/w1" "${BASE_OBJECTS[@]}" >"$tmp/w1" || return 1
	touch "$tmp/done"
	rm -rf "$ref"
	mv "$tmp" "$ref"
}

BASE_REF_OK=
if [ -n "$TREE_OK" ] && { selected sparse || selected W=1; }; then
	: >"$LOGS/sparse-raw.log"
	: >"$LOGS/w1-raw.log"
	base_start=$SECONDS
	base_reference && BASE_REF_OK=1
	BASE_REF_TIME=$((SECONDS - base_start))
fi

# ---------------------------------------------------------------------------
# gate:am

COMMITS=()
AM_OK=
if [ -n "$TREE_OK" ]; then
	start=$SECONDS
	am_msg=
	for p in "${NAMES[@]}"; do
		if [ ! -f "$PATCHES/$p" ]; then
			am_msg="no patch file $(rel "$PATCHES")/$p"
			break
		fi
		if ! git -C "$TREE" -c user.name="Free page walk workbench" -c user.email=workbench@localhost \
			am -q --keep-cr "$PATCHES/$p" >"$LOGS/am.log" 2>&1; then
			am_msg="$p does not apply onto $(git -C "$TREE" log -1 --format='%h (%s)' HEAD): $(last_error "$LOGS/am.log") (log: $(rel "$LOGS")/am.log)"
			git -C "$TREE" am --abort >/dev/null 2>&1
			git -C "$TREE" reset -q --hard HEAD
			break
		fi
		COMMITS+=("$(git -C "$TREE" rev-parse HEAD)")
	done
	if [ -z "$am_msg" ] && [ "$COUNT" -gt 0 ]; then
		AM_OK=1
		selected am && gate PASS am "$start" "$COUNT/$COUNT patches applied with git am onto base ${BASE:0:12}"
	else
		[ "$COUNT" -gt 0 ] || am_msg="the series lists no patch"
		selected am && gate FAIL am "$start" "${#COMMITS[@]}/$COUNT applied: $am_msg"
	fi
else
	selected am && result FAIL gate:am "no kernel tree: $TREE_MSG (0 s)"
fi
NOT_APPLIED="skipped: the series does not apply (gate:am)"
[ -n "$TREE_OK" ] || NOT_APPLIED="skipped: no kernel tree: $TREE_MSG"

# ---------------------------------------------------------------------------
# gate:quilt

quilt_gate() {
	local start=$SECONDS dir=$G/quilt log=$LOGS/quilt.log files=() f diffs=()
	rm -rf "$dir"
	mkdir -p "$dir"
	mapfile -t files < <(git -C "$TREE" ls-tree -r --name-only "$BASE" -- "${SERIES_PATHS[@]}")
	if [ ${#files[@]} -gt 0 ]; then
		git -C "$TREE" archive --format=tar "$BASE" -- "${files[@]}" | tar -x -C "$dir" ||
			{ gate FAIL quilt "$start" "git archive of base failed"; return; }
	fi
	if ! (cd "$dir" && QUILT_PATCHES=$PATCHES QUILT_SERIES=$SERIES quilt --quiltrc=- push -a --fuzz=0) >"$log" 2>&1; then
		gate FAIL quilt "$start" "quilt push -a failed: $(grep -m1 -iE 'does not apply|fail|error|FAILED' "$log" || tail -n 1 "$log") (log: $(rel "$log"))"
		return
	fi
	if [ -z "$AM_OK" ]; then
		gate PASS quilt "$start" "quilt push -a --fuzz=0 applied $COUNT patches onto base's ${#files[@]} file(s) (not compared: git am failed)"
		return
	fi
	for f in "${SERIES_PATHS[@]}"; do
		if [ -e "$dir/$f" ] || [ -e "$TREE/$f" ]; then
			cmp -s "$dir/$f" "$TREE/$f" || diffs+=("$f")
		fi
	done
	if [ ${#diffs[@]} -gt 0 ]; then
		gate FAIL quilt "$start" "quilt's result differs from git am's in: ${diffs[*]}"
	else
		gate PASS quilt "$start" "quilt push -a --fuzz=0: $COUNT patches onto base's copy of the ${#files[@]} file(s) they modify; the ${#SERIES_PATHS[@]} touched files equal git am's"
	fi
}

if selected quilt; then
	if [ -n "$TREE_OK" ]; then quilt_gate; else result FAIL gate:quilt "no kernel tree: $TREE_MSG (0 s)"; fi
fi

# ---------------------------------------------------------------------------
# gate:bisect:PATCH

BISECT_OUT=$G/build/bisect
BISECT_OK=
BISECT_TIME=0

# guest_build LOG: configure and build the guest in BISECT_OUT at the tree's
# commit; BUILD_MSG as kbuild's, or what went wrong.
guest_build() {
	local log=$1 missing
	: >"$log"
	if ! configure "$BISECT_OUT" x86_64 "" allnoconfig "$GUEST_CONFIG" >>"$log" 2>&1; then
		BUILD_MSG="allnoconfig + guest.config failed: $(last_error "$log")"
		return 1
	fi
	missing=$(fragment_missing "$BISECT_OUT" "$GUEST_CONFIG")
	if [ -n "$missing" ]; then
		BUILD_MSG="guest.config lines not in the .config: $missing"
		return 1
	fi
	kbuild "$BISECT_OUT" "$log" vmlinux modules
}

bisect_gate() {
	local i=$1 p=${NAMES[$1]} start=$SECONDS log=$LOGS/bisect-${NAMES[$1]}.log mine=() o built=() off=() what
	git -C "$TREE" checkout -q --detach "${COMMITS[i]}" ||
		{ gate FAIL "bisect:$p" "$start" "cannot check out ${COMMITS[i]:0:12}"; return 1; }
	# shellcheck disable=SC2086 # a list of paths
	mapfile -t mine < <(kernel_objects ${PATCH_PATHS[$p]})
	if ! guest_build "$log"; then
		gate FAIL "bisect:$p" "$start" "$((i + 1))/$COUNT: $BUILD_MSG"
		return 1
	fi
	for o in "${mine[@]}"; do
		if [ -f "$BISECT_OUT/$o" ]; then built+=("$o"); else off+=("$o"); fi
	done
	what="vmlinux + modules of the guest config at $((i + 1))/$COUNT (${COMMITS[i]:0:12})"
	[ ${#built[@]} -eq 0 ] || what+=", built ${built[*]}"
	[ ${#off[@]} -eq 0 ] || what+=", not enabled yet: ${off[*]}"
	[ ${#mine[@]} -gt 0 ] || what+=", no kernel object in the patch"
	[ -z "$BUILD_MSG" ] || what+="; $BUILD_MSG"
	gate PASS "bisect:$p" "$start" "$what"
}

if [ -n "$AM_OK" ]; then
	BISECT_OK=1
	for i in "${!NAMES[@]}"; do
		selected "bisect:${NAMES[i]}" || continue
		start=$SECONDS
		bisect_gate "$i" || BISECT_OK=
		BISECT_TIME=$((SECONDS - start))
	done
	# Everything from here on is at the top of the series.
	git -C "$TREE" checkout -q --detach "${COMMITS[COUNT - 1]}"
else
	for p in "${NAMES[@]}"; do
		selected "bisect:$p" && result FAIL "gate:bisect:$p" "$NOT_APPLIED (0 s)"
	done
fi

# ---------------------------------------------------------------------------
# gate:sparse, gate:W=1: what the series adds, against base-ref/

# compare_gate NAME START KIND HEADFILE BASEFILE WHAT
compare_gate() {
	local name=$1 start=$2 kind=$3 head=$4 base=$5 what=$6 new n nh nb
	new=$(new_lines "$base" "$head")
	nh=$(grep -c . "$head")
	nb=$(grep -c . "$base")
	if [ -n "$new" ]; then
		n=$(printf '%s\n' "$new" | wc -l)
		gate FAIL "$name" "$start" "$n new $kind warning(s) ($nh with the series, $nb at base) in $what: $(first_line "$new" | tr '\t' ' ')"
	else
		gate PASS "$name" "$start" "no new $kind warning ($nh with the series, $nb at base) in $what"
	fi
}

if selected sparse; then
	start=$SECONDS
	if [ -z "$AM_OK" ]; then
		result FAIL gate:sparse "$NOT_APPLIED (0 s)"
	elif [ -z "$BASE_REF_OK" ]; then
		gate FAIL sparse "$start" "sparse of base failed: $(last_error "$LOGS/base-ref.log") (log: $(rel "$LOGS")/base-ref.log)"
	else
		log=$LOGS/sparse.log
		: >"$log"
		if configure "$BISECT_OUT" x86_64 "" allnoconfig "$GUEST_CONFIG" >>"$log" 2>&1 &&
			"${MK[@]}" prepare >>"$log" 2>&1; then
			sparse_run "$BISECT_OUT" "${SERIES_OBJECTS[@]}" >"$G/sparse.head"
			compare_gate sparse "$start" sparse "$G/sparse.head" "$BASE_REF/sparse" \
				"C=2 ${SERIES_OBJECTS[*]} (base: ${BASE_OBJECTS[*]:-none}${BASE_REF_TIME:+, $BASE_REF_TIME s})"
		else
			gate FAIL sparse "$start" "configuring the guest failed: $(last_error "$log")"
		fi
	fi
fi

if selected W=1; then
	start=$SECONDS
	if [ -z "$AM_OK" ]; then
		result FAIL gate:W=1 "$NOT_APPLIED (0 s)"
	elif [ -z "$BASE_REF_OK" ]; then
		gate FAIL W=1 "$start" "W=1 of base failed: $(last_error "$LOGS/base-ref.log") (log: $(rel "$LOGS")/base-ref.log)"
	else
		log=$LOGS/w1.log
		: >"$log"
		if configure "$G/build/w1" x86_64 "" allnoconfig "$GUEST_CONFIG" >>"$log" 2>&1 &&
			"${MK[@]}" W=1 prepare >>"$log" 2>&1; then
			w1_run "$G/build/w1" "${SERIES_OBJECTS[@]}" >"$G/w1.head"
			compare_gate W=1 "$start" W=1 "$G/w1.head" "$BASE_REF/w1" "${SERIES_OBJECTS[*]}"
		else
			gate FAIL W=1 "$start" "configuring the guest failed: $(last_error "$log")"
		fi
	fi
fi

# ---------------------------------------------------------------------------
# gate:kernel-doc

if selected kernel-doc; then
	start=$SECONDS
	if [ -z "$AM_OK" ]; then
		result FAIL gate:kernel-doc "$NOT_APPLIED (0 s)"
	else
		kd=$G/kernel-doc
		rm -rf "$kd"
		mkdir -p "$kd/base"
		: >"$kd/head"
		: >"$kd/base.txt"
		files=()
		for f in "${SERIES_PATHS[@]}"; do
			case $f in tools/* | scripts/* | Documentation/* | samples/*) continue ;; esac
			case $f in *.c | *.h) ;; *) continue ;; esac
			[ -f "$TREE/$f" ] || continue
			files+=("$f")
			(cd "$TREE" && scripts/kernel-doc -none -Wall "$f") 2>&1 | normalize "$f" "" >>"$kd/head"
			if git -C "$TREE" cat-file -e "$BASE:$f" 2>/dev/null; then
				mkdir -p "$kd/base/$(dirname "$f")"
				git -C "$TREE" show "$BASE:$f" >"$kd/base/$f"
				(cd "$TREE" && scripts/kernel-doc -none -Wall "$kd/base/$f") 2>&1 |
					normalize "$f" "$kd/base/" >>"$kd/base.txt"
			fi
		done
		compare_gate kernel-doc "$start" kernel-doc "$kd/head" "$kd/base.txt" "${files[*]}"
	fi
fi

# ---------------------------------------------------------------------------
# gate:build:*

# FRAGMENTS/NAME.config: the config fragment of build NAME.
FRAGMENTS=$G/fragments
mkdir -p "$FRAGMENTS"

# guest_fragment NAME LINE...: FRAGMENTS/NAME.config, guest.config with
# LINE... appended (later lines win).
guest_fragment() {
	local name=$1
	shift
	{
		cat "$GUEST_CONFIG"
		echo "# selftests/gates.sh"
		printf '%s\n' "$@"
	} >"$FRAGMENTS/$name.config"
}

# matrix_build NAME ARCH CROSS CONFTARGET FRAGMENT|"" EXPECT TARGET...:
# configure build/NAME, check the .config has every SYM=VALUE of EXPECT
# (space separated), build TARGET... (prepare first when they are objects).
# A build folder made for the first time starts as a copy of MATRIX_SEED
# when that is set and built: a variant of the guest config then rebuilds
# only what its options change. MATRIX_MSG: what went wrong, or the other
# warnings.
matrix_build() {
	local name=$1 arch=$2 cross=$3 conf=$4 frag=$5 expect=$6 out=$G/build/$1 log=$LOGS/build-$1.log bad
	shift 6
	: >"$log"
	if [ -n "${MATRIX_SEED:-}" ] && [ -f "$MATRIX_SEED/vmlinux" ] && [ ! -f "$out/.config" ]; then
		echo "== seeding $(rel "$out") with a copy of $(rel "$MATRIX_SEED")" >>"$log"
		if cp -a "$MATRIX_SEED/." "$out/" >>"$log" 2>&1; then
			# objtool's own build records absolute paths: rewritten, it is
			# not rebuilt, and so neither is every object depending on it.
			grep -rlF "$MATRIX_SEED/" "$out/tools" 2>/dev/null |
				xargs -r sed -i "s|$MATRIX_SEED/|$out/|g"
		else
			rm -rf "$out"
			mkdir -p "$out"
		fi
	fi
	MATRIX_SEED=
	# shellcheck disable=SC2086 # a list
	if ! configure "$out" "$arch" "$cross" "$conf" $frag >>"$log" 2>&1; then
		MATRIX_MSG="make $conf failed: $(last_error "$log") (log: $(rel "$log"))"
		return 1
	fi
	# shellcheck disable=SC2086 # a list
	bad=$(config_expect "$out" $expect)
	if [ -n "$bad" ]; then
		MATRIX_MSG="the configuration is not the intended one: $bad"
		return 1
	fi
	case " $* " in
	*" vmlinux "* | *" modules "*) ;;
	*)
		if ! "${MK[@]}" prepare >>"$log" 2>&1; then
			MATRIX_MSG="make prepare failed: $(last_error "$log") (log: $(rel "$log"))"
			return 1
		fi
		;;
	esac
	if ! kbuild "$out" "$log" "$@"; then
		MATRIX_MSG=$BUILD_MSG
		return 1
	fi
	MATRIX_MSG=$BUILD_MSG
}

# matrix_gate NAME START OK DETAIL: record gate:build:NAME.
matrix_gate() {
	if [ "$3" = 0 ]; then
		gate PASS "build:$1" "$2" "$4${MATRIX_MSG:+; $MATRIX_MSG}"
	else
		gate FAIL "build:$1" "$2" "$MATRIX_MSG"
	fi
}

# objects_built NAME OBJ...: fail (MATRIX_MSG) unless build/NAME has each OBJ.
objects_built() {
	local out=$G/build/$1 o miss=()
	shift
	for o in "$@"; do
		[ -f "$out/$o" ] || miss+=("$o")
	done
	[ ${#miss[@]} -eq 0 ] && return 0
	MATRIX_MSG="not built: ${miss[*]}"
	return 1
}

if [ -z "$AM_OK" ]; then
	for g in guest-y balloon-m no-balloon-compaction walker-off tinyconfig allnoconfig i386 arm64; do
		selected "build:$g" && result FAIL "gate:build:$g" "$NOT_APPLIED (0 s)"
	done
fi

# The walker's object and API header, as the series names them.
WALKER_OBJ=mm/free_page_walk.o
WALKER_HEADER=include/linux/free_page_walk.h
WALKER_FN=free_page_walk_run

# guest-y: the bisect build at the top of the series (built here when the
# bisect gates did not run).
if [ -n "$AM_OK" ] && selected build:guest-y; then
	start=$SECONDS
	last=${NAMES[COUNT - 1]}
	took=
	if selected "bisect:$last"; then
		ok=$BISECT_OK
		[ -n "$ok" ] || MATRIX_MSG="the bisect build failed (gate:bisect)"
		took=" ($BISECT_TIME s in gate:bisect:$last)"
	else
		ok=1
		guest_build "$LOGS/build-guest-y.log" || { ok=; MATRIX_MSG=$BUILD_MSG; }
	fi
	if [ -n "$ok" ]; then
		MATRIX_MSG=
		bad=$(config_expect "$BISECT_OUT" VIRTIO_BALLOON=y "$WALKER=y")
		if [ -n "$bad" ]; then
			ok=
			MATRIX_MSG="the configuration is not the intended one: $bad"
		elif ! objects_built bisect "${SERIES_OBJECTS[@]}"; then
			ok=
		elif ! grep -q " $WALKER_FN\$" "$BISECT_OUT/System.map"; then
			ok=
			MATRIX_MSG="$WALKER_FN is not in vmlinux"
		fi
	fi
	if [ -n "$ok" ]; then
		gate PASS build:guest-y "$start" "guest config, VIRTIO_BALLOON=y $WALKER=y: vmlinux with $WALKER_FN, modules, ${SERIES_OBJECTS[*]}$took"
	else
		gate FAIL build:guest-y "$start" "$MATRIX_MSG"
	fi
fi

if [ -n "$AM_OK" ] && selected build:balloon-m; then
	start=$SECONDS
	guest_fragment balloon-m CONFIG_VIRTIO_BALLOON=m
	rc=0
	MATRIX_SEED=$BISECT_OUT
	matrix_build balloon-m x86_64 "" allnoconfig "$FRAGMENTS/balloon-m.config" \
		"VIRTIO_BALLOON=m $WALKER=y" vmlinux modules &&
		objects_built balloon-m drivers/virtio/virtio_balloon.ko || rc=1
	matrix_gate balloon-m "$start" "$rc" "guest config, VIRTIO_BALLOON=m $WALKER=y: vmlinux, modules, modpost, drivers/virtio/virtio_balloon.ko"
fi

if [ -n "$AM_OK" ] && selected build:no-balloon-compaction; then
	start=$SECONDS
	guest_fragment no-balloon-compaction CONFIG_BALLOON_COMPACTION=n
	rc=0
	MATRIX_SEED=$BISECT_OUT
	matrix_build no-balloon-compaction x86_64 "" allnoconfig "$FRAGMENTS/no-balloon-compaction.config" \
		"BALLOON_COMPACTION=n VIRTIO_BALLOON=y $WALKER=y" "${SERIES_OBJECTS[@]}" &&
		objects_built no-balloon-compaction "${SERIES_OBJECTS[@]}" || rc=1
	matrix_gate no-balloon-compaction "$start" "$rc" "guest config, BALLOON_COMPACTION=n: ${SERIES_OBJECTS[*]}"
fi

# stub_check OUT: build, against build folder OUT (walker off), a module
# that includes the walker's header and takes the address of every function
# it declares under CONFIG_WALKER, through a pointer of the declared type:
# with -Werror a stub whose signature differs from the declaration fails,
# and a missing stub leaves an undefined symbol for modpost. STUBS: how
# many functions were checked.
stub_check() {
	local out=$1 dir=$G/stubcheck log=$LOGS/build-walker-off.log decl re ret fn args
	rm -rf "$dir"
	mkdir -p "$dir"
	STUBS=0
	re='^(.*[^A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\((.*)\)[[:space:]]*$'
	{
		echo "// SPDX-License-Identifier: GPL-2.0"
		echo "/* Generated by selftests/gates.sh from $WALKER_HEADER. */"
		echo "#include <linux/module.h>"
		echo "#include <${WALKER_HEADER#include/}>"
		echo "#ifdef CONFIG_$WALKER"
		echo "#error CONFIG_$WALKER is set: this checks the stubs"
		echo "#endif"
		while read -r decl; do
			decl=${decl#extern }
			[[ $decl =~ $re ]] || continue
			ret=${BASH_REMATCH[1]}
			fn=${BASH_REMATCH[2]}
			args=${BASH_REMATCH[3]}
			echo "static __maybe_unused ${ret}(*const gates_check_$fn)($args) = $fn;"
		done < <(awk -v sym="CONFIG_$WALKER" '
			!inblk && /^#[ \t]*if/ && index($0, sym) && !/^#[ \t]*ifndef/ && !/![ \t]*(defined|IS_ENABLED|IS_BUILTIN)/ {
				inblk = 1; depth = 1; next
			}
			!inblk { next }
			/^#[ \t]*if/ { depth++ }
			/^#[ \t]*endif/ { if (--depth == 0) exit }
			depth == 1 && /^#[ \t]*(else|elif)/ { exit }
			depth == 1 && !/^#/ { print }' "$TREE/$WALKER_HEADER" |
			sed -e 's@/\*.*\*/@@g' -e 's@//.*$@@' | tr '\n' ' ' | tr ';' '\n')
		echo "MODULE_LICENSE(\"GPL\");"
		echo "MODULE_DESCRIPTION(\"The !CONFIG_$WALKER stubs match the declarations\");"
	} >"$dir/fpw_stub_check.c"
	STUBS=$(grep -c '^static __maybe_unused .*gates_check_' "$dir/fpw_stub_check.c")
	printf '%s\n' "obj-m += fpw_stub_check.o" "ccflags-y += -Werror" >"$dir/Kbuild"
	echo "== stub check: $(rel "$dir")/fpw_stub_check.c" >>"$log"
	if ! "${MK[@]}" M="$dir" modules >>"$log" 2>&1; then
		MATRIX_MSG="a module using $WALKER_HEADER does not build with $WALKER off: $(last_error "$log") (log: $(rel "$log"))"
		return 1
	fi
	if grep -qE '^(WARNING|ERROR): modpost' "$log"; then
		MATRIX_MSG="modpost, module using $WALKER_HEADER with $WALKER off: $(grep -m1 -E '^(WARNING|ERROR): modpost' "$log")"
		return 1
	fi
}

if [ -n "$AM_OK" ] && selected build:walker-off; then
	start=$SECONDS
	out=$G/build/walker-off
	# VMWARE_BALLOON keeps MEMORY_BALLOON and BALLOON_COMPACTION on, as
	# in the guest: they change vm_event_item.h, which nearly every file
	# includes, so without it every object would be compiled anew. With
	# it the preprocessed sources match the first bisect build's (walker
	# off as well), and ccache has them.
	guest_fragment walker-off CONFIG_VIRTIO_BALLOON=n CONFIG_TEST_FREE_PAGE_WALK=n \
		CONFIG_VMWARE_VMCI=y CONFIG_VMWARE_BALLOON=y
	rm -f "$out/$WALKER_OBJ"
	rc=0
	STUBS=0
	MATRIX_SEED=$BISECT_OUT
	matrix_build walker-off x86_64 "" allnoconfig "$FRAGMENTS/walker-off.config" \
		"VIRTIO_BALLOON=n TEST_FREE_PAGE_WALK=n $WALKER=n MEMORY_BALLOON=y BALLOON_COMPACTION=y" \
		vmlinux modules || rc=1
	if [ "$rc" = 0 ]; then
		if [ -e "$out/$WALKER_OBJ" ]; then
			rc=1
			MATRIX_MSG="$WALKER_OBJ was built with $WALKER off"
		elif grep -q " $WALKER_FN\$" "$out/System.map"; then
			rc=1
			MATRIX_MSG="$WALKER_FN is in vmlinux with $WALKER off"
		elif [ -f "$TREE/$WALKER_HEADER" ]; then
			other=$MATRIX_MSG
			stub_check "$out" || rc=1
			[ "$rc" = 1 ] || MATRIX_MSG=$other
		fi
	fi
	matrix_gate walker-off "$start" "$rc" "guest config without VIRTIO_BALLOON and TEST_FREE_PAGE_WALK, $WALKER=n: vmlinux links, no $WALKER_OBJ, a module calling $STUBS stub(s) of $WALKER_HEADER builds with -Werror"
fi

for conf in tinyconfig allnoconfig; do
	if [ -z "$AM_OK" ] || ! selected "build:$conf"; then continue; fi
	start=$SECONDS
	rc=0
	matrix_build "$conf" x86_64 "" "$conf" "" "64BIT=y" vmlinux || rc=1
	if [ "$rc" = 0 ] && [ -e "$G/build/$conf/$WALKER_OBJ" ]; then
		rc=1
		MATRIX_MSG="$WALKER_OBJ was built"
	fi
	matrix_gate "$conf" "$start" "$rc" "x86_64 $conf: vmlinux links, $WALKER=$(config_value "$G/build/$conf" "$WALKER")"
done

# The i386 and arm64 builds: the configuration of selftests/build.sh -a
# ARCH (selftests/lib/arch.sh and its fragments), the series' objects.
# cross_gate ARCH EXPECT LABEL: EXPECT are the config symbols the build
# must have, LABEL says what they mean in the result.
cross_gate() {
	local arch=$1 expect=$2 label=$3 start=$SECONDS rc=0

	if [ -z "$AM_OK" ] || ! selected "build:$arch"; then
		return
	fi
	if ! arch_load "$arch" || ! arch_fragment "$FRAGMENTS/$arch.config"; then
		rc=1
		MATRIX_MSG="no $arch configuration in selftests/lib/arch.sh and selftests/config"
	else
		matrix_build "$arch" "$ARCH_KARCH" "$ARCH_CROSS" allnoconfig "$FRAGMENTS/$arch.config" \
			"$expect VIRTIO_BALLOON=y $WALKER=y BALLOON_COMPACTION=y" "${SERIES_OBJECTS[@]}" &&
			objects_built "$arch" "${SERIES_OBJECTS[@]}" || rc=1
	fi
	matrix_gate "$arch" "$start" "$rc" "ARCH=$arch ${ARCH_CROSS}gcc, allnoconfig + guest.config + $ARCH_CONFIG.config, $label, VIRTIO_BALLOON=y: ${SERIES_OBJECTS[*]}"
}

cross_gate i386 "64BIT=n HIGHMEM4G=y" HIGHMEM4G
cross_gate arm64 ARM64_64K_PAGES=y "64K pages"

# ---------------------------------------------------------------------------

info "gates done in $SECONDS s"
if [ -z "${FPW_IN_RUN:-}" ]; then
	results_summary
	exit
fi
[ "$RESULTS_FAILED" -eq 0 ]
