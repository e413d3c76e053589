# SPDX-License-Identifier: GPL-2.0
#
# Shared settings and helpers for the kvm-pfec scripts.  Source it; do not run it.
#
# Everything that is pinned lives here, in one place.

# Toolchain pins (see Documentation/building.rst).  The kernel tree and every
# module built against it must use the very same rustc, so the Debian rustc-web
# packages are pinned and held.
RUSTC_WEB_VERSION=1.85.0+dfsg3-1~deb12u3
VIRTME_NG_VERSION=1.42
# make mutants' mutation tester, from crates.io.
CARGO_MUTANTS_VERSION=25.0.1
LLVM_SUFFIX=-19

KVM_PFEC_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KVM_PFEC_CACHE=${KVM_PFEC_CACHE:-$HOME/.cache/kvm-pfec}

# The kernel bases, each with its series and config in kernel/<base>/:
#   6.12  Debian's linux-source-6.12 (bookworm), installed by apt;
#   7.3   Debian's linux-source-7.3 (trixie-backports), fetched by
#         scripts/setup.sh into the cache without adding trixie to apt's
#         sources, at the version pinned here.
# KVM_PFEC_KERNEL picks one (the Makefile's KERNEL=); the default is 7.3.
KVM_PFEC_KERNELS=(6.12 7.3)
KVM_PFEC_KERNEL=${KVM_PFEC_KERNEL:-7.3}
LINUX_73_VERSION=7.3.4-1~bpo13+1
# Each base's bindgen: the one its scripts/min-tool-version.sh accepts.
declare -A BINDGEN_VERSIONS=([6.12]=0.70.1 [7.3]=0.71.1)
case $KVM_PFEC_KERNEL in
6.12 | 7.3) ;;
*)
	echo "kvm-pfec: KERNEL must be one of ${KVM_PFEC_KERNELS[*]}, not '$KVM_PFEC_KERNEL'" >&2
	exit 1
	;;
esac
BINDGEN_VERSION=${BINDGEN_VERSIONS[$KVM_PFEC_KERNEL]}
KERNEL_SRC=$KVM_PFEC_TOP/kernel/$KVM_PFEC_KERNEL
# A kernel variant (kernel/variants/<name>.config, e.g. "debug"), built in a
# tree of its own; empty for the main kernel.
KVM_PFEC_VARIANT=${KVM_PFEC_VARIANT:-}
TOOLS_DIR=$KVM_PFEC_CACHE/tools
# bindgen_path VERSION: where setup.sh installs that bindgen-cli.  0.70.1
# keeps the directory it had before 7.3 came, so existing caches stay valid.
bindgen_path() {
	if [ "$1" = 0.70.1 ]; then
		echo "$TOOLS_DIR/bindgen/bin/bindgen"
	else
		echo "$TOOLS_DIR/bindgen-$1/bin/bindgen"
	fi
}
BINDGEN=$(bindgen_path "$BINDGEN_VERSION")
VENV=$TOOLS_DIR/venv
CARGO_MUTANTS=$TOOLS_DIR/cargo-mutants/bin/cargo-mutants

# The variables every kernel and module make call needs: the five that
# select the toolchain, and clippy's driver of the same version for CLIPPY=1.
KMAKE_VARS=(LLVM="$LLVM_SUFFIX" RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc
	    RUSTDOC=/usr/bin/rustdoc BINDGEN="$BINDGEN"
	    CLIPPY_DRIVER=/usr/bin/clippy-driver)

# kernel_version [BASE]: the Debian version of a base's linux-source
# (default: KVM_PFEC_KERNEL's); fails when it is not installed or fetched.
kernel_version() {
	case ${1:-$KVM_PFEC_KERNEL} in
	6.12) dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ;;
	7.3) [ -f "$(kernel_tarball 7.3)" ] && echo "$LINUX_73_VERSION" ;;
	esac
}

# kernel_tarball [BASE]: the source tarball that linux-source-<BASE> ships.
kernel_tarball() {
	case ${1:-$KVM_PFEC_KERNEL} in
	6.12) echo /usr/src/linux-source-6.12.tar.xz ;;
	7.3) echo "$KVM_PFEC_CACHE/src/linux-source-7.3_$LINUX_73_VERSION/usr/src/linux-source-7.3.tar.xz" ;;
	esac
}

kernel_dir() {
	local v
	v=$(kernel_version) || return 1
	[ -n "$v" ] || return 1
	echo "$KVM_PFEC_CACHE/linux-$v${KVM_PFEC_VARIANT:+-$KVM_PFEC_VARIANT}"
}

# series_patches: the base's patch series, one path a line, in order, less
# its cover letter (0000-cover-letter.patch), which has no diff.
# trixie_backports_download DIR PKG=VERSION...: download the packages from
# trixie-backports into DIR and unpack them into DIR/root, with a private
# sources list and lists directory: apt's own sources stay bookworm's, and
# nothing is installed.  apt checks each package against the archive's
# signed Release file, as for any download.
trixie_backports_download() {
	local dir=$1 mirror deb
	shift
	mkdir -p "$dir/lists/partial" "$dir/root"
	mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
	echo "deb ${mirror:-http://deb.debian.org/debian} trixie-backports main" >"$dir/sources.list"
	local apt_private=(-o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts=/nonexistent
		-o Dir::State::Lists="$dir/lists" -o APT::Sandbox::User=root)
	apt-get "${apt_private[@]}" update -qq || die "apt-get update of trixie-backports failed"
	(cd "$dir" && apt-get "${apt_private[@]}" download -qq "$@") ||
		die "apt-get download $* from trixie-backports failed"
	for deb in "$dir"/*.deb; do
		dpkg -x "$deb" "$dir/root"
	done
}

series_patches() {
	local p
	for p in "$KERNEL_SRC"/patches/*.patch; do
		[ -e "$p" ] && [ "${p##*/}" != 0000-cover-letter.patch ] && echo "$p"
	done
	return 0
}

# Where the kernel build's logs go, one directory per tree.  (6.12's main
# tree keeps the directory it had before 7.3 came.)
log_dir() {
	if [ "$KVM_PFEC_KERNEL" = 6.12 ]; then
		echo "$KVM_PFEC_CACHE/logs${KVM_PFEC_VARIANT:+-$KVM_PFEC_VARIANT}"
	else
		echo "$KVM_PFEC_CACHE/logs-$KVM_PFEC_KERNEL${KVM_PFEC_VARIANT:+-$KVM_PFEC_VARIANT}"
	fi
}

# Where kvm_pfec.ko is built: in the repository for 6.12's main kernel, in
# a copy inside the kernel's tree otherwise, so that builds never mix.
module_dir() {
	if [ -z "$KVM_PFEC_VARIANT" ] && [ "$KVM_PFEC_KERNEL" = 6.12 ]; then
		echo "$KVM_PFEC_TOP"
	else
		echo "$(kernel_dir)/kvm-pfec-module"
	fi
}

_t0=$(date +%s)

elapsed() {
	local s=$(($(date +%s) - _t0))
	printf '%d:%02d' $((s / 60)) $((s % 60))
}

# Progress and errors go to stderr, so that stdout stays the program's output.
say() {
	printf '[%s %6s] %s\n' "${STAGE:-kvm-pfec}" "$(elapsed)" "$*" >&2
}

die() {
	printf '[%s %6s] error: %s\n' "${STAGE:-kvm-pfec}" "$(elapsed)" "$*" >&2
	exit 1
}

# run_logged LOG DESCRIPTION CMD...: run a long command with its output in LOG,
# printing a progress line every 30 seconds instead of a wall of compiler lines.
# On failure, print the end of the log and fail.
run_logged() {
	local log=$1 what=$2 pid rc last now n
	shift 2
	say "$what (log: $log)"
	"$@" >"$log" 2>&1 &
	pid=$!
	last=$(date +%s)
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		now=$(date +%s)
		if [ $((now - last)) -ge 30 ]; then
			# Kbuild's quiet lines ("  CC      mm/slub.o") count objects.
			n=$(grep -c -E '^ +(CC|RUSTC|LD|AS|AR) ' "$log" 2>/dev/null) || true
			say "$what: running, ${n:-0} objects built"
			last=$now
		fi
	done
	wait "$pid" && rc=0 || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$log" >&2
		die "$what failed (exit $rc); full log: $log"
	fi
}

need_setup() {
	[ -x /usr/bin/rustc ] && [ -x /usr/bin/clippy-driver ] && [ -x "$BINDGEN" ] && [ -x "$VENV/bin/vng" ] &&
		[ -n "$(kernel_version)" ] ||
		die "toolchain missing: run 'make setup' (scripts/setup.sh) first"
}

# explain_death CONSOLE_LOG: if the guest kernel's console shows that it
# died (an oops, BUG or panic), print the report: from the first splat line
# (or its "cut here" line) to the end of the panic, call traces included,
# at most 80 lines.  Fails when the log shows no death.
explain_death() {
	local log=$1 first
	[ -f "$log" ] || return 1
	grep -q -E 'Kernel panic - not syncing|Oops: |kernel BUG at' "$log" || return 1
	first=$(grep -n -m1 -E -- '-+\[ cut here \]-+|Oops: |BUG: |kernel BUG at|general protection fault|WARNING: CPU: |WARNING: [^ ]+ at .*, CPU#|Kernel panic - not syncing' "$log" |
		cut -d: -f1)
	echo "== the guest kernel died; from its console ($log):"
	sed -n "${first},\$p" "$log" |
		sed -n '1,/end Kernel panic/p' | head -n 80 | sed 's/^/  /'
}

# vm_died RESULTS_DIR: whether the VM of a guest run died: its guest.tap
# lacks the closing plan line that the guest scripts write last, or its
# console shows an oops or panic.
vm_died() {
	! grep -q -E '^1\.\.[0-9]+$' "$1/guest.tap" 2>/dev/null ||
		explain_death "$1/console.log" >/dev/null
}

# last_running RESULTS_DIR: the test that the guest was running last, from
# the marker the guest scripts keep in RESULTS_DIR/running; inside the
# kselftest run, the last test run_kselftest.sh started.
last_running() {
	local r
	r=$(cat "$1/running" 2>/dev/null) || return 0
	if [ "$r" = kselftests ]; then
		r=$(grep '^# selftests: ' "$1/kselftest.tap" 2>/dev/null | tail -n 1)
		r="selftest ${r#\# selftests: }"
	fi
	echo "$r"
}

# fetch_stock_kernel: Debian's own build of the base's kernel into the
# cache, once; sets stock (its root), kver (its release), modroot (where
# its lib/modules is) and img (the image's path under stock).
fetch_stock_kernel() {
	local v
	# Debian's build of the very source we patch, at the same version:
	# linux-source-6.12 V has linux-image-<upstream>+deb12-amd64-unsigned
	# V in bookworm; linux-source-7.3 V has linux-binary- and
	# linux-modules-<upstream>+deb13-amd64 V in trixie-backports.
	v=$(kernel_version)
	stock=$KVM_PFEC_CACHE/stock-$v
	# Where the image and the modules are: bookworm's packages use /boot
	# and /lib/modules, trixie's (merged /usr) /usr/lib/modules for both.
	case $KVM_PFEC_KERNEL in
	6.12) kver=${v%%-*}+deb12-amd64 modroot=$stock img=boot/vmlinuz-$kver ;;
	*) kver=${v%%-*}+deb13-amd64 modroot=$stock/usr img=usr/lib/modules/$kver/vmlinuz ;;
	esac
	if [ ! -f "$stock/$img" ]; then
		say "fetching Debian's build of Linux $kver, $v"
		rm -rf "$stock.tmp"
		case $KVM_PFEC_KERNEL in
		6.12)
			mkdir -p "$stock.tmp"
			(cd "$stock.tmp" && apt-get download -q "linux-image-$kver-unsigned=$v" >/dev/null 2>&1) ||
				die "apt-get download linux-image-$kver-unsigned=$v failed"
			dpkg -x "$stock.tmp"/*.deb "$stock.tmp/root"
			;;
		*)
			trixie_backports_download "$stock.tmp" "linux-binary-$kver=$v" "linux-modules-$kver=$v"
			;;
		esac
		[ -f "$stock.tmp/root/$img" ] || die "Debian's $v packages have no $img"
		depmod -b "$stock.tmp/root${modroot#"$stock"}" "$kver"
		mv "$stock.tmp/root" "$stock"
		rm -rf "$stock.tmp"
	fi
}

# start_hogs N, stop_hogs: N busy loops on the host, competing with the VM
# for the cores (make check-soak, make repro-int3).  Callers trap stop_hogs
# on EXIT.
hogs=()
start_hogs() {
	local i
	for ((i = 0; i < $1; i++)); do
		(while :; do :; done) &
		hogs+=($!)
	done
}

stop_hogs() {
	[ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null || true
	hogs=()
}
