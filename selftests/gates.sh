#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Quality gates of the patch series: what a maintainer checks before taking
# it. Each gate is one result (selftests/lib/results.sh) named gate:NAME.
#
#   selftests/gates.sh [-h]
#
#   gate:mail:PATCH        the patch is a well-formed mail: From:,
#                          "Subject: [PATCH v2 n/m] subsystem: summary" (v2
#                          the series' revision, SERIES_VERSION of
#                          selftests/lib/series.sh; n its place in the
#                          series, m the series' length), a Signed-off-by:
#                          of the From: author and a body of at least 3
#                          lines before the "---". The cover letter,
#                          patches/0000-cover-letter.patch, is not in
#                          ./series and not a gate's (see
#                          selftests/posting-test.sh)
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
#                          modpost warning. One folder, build/bisect, from
#                          patch to patch: make rebuilds what a patch
#                          changes and links vmlinux and the modules again
#                          (the series' objects are always compiled, for
#                          their warnings). Here the first patch (the
#                          walker, nothing selects it yet) and the second
#                          (its test module selects it, and mmzone.h
#                          depends on it) rebuild nearly every object
#   gate:sparse            make C=2 CHECK=sparse on the series' .c files:
#                          no warning that the same files at base lack
#                          (only those objects, in build/bisect)
#   gate:W=1               the same for the W=1 compiler warnings (the
#                          series' objects compiled again with W=1, in
#                          build/bisect)
#   gate:kernel-doc        scripts/kernel-doc -none -Wall on the series' .c
#                          and .h files: no warning that base lacks
#   gate:clang             the guest configuration built with Debian's
#                          clang and LLVM tools (LLVM=1), W=1: every
#                          object of the series compiles, with no clang
#                          warning that the same files at base lack (only
#                          those objects, in build/clang; base's warnings
#                          in base-ref-clang/), as the kernel test robot
#                          builds
#   gate:build:NAME        one per row of selftests/gates-matrix.tsv, in
#                          its order: configure (allnoconfig or tinyconfig;
#                          guest.config, the architecture's fragments of
#                          selftests/lib/arch.sh, the row's own options),
#                          check that the .config has what the row expects,
#                          build with the same warning rule as
#                          gate:bisect, then the row's checks. A build
#                          configuration more is a row more (and its line
#                          here). The rows:
#     guest-y              the bisect build of the last patch, not built
#                          again: VIRTIO_BALLOON=y, the walker in vmlinux
#     balloon-m            VIRTIO_BALLOON=m: vmlinux, modules and modpost
#                          (the walker's exports), virtio_balloon.ko
#     no-balloon-compaction
#                          BALLOON_COMPACTION=n: the series' objects
#     walker-off           without VIRTIO_BALLOON and TEST_FREE_PAGE_WALK,
#                          so FREE_PAGE_WALK is off (VMWARE_BALLOON keeps
#                          MEMORY_BALLOON on): vmlinux and modules link,
#                          mm/free_page_walk.o is not built, and a module
#                          calling the API through the stubs of the header
#                          builds with -Werror (the stubs match the real
#                          declarations)
#     tinyconfig           x86_64 tinyconfig (EXPERT, so SMP, MODULES,
#                          MIGRATION, COMPACTION, MEMORY_BALLOON, PROC_FS,
#                          SYSFS, PRINTK, VM_EVENT_COUNTERS, ZONE_DMA and
#                          the walker off; -Os): vmlinux links
#     allnoconfig          x86_64 allnoconfig (no EXPERT, so PROC_FS,
#                          VM_EVENT_COUNTERS, ZONE_DMA and PRINTK on; -O2,
#                          ORC): the series' folders (mm/, drivers/virtio/)
#                          as far as it builds them; not linked, the link
#                          with everything off is tinyconfig's
#     i386                 ARCH=i386 (i686-linux-gnu-gcc), guest.config +
#                          i386.config, 32-bit with HIGHMEM4G: the series'
#                          objects
#     arm64                ARCH=arm64 (aarch64-linux-gnu-gcc), guest.config
#                          + arm64.config, 64 KiB pages: the series' objects
#                          Both take the configuration of selftests/build.sh
#                          -a i386 / -a arm64 from selftests/lib/arch.sh, so
#                          that ccache has their objects for the boot builds,
#                          which link and boot them.
# Every gate runs, whatever the others gave; the exit status is non-zero
# when one failed. Each detail ends with the gate's wall time and CPU time
# (user + system of everything it ran), in seconds.
#
# Everything generated is under .work/gates (FPW_GATES_WORK): linux/, a git
# worktree of .work/linux reset to its base tag every run; build/NAME/, the
# build folders, kept so that later runs build incrementally (with ccache,
# set up as in selftests/build.sh); logs/, one log per gate; base-ref/, the
# sparse and W=1 warnings of base, computed once per base and toolchain.
# build/NAME reaches the tree as ../../linux, as selftests/build.sh's
# .work/build/NAME reaches .work/linux: with CCACHE_BASEDIR the compiler
# command lines are the same, so the guest build.sh builds after the gates
# comes from the cache the bisect build of the last patch filled. A row's
# folder made for the first time starts as a copy of its seed (a ccache
# hit still preprocesses the file and runs objtool; a folder copied from a
# build of nearly the same configuration rebuilds only what differs):
# walker-off starts from the bisect build of the first patch, which has
# the walker off too, balloon-m and no-balloon-compaction from that of the
# last patch, allnoconfig from tinyconfig. Every object is compiled about
# twice for the guest (walker off, walker on) and once for tinyconfig.
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
#   FPW_GATES_WORK     the folder of everything generated (default:
#                      .work/gates); with an empty one under .work and an
#                      empty CCACHE_DIR, a cold run (outside the repository
#                      ccache does not share objects with the other builds)
#   JOBS               make -j (default: nproc)
set -u -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/results.sh
. "$TOP/selftests/lib/results.sh"
# shellcheck source=selftests/lib/arch.sh
. "$TOP/selftests/lib/arch.sh"
# shellcheck source=selftests/lib/kbuild.sh
. "$TOP/selftests/lib/kbuild.sh"
# shellcheck source=selftests/lib/series.sh
. "$TOP/selftests/lib/series.sh"
# shellcheck source=selftests/lib/checkpatch.sh
. "$TOP/selftests/lib/checkpatch.sh"
help_only "$@"
cd "$TOP" || die "cannot cd to $TOP"

G=${FPW_GATES_WORK:-$WORK/gates}
if ! mkdir -p "$G" || ! G=$(cd "$G" && pwd); then
	die "cannot make ${FPW_GATES_WORK:-$WORK/gates}"
fi
TREE=$G/linux
REPO=$WORK/linux
LOGS=$G/logs
EXCEPTIONS=${FPW_GATES_EXCEPTIONS:-$TOP/selftests/gates-exceptions.txt}
MATRIX_FILE=$TOP/selftests/gates-matrix.tsv
GUEST_CONFIG=$TOP/selftests/config/guest.config
JOBS=${JOBS:-$(nproc)}
# The Kconfig symbol of the walker, and its API header's guard.
WALKER=FREE_PAGE_WALK

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

mkdir -p "$LOGS"
exec 9>"$G/.lock"
flock -n 9 || die "another ${0##*/} is running (lock: $G/.lock)"

[ -n "${FPW_IN_RUN:-}" ] || results_reset

kbuild_env
unset KCONFIG_ALLCONFIG KCFLAGS KCPPFLAGS ARCH CROSS_COMPILE W C

# ---------------------------------------------------------------------------
# Helpers

# clock: "WALL:CPU", the seconds since the start and the CPU time, in clock
# ticks, of this shell and every command it has waited for (user + system).
TICKS=$(getconf CLK_TCK 2>/dev/null) || TICKS=100
clock() {
	local stat f
	read -r stat <"/proc/$$/stat"
	# The fields after "(comm) ": utime, stime, cutime, cstime are 12-15.
	read -r -a f <<<"${stat##*) }"
	echo "$SECONDS:$((f[11] + f[12] + f[13] + f[14]))"
}

# took START: "W s, C s CPU", the wall and CPU time since START (a clock).
took() {
	local now
	now=$(clock)
	echo "$((${now%%:*} - ${1%%:*})) s, $(((${now#*:} - ${1#*:}) / TICKS)) s CPU"
}
START_CLOCK=$(clock)

# rel PATH: PATH relative to the top of the repository, for messages.
rel() { echo "${1#"$TOP"/}"; }

# rel_all TEXT: TEXT with every path inside the repository made relative.
rel_all() { echo "${1//"$TOP"\//}"; }

# selected NAME: is gate NAME (without "gate:") to run?
selected() {
	[ -n "${FPW_GATES_ONLY:-}" ] || return 0
	local w
	for w in ${FPW_GATES_ONLY//,/ }; do
		case $1 in "$w"*) return 0 ;; esac
	done
	return 1
}

# gate PASS|FAIL NAME START DETAIL: record gate:NAME, with its wall and
# CPU time since START (a clock).
gate() {
	result "$1" "gate:$2" "$4 ($(took "$3"))"
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

# configure OUT ARCH CROSS TARGET [FRAGMENT [TOOLS]]: make TARGET
# (allnoconfig, tinyconfig) in build folder OUT, with FRAGMENT (a file, or
# "") as KCONFIG_ALLCONFIG, with TOOLS (gcc, the default, or llvm). Sets MK,
# the make command (kbuild_make) for OUT.
configure() {
	local out=$1 arch=$2 cross=$3 target=$4 frag=${5:-} tools=${6:-gcc}
	mkdir -p "$out"
	kbuild_make "$TREE" "$out" "$arch" "$cross" "$tools"
	MK=("${KMAKE[@]}")
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

# ---------------------------------------------------------------------------
# The build matrix: the rows of selftests/gates-matrix.tsv

# The walker's object, API header and entry point, as the series names them.
WALKER_OBJ=mm/free_page_walk.o
WALKER_HEADER=include/linux/free_page_walk.h
WALKER_FN=free_page_walk_run

MATRIX_KEYS="arch config fragment expect build seed checks"
declare -A MATRIX=()
MATRIX_LIST=()
# SEEDED[NAME]: the seed a row's folder was copied from in this run.
declare -A SEEDED=()
# FRAGMENTS/NAME.config: the config fragment of row NAME.
FRAGMENTS=$G/fragments

# matrix_load: the rows of MATRIX_FILE as MATRIX[NAME.KEY] (table_def), the
# names in MATRIX_LIST; a malformed row stops the script.
matrix_load() {
	local n=0 line file where name arch config fragment expect build seed checks extra c fn
	file=$(rel "$MATRIX_FILE")
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		read -r name arch config fragment expect build seed checks extra <<<"${line%%#*}"
		[ -n "$name" ] || continue
		where="$file:$n: $name"
		if [ -z "$checks" ] || [ -n "$extra" ]; then
			die "$where: 8 columns expected (name $MATRIX_KEYS)"
		fi
		[ -z "${MATRIX[$name.arch]+set}" ] || die "$where: listed twice"
		arch_load "$arch" 2>/dev/null || die "$where: $arch is not an architecture of selftests/lib/arch.sh"
		case $config in *config) ;; *) die "$where: config: a make target such as allnoconfig" ;; esac
		case $fragment in - | guest | guest,*) ;; *) die "$where: fragment: - or guest[,SYM=VALUE|FRAGMENT...]" ;; esac
		[ "$build" != bisect ] || [ "$arch $config $fragment" = "x86_64 allnoconfig guest" ] ||
			die "$where: the bisect build is x86_64 allnoconfig guest"
		case $seed in
		-) ;;
		bisect@last | bisect@[1-9] | bisect@[1-9][0-9])
			[ "$arch" = x86_64 ] || die "$where: seed: the bisect build is x86_64"
			;;
		*)
			[ "${MATRIX[$seed.arch]:-}" = "$arch" ] ||
				die "$where: seed: -, bisect@N, bisect@last or an earlier row of the same architecture"
			;;
		esac
		for c in ${checks//,/ }; do
			fn=${c%%=*}
			[ "$c" = - ] || declare -F "check_${fn//-/_}" >/dev/null ||
				die "$where: no check $fn (a function check_${fn//-/_})"
		done
		table_def MATRIX MATRIX_LIST "$MATRIX_KEYS" "$name" arch="$arch" config="$config" \
			fragment="$fragment" expect="$expect" build="$build" seed="$seed" checks="$checks"
	done <"$MATRIX_FILE"
	[ ${#MATRIX_LIST[@]} -gt 0 ] || die "$file has no row"
}

# cell NAME KEY: the items of a cell of row NAME, blank separated.
cell() {
	local v=${MATRIX[$1.$2]}
	[ "$v" != - ] || v=
	echo "${v//,/ }"
}

# seed_rows KEY DIR: every selected row whose seed is KEY and whose folder
# has no configuration yet starts as a copy of build folder DIR.
seed_rows() {
	local key=$1 src=$2 name out
	for name in "${MATRIX_LIST[@]}"; do
		[ "${MATRIX[$name.seed]}" = "$key" ] || continue
		selected "build:$name" || continue
		out=$G/build/$name
		[ ! -f "$out/.config" ] || continue
		rm -rf "$out"
		mkdir -p "$out"
		if cp -a "$src/." "$out/"; then
			# objtool's own build records absolute paths: rewritten, it is
			# not rebuilt, and so neither is every object depending on it.
			grep -rlF "$src/" "$out/tools" 2>/dev/null | xargs -r sed -i "s|$src/|$out/|g"
			SEEDED[$name]=$key
		else
			rm -rf "$out"
		fi
	done
}

# row_fragment NAME FILE: write FILE, the fragment of row NAME.
row_fragment() {
	local name=$1 file=$2 it frags=() lines=()
	for it in $(cell "$name" fragment); do
		case $it in
		guest) ;;
		*=*) lines+=("CONFIG_$it") ;;
		*) frags+=("$it") ;;
		esac
	done
	arch_fragment "$file" ${frags[@]+"${frags[@]}"} || return 1
	[ ${#lines[@]} -eq 0 ] || printf '%s\n' "# gate:build:$name" "${lines[@]}" >>"$file"
}

# row_what NAME: the configuration of row NAME, for the result.
row_what() {
	local name=$1 it f what
	what="$ARCH_NAME${ARCH_CROSS:+ (${ARCH_CROSS}gcc)} ${MATRIX[$name.config]}"
	for it in $(cell "$name" fragment); do
		case $it in
		guest)
			what+=" + guest.config"
			for f in $ARCH_CONFIG; do what+=" + $f.config"; done
			;;
		*=*) what+=" + $it" ;;
		*) what+=" + $it.config" ;;
		esac
	done
	echo "$what"
}

# series_dirs: the folders of the series' kernel objects, as make targets.
series_dirs() {
	local o
	for o in "${SERIES_OBJECTS[@]}"; do
		echo "${o%/*}/"
	done | sort -u
}

# The checks of the table's last column: check_NAME OUT ARG, on success a
# "; what was checked" appended to CHECK_MSG, else MATRIX_MSG says what
# failed. ROW_VMLINUX is set when the row built vmlinux. matrix_row calls
# them by name.

# check_built OUT FILE...: each FILE (removed before the build) was built.
# shellcheck disable=SC2317 # called by name
check_built() {
	local out=$1 f miss=()
	shift
	for f in "$@"; do
		[ -f "$out/$f" ] || miss+=("$f")
	done
	if [ ${#miss[@]} -gt 0 ]; then
		MATRIX_MSG="not built: ${miss[*]}"
		return 1
	fi
	CHECK_MSG+="; built $*"
}

# check_series_objects OUT: each of the series' objects was built.
# shellcheck disable=SC2317 # called by name
check_series_objects() { check_built "$1" "${SERIES_OBJECTS[@]}"; }

# shellcheck disable=SC2317 # called by name
check_walker_linked() {
	grep -q " $WALKER_FN\$" "$1/System.map" 2>/dev/null ||
		{ MATRIX_MSG="$WALKER_FN is not in vmlinux"; return 1; }
	CHECK_MSG+="; vmlinux has $WALKER_FN"
}

# shellcheck disable=SC2317 # called by name
check_walker_absent() {
	[ ! -e "$1/$WALKER_OBJ" ] || { MATRIX_MSG="$WALKER_OBJ was built with $WALKER off"; return 1; }
	CHECK_MSG+="; no $WALKER_OBJ"
	[ -n "$ROW_VMLINUX" ] || return 0
	! grep -q " $WALKER_FN\$" "$1/System.map" ||
		{ MATRIX_MSG="$WALKER_FN is in vmlinux with $WALKER off"; return 1; }
	CHECK_MSG+=", no $WALKER_FN in vmlinux"
}

# check_stubs OUT: build, against build folder OUT (walker off), a module
# that includes the walker's header and takes the address of every function
# it declares under CONFIG_WALKER, through a pointer of the declared type:
# with -Werror a stub whose signature differs from the declaration fails,
# and a missing stub leaves an undefined symbol for modpost.
# shellcheck disable=SC2317 # called by name
check_stubs() {
	local out=$1 dir=$G/stubcheck log=$ROW_LOG decl re ret fn args stubs
	if [ ! -f "$TREE/$WALKER_HEADER" ]; then
		CHECK_MSG+="; no $WALKER_HEADER to check the stubs of"
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
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
	stubs=$(grep -c '^static __maybe_unused .*gates_check_' "$dir/fpw_stub_check.c")
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
	CHECK_MSG+="; a module calling $stubs stub(s) of $WALKER_HEADER builds with -Werror"
}

# matrix_build NAME: configure row NAME in build/NAME, check its .config,
# build its targets (prepare first when they are not vmlinux or modules).
# BUILT: what was built; MATRIX_MSG: what went wrong, or the other warnings.
matrix_build() {
	local name=$1 out=$G/build/$1 log=$ROW_LOG frag='' bad t c o targets=() dirs=() on=() off=()
	: >"$log"
	[ -z "${SEEDED[$name]:-}" ] || echo "== $(rel "$out") started as a copy of ${SEEDED[$name]}" >>"$log"
	if [ "${MATRIX[$name.fragment]}" != - ]; then
		mkdir -p "$FRAGMENTS"
		frag=$FRAGMENTS/$name.config
		row_fragment "$name" "$frag" 2>>"$log" || { MATRIX_MSG="no fragment: $(last_error "$log")"; return 1; }
	fi
	if ! configure "$out" "$ARCH_KARCH" "$ARCH_CROSS" "${MATRIX[$name.config]}" ${frag:+"$frag"} >>"$log" 2>&1; then
		MATRIX_MSG="make ${MATRIX[$name.config]} failed: $(last_error "$log") (log: $(rel "$log"))"
		return 1
	fi
	if [ -n "$frag" ]; then
		bad=$(kbuild_lost "$TREE" "$out" "$frag" "$ARCH_SRCARCH" 2>>"$log")
		[ -z "$bad" ] || { MATRIX_MSG="fragment lines not in the .config: $bad"; return 1; }
	fi
	# shellcheck disable=SC2046 # a list
	bad=$(config_expect "$out" $(cell "$name" expect))
	[ -z "$bad" ] || { MATRIX_MSG="the configuration is not the intended one: $bad"; return 1; }
	for t in $(cell "$name" build); do
		case $t in
		objects) targets+=("${SERIES_OBJECTS[@]}") ;;
		dirs)
			mapfile -t dirs < <(series_dirs)
			targets+=("${dirs[@]}")
			;;
		vmlinux) targets+=("$t") ROW_VMLINUX=1 ;;
		*) targets+=("$t") ;;
		esac
	done
	for c in $(cell "$name" checks); do
		case $c in built=*) rm -f "$out/${c#built=}" ;; esac
	done
	case " ${targets[*]} " in
	*" vmlinux "* | *" modules "*) ;;
	*)
		"${MK[@]}" prepare >>"$log" 2>&1 ||
			{ MATRIX_MSG="make prepare failed: $(last_error "$log") (log: $(rel "$log"))"; return 1; }
		;;
	esac
	kbuild "$out" "$log" "${targets[@]}" || { MATRIX_MSG=$BUILD_MSG; return 1; }
	MATRIX_MSG=$BUILD_MSG
	BUILT=$(cell "$name" build)
	BUILT=${BUILT/objects/"the series' objects"}
	if [ ${#dirs[@]} -gt 0 ]; then
		for o in "${SERIES_OBJECTS[@]}"; do
			if [ -f "$out/$o" ]; then on+=("$o"); else off+=("$o"); fi
		done
		BUILT+=" (built ${on[*]:-none}${off[*]:+; not enabled: ${off[*]}})"
	fi
}

# matrix_bisect NAME: row NAME is the bisect build of the last patch (built
# here when that gate did not run).
matrix_bisect() {
	local name=$1 last=${NAMES[COUNT - 1]} bad
	if selected "bisect:$last"; then
		[ -n "$BISECT_LAST_OK" ] ||
			{ MATRIX_MSG="the bisect build of the last patch failed (gate:bisect:$last)"; return 1; }
		BUILT="vmlinux modules ($BISECT_TIME in gate:bisect:$last)"
	else
		guest_build "$ROW_LOG" || { MATRIX_MSG=$BUILD_MSG; return 1; }
		MATRIX_MSG=$BUILD_MSG
		BUILT="vmlinux modules"
		seed_rows bisect@last "$BISECT_OUT"
	fi
	ROW_VMLINUX=1
	# shellcheck disable=SC2046 # a list
	bad=$(config_expect "$BISECT_OUT" $(cell "$name" expect))
	[ -z "$bad" ] || { MATRIX_MSG="the configuration is not the intended one: $bad"; return 1; }
}

# matrix_row NAME: gate:build:NAME.
matrix_row() {
	local name=$1 start rc=0 out what other c fn arg
	selected "build:$name" || return 0
	if [ -z "$AM_OK" ]; then
		result FAIL "gate:build:$name" "$NOT_APPLIED (0 s)"
		return 0
	fi
	start=$(clock)
	arch_load "${MATRIX[$name.arch]}"
	what=$(row_what "$name")
	MATRIX_MSG=''
	CHECK_MSG=''
	BUILT=''
	ROW_VMLINUX=''
	ROW_LOG=$LOGS/build-$name.log
	if [ "${MATRIX[$name.build]}" = bisect ]; then
		out=$BISECT_OUT
		matrix_bisect "$name" || rc=1
	else
		out=$G/build/$name
		matrix_build "$name" || rc=1
	fi
	other=$MATRIX_MSG
	if [ "$rc" = 0 ]; then
		for c in $(cell "$name" checks); do
			fn=${c%%=*}
			arg=
			[ "$fn" = "$c" ] || arg=${c#*=}
			"check_${fn//-/_}" "$out" "$arg" || { rc=1; break; }
		done
	fi
	if [ "$rc" = 0 ]; then
		gate PASS "build:$name" "$start" "$what, $(cell "$name" expect): $BUILT$CHECK_MSG${other:+; $other}"
		seed_rows "$name" "$out"
	else
		gate FAIL "build:$name" "$start" "$what: $MATRIX_MSG"
	fi
}

# ---------------------------------------------------------------------------
# The series

# finish: the end of the run, its summary when run on its own.
finish() {
	info "gates done in $(took "$START_CLOCK")"
	[ -n "${FPW_IN_RUN:-}" ] || { results_summary; exit; }
	exit $((RESULTS_FAILED > 0))
}

# A series file that cannot be read leaves nothing to apply.
if ! names=$(series_names "$SERIES" 2>"$LOGS/series.log"); then
	result FAIL gate:am "$(rel_all "$(cat "$LOGS/series.log")")"
	finish
fi
mapfile -t NAMES <<<"$names"
# A patch the series names but the folder lacks fails its own gates, and
# gate:am with this message.
SERIES_MSG=
series_check "$SERIES" "$PATCHES" >/dev/null 2>"$LOGS/series.log" ||
	SERIES_MSG=$(rel_all "$(cat "$LOGS/series.log")")
COUNT=${#NAMES[@]}
declare -A SERIES_PATHS_SET=()
declare -A PATCH_PATHS=()
SERIES_PATHS=()
for p in "${NAMES[@]}"; do
	[ -f "$PATCHES/$p" ] || continue
	PATCH_PATHS[$p]=$(patch_paths "$PATCHES/$p" | tr '\n' ' ')
	for f in ${PATCH_PATHS[$p]}; do
		[ -n "${SERIES_PATHS_SET[$f]:-}" ] && continue
		SERIES_PATHS_SET[$f]=1
		SERIES_PATHS+=("$f")
	done
done
mapfile -t SERIES_OBJECTS < <(kernel_objects "${SERIES_PATHS[@]}")
info "gates of $COUNT patch(es) of $(rel "$SERIES") in $(rel "$PATCHES")"

matrix_load

# ---------------------------------------------------------------------------
# Tools

# The packages of any kernel build, the gates' own tools and the cross
# compilers of the matrix's architectures.
GATE_PKGS=(flock:util-linux quilt:quilt sparse:sparse
	/usr/bin/python3:python3 /usr/lib/python3/dist-packages/ply:python3-ply
	/usr/lib/python3/dist-packages/git:python3-git)
for name in "${MATRIX_LIST[@]}"; do
	arch_load "${MATRIX[$name.arch]}"
	[ -z "$ARCH_CROSS" ] || GATE_PKGS+=("${ARCH_CROSS}gcc:$ARCH_CC_PKG")
done
selected clang && GATE_PKGS+=("${KBUILD_LLVM_PKGS[@]}")
if ! (need_pkgs "${KBUILD_PKGS[@]}" "${GATE_PKGS[@]}"); then
	result FAIL gate:tools "could not install the Debian packages the gates need (log: $(rel "$WORK")/apt.log)"
fi

# ---------------------------------------------------------------------------
# The worktree, at base

TREE_OK=
TREE_MSG=
BASE=
if ! BASE=$(git -C "$REPO" rev-parse -q --verify 'base^{commit}' 2>/dev/null); then
	TREE_MSG="$(rel "$REPO") has no base tag: run ./apply.sh"
elif kbuild_worktree "$REPO" "$TREE" base 2>"$LOGS/worktree.log"; then
	TREE_OK=1
else
	TREE_MSG=$(rel_all "$(grep -v '^== ' "$LOGS/worktree.log" | head -n 1)")
fi
grep '^== ' "$LOGS/worktree.log" >&2
[ -z "$TREE_OK" ] || info "worktree $(rel "$TREE") at base ${BASE:0:12}"

# ---------------------------------------------------------------------------
# gate:mail:PATCH

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
	local p=$1 n=$2 f=$PATCHES/$1 start from subject body sob=() s author lines bad=()
	local re_num re_one re_sys summary prefix="PATCH v$SERIES_VERSION"
	start=$(clock)
	from=$(mail_header "$f" From)
	subject=$(mail_header "$f" Subject)
	body=$(awk 'NR == 1 && /^From / { next } !b { if ($0 == "") b = 1; next } $0 == "---" { exit } { print }' "$f")
	[ -n "$from" ] || bad+=("no From:")
	re_num="^\\[$prefix ([0-9]+)/([0-9]+)\\] (.*)\$"
	re_one="^\\[$prefix\\] (.*)\$"
	re_sys='^[A-Za-z0-9_][A-Za-z0-9_./+-]*(, ?[A-Za-z0-9_][A-Za-z0-9_./+-]*)*: [^ ].*$'
	summary=
	if [ -z "$subject" ]; then
		bad+=("no Subject:")
	elif [[ $subject =~ $re_num ]]; then
		summary=${BASH_REMATCH[3]}
		[ "${BASH_REMATCH[1]}" -eq "$n" ] && [ "${BASH_REMATCH[2]}" -eq "$COUNT" ] ||
			bad+=("Subject: numbered ${BASH_REMATCH[1]}/${BASH_REMATCH[2]} but it is $n/$COUNT of the series")
	elif [ "$COUNT" -eq 1 ] && [[ $subject =~ $re_one ]]; then
		summary=${BASH_REMATCH[1]}
	else
		bad+=("Subject: not \"[$prefix $n/$COUNT] subsystem: summary\": $subject")
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
		gate PASS "mail:$p" "$start" "From: $from; Signed-off-by: the author; [$prefix $n/$COUNT] ${summary%%:*}:; $lines-line body"
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

# checkpatch_gate PATCH: checkpatch_run (selftests/lib/checkpatch.sh).
checkpatch_gate() {
	local p=$1 start log=$LOGS/checkpatch-$1.log
	start=$(clock)
	if checkpatch_run "$TREE" "$EXCEPTIONS" "$p" "$PATCHES/$p" "$log"; then
		gate PASS "checkpatch:$p" "$start" "$CP_MSG"
	else
		case $CP_STATE in
		nosummary) CP_MSG+=": $(last_error "$log")" ;;
		esac
		[ "$CP_STATE" = noreason ] || CP_MSG+=" (log: $(rel "$log"))"
		gate FAIL "checkpatch:$p" "$start" "$CP_MSG"
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
# sparse and W=1 of base take the bisect build folder at base (W=1 changes
# only the flags of the objects it compiles, which every build compiles
# again anyway); they depend only on base, the guest config and the tools,
# so they are kept in base-ref/.

# The guest build of gate:bisect, sparse and W=1.
BISECT_OUT=$G/build/bisect
# W=1 had a folder of its own.
rm -rf "$G/build/w1"

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

# keep_reference REF LOG WHAT FN: unless REF is complete (REF/done), run
# FN TMP LOG, which writes the warnings of base into folder TMP and its
# output into LOG, and keep TMP as REF (the tree is at base).
keep_reference() {
	local ref=$1 log=$2 what=$3 fn=$4 tmp=$1.tmp
	[ -f "$ref/done" ] && return 0
	info "$what warnings of base (once per base and toolchain)"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	: >"$log"
	"$fn" "$tmp" "$log" || return 1
	touch "$tmp/done"
	rm -rf "$ref"
	mv "$tmp" "$ref"
}

# base_warnings TMP LOG: sparse and W=1 of base, for keep_reference.
# shellcheck disable=SC2317 # called through keep_reference
base_warnings() {
	configure "$BISECT_OUT" x86_64 "" allnoconfig "$GUEST_CONFIG" >>"$2" 2>&1 &&
		"${MK[@]}" prepare >>"$2" 2>&1 &&
		sparse_run "$BISECT_OUT" "${BASE_OBJECTS[@]}" >"$1/sparse" &&
		"${MK[@]}" W=1 prepare >>"$2" 2>&1 &&
		w1_run "$BISECT_OUT" "${BASE_OBJECTS[@]}" >"$1/w1"
}

BASE_REF_OK=
: >"$LOGS/sparse-raw.log"
: >"$LOGS/w1-raw.log"
if [ -n "$TREE_OK" ] && { selected sparse || selected W=1; }; then
	base_start=$(clock)
	keep_reference "$BASE_REF" "$LOGS/base-ref.log" "sparse and W=1" base_warnings && BASE_REF_OK=1
	BASE_REF_TIME=$(took "$base_start")
fi

# The clang build of gate:clang, and its warnings of base, kept in
# base-ref-clang/ as those of gcc are in base-ref/.
CLANG_OUT=$G/build/clang
CLANG_REF=
CLANG_REF_OK=
if [ -n "$TREE_OK" ] && selected clang; then
	CLANG_REF=$G/base-ref-clang/$({
		echo "v1 $BASE ${BASE_OBJECTS[*]}"
		cat "$GUEST_CONFIG"
		clang --version 2>&1 | head -n 1
		ld.lld --version 2>&1 | head -n 1
	} | sha1sum | cut -c1-16)
fi

# clang_warnings TMP LOG: clang W=1 of base, for keep_reference.
# shellcheck disable=SC2317 # called through keep_reference
clang_warnings() {
	configure "$CLANG_OUT" x86_64 "" allnoconfig "$GUEST_CONFIG" llvm >>"$2" 2>&1 &&
		"${MK[@]}" W=1 prepare >>"$2" 2>&1 &&
		w1_run "$CLANG_OUT" "${BASE_OBJECTS[@]}" >"$1/w1"
}

if [ -n "$CLANG_REF" ]; then
	clang_start=$(clock)
	keep_reference "$CLANG_REF" "$LOGS/base-ref-clang.log" "clang W=1" clang_warnings && CLANG_REF_OK=1
	CLANG_REF_TIME=$(took "$clang_start")
fi

# ---------------------------------------------------------------------------
# gate:am

COMMITS=()
AM_OK=
if [ -n "$TREE_OK" ]; then
	start=$(clock)
	am_msg=$SERIES_MSG
	for p in "${NAMES[@]}"; do
		[ -z "$am_msg" ] || break
		if ! series_git "$TREE" am -q --keep-cr "$PATCHES/$p" >"$LOGS/am.log" 2>&1; then
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
	local start dir=$G/quilt log=$LOGS/quilt.log files=() f diffs=()
	start=$(clock)
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

BISECT_LAST_OK=
BISECT_TIME=

# guest_build LOG: configure and build the guest in BISECT_OUT at the tree's
# commit; BUILD_MSG as kbuild's, or what went wrong.
guest_build() {
	local log=$1 missing
	: >"$log"
	if ! configure "$BISECT_OUT" x86_64 "" allnoconfig "$GUEST_CONFIG" >>"$log" 2>&1; then
		BUILD_MSG="allnoconfig + guest.config failed: $(last_error "$log")"
		return 1
	fi
	missing=$(kbuild_lost "$TREE" "$BISECT_OUT" "$GUEST_CONFIG" x86 2>>"$log")
	if [ -n "$missing" ]; then
		BUILD_MSG="guest.config lines not in the .config: $missing"
		return 1
	fi
	kbuild "$BISECT_OUT" "$log" vmlinux modules
}

bisect_gate() {
	local i=$1 p=${NAMES[$1]} start log=$LOGS/bisect-${NAMES[$1]}.log mine=() o built=() off=() what
	start=$(clock)
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
	for i in "${!NAMES[@]}"; do
		selected "bisect:${NAMES[i]}" || continue
		start=$(clock)
		ok=
		bisect_gate "$i" && ok=1
		if [ $((i + 1)) -eq "$COUNT" ]; then
			BISECT_LAST_OK=$ok
			BISECT_TIME=$(took "$start")
		fi
		[ -z "$ok" ] || seed_rows "bisect@$((i + 1))" "$BISECT_OUT"
		[ -z "$ok" ] || [ $((i + 1)) -ne "$COUNT" ] || seed_rows bisect@last "$BISECT_OUT"
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
	start=$(clock)
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
				"C=2 ${SERIES_OBJECTS[*]} (base: ${BASE_OBJECTS[*]:-none}${BASE_REF_TIME:+, $BASE_REF_TIME})"
		else
			gate FAIL sparse "$start" "configuring the guest failed: $(last_error "$log")"
		fi
	fi
fi

if selected W=1; then
	start=$(clock)
	if [ -z "$AM_OK" ]; then
		result FAIL gate:W=1 "$NOT_APPLIED (0 s)"
	elif [ -z "$BASE_REF_OK" ]; then
		gate FAIL W=1 "$start" "W=1 of base failed: $(last_error "$LOGS/base-ref.log") (log: $(rel "$LOGS")/base-ref.log)"
	else
		log=$LOGS/w1.log
		: >"$log"
		if configure "$BISECT_OUT" x86_64 "" allnoconfig "$GUEST_CONFIG" >>"$log" 2>&1 &&
			"${MK[@]}" W=1 prepare >>"$log" 2>&1; then
			w1_run "$BISECT_OUT" "${SERIES_OBJECTS[@]}" >"$G/w1.head"
			compare_gate W=1 "$start" W=1 "$G/w1.head" "$BASE_REF/w1" "${SERIES_OBJECTS[*]}"
		else
			gate FAIL W=1 "$start" "configuring the guest failed: $(last_error "$log")"
		fi
	fi
fi

# ---------------------------------------------------------------------------
# gate:clang

if selected clang; then
	start=$(clock)
	if [ -z "$AM_OK" ]; then
		result FAIL gate:clang "$NOT_APPLIED (0 s)"
	elif [ -z "$CLANG_REF_OK" ]; then
		gate FAIL clang "$start" "clang W=1 of base failed: $(last_error "$LOGS/base-ref-clang.log") (log: $(rel "$LOGS")/base-ref-clang.log)"
	else
		log=$LOGS/clang.log
		: >"$log"
		if configure "$CLANG_OUT" x86_64 "" allnoconfig "$GUEST_CONFIG" llvm >>"$log" 2>&1 &&
			"${MK[@]}" W=1 prepare >>"$log" 2>&1; then
			w1_run "$CLANG_OUT" "${SERIES_OBJECTS[@]}" >"$G/clang.head"
			unbuilt=()
			for o in "${SERIES_OBJECTS[@]}"; do
				[ -f "$CLANG_OUT/$o" ] || unbuilt+=("$o")
			done
			if [ ${#unbuilt[@]} -gt 0 ]; then
				gate FAIL clang "$start" "clang did not build ${unbuilt[*]}: $(first_line "$(cut -f2 "$G/clang.head")") (log: $(rel "$LOGS")/w1-raw.log)"
			else
				compare_gate clang "$start" "clang W=1" "$G/clang.head" "$CLANG_REF/w1" \
					"$(clang --version | head -n 1), LLVM=1 ${SERIES_OBJECTS[*]}${CLANG_REF_TIME:+ (base: $CLANG_REF_TIME)}"
			fi
		else
			gate FAIL clang "$start" "configuring the guest with LLVM=1 failed: $(last_error "$log")"
		fi
	fi
fi

# ---------------------------------------------------------------------------
# gate:kernel-doc

if selected kernel-doc; then
	start=$(clock)
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
# gate:build:NAME, in the order of selftests/gates-matrix.tsv

for name in "${MATRIX_LIST[@]}"; do
	matrix_row "$name"
done

finish
