#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or bring up to date) the kvm-pfec kernel in the cache:
#
#   $KVM_PFEC_CACHE/linux-<debian version>/   a git tree:
#       tag "pristine"   Debian's linux-source-<base>, unmodified
#       HEAD             pristine + kernel/<base>/patches/*.patch, one commit each
#
# for the base that KVM_PFEC_KERNEL (make's KERNEL=) picks: 6.12 or 7.3.
#
# The series is turned into commits without touching the work tree, and the
# tree then moves to them with a checkout, which rewrites only the files whose
# contents differ.  So a changed patch rebuilds only what it touches, and an
# unchanged series with an unchanged config is a no-op.
#
# Usage: scripts/kernel.sh [--print-dir | --apply]
set -euo pipefail
STAGE=kernel
. "$(dirname "$0")/lib.sh"
need_setup

KDIR=$(kernel_dir)
if [ "${1:-}" = --print-dir ]; then
	echo "$KDIR"
	exit 0
fi

mapfile -t PATCHES < <(series_patches)
# The KVM selftests' own fragment first, from the tree itself (merged, not
# copied), then ours, which may only add to it.
FRAGMENTS=("$KDIR/tools/testing/selftests/kvm/config" "$KERNEL_SRC"/*.config)
if [ -n "$KVM_PFEC_VARIANT" ]; then
	[ -f "$KVM_PFEC_TOP/kernel/variants/$KVM_PFEC_VARIANT.config" ] ||
		die "no kernel variant '$KVM_PFEC_VARIANT' (kernel/variants/$KVM_PFEC_VARIANT.config)"
	FRAGMENTS+=("$KVM_PFEC_TOP/kernel/variants/$KVM_PFEC_VARIANT.config")
fi
LOGDIR=$(log_dir)
mkdir -p "$LOGDIR"

# Commits in the cache tree are ours; fixed identities and dates make the
# same series give the same commit ids every time.
export GIT_COMMITTER_NAME=kvm-pfec GIT_COMMITTER_EMAIL=kvm-pfec@localhost
export GIT_COMMITTER_DATE='2000-01-01T00:00:00Z'
git_k() { git -C "$KDIR" "$@"; }

unpack() {
	local tmp=$KDIR.unpacking
	say "unpacking $(kernel_tarball) into $KDIR (about 1.5 minutes, once)"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xf "$(kernel_tarball)" -C "$tmp" --strip-components=1
	say "recording the pristine tree in git"
	git -C "$tmp" init -q
	git -C "$tmp" config core.autocrlf false
	git -C "$tmp" config gc.auto 0
	# Debian's top-level .gitignore ignores "/*": force.
	git -C "$tmp" add -A -f
	GIT_AUTHOR_NAME=debian GIT_AUTHOR_EMAIL=debian@localhost \
		GIT_AUTHOR_DATE=$GIT_COMMITTER_DATE \
		git -C "$tmp" commit -q -m "linux-source-$KVM_PFEC_KERNEL $(kernel_version), pristine"
	git -C "$tmp" tag pristine
	mv "$tmp" "$KDIR"
}

# Turn kernel/<base>/patches/*.patch into commits on top of "pristine", using a
# private index so that the work tree is not touched.  Prints the last commit.
series_commit() {
	local idx tmp p head=pristine tree
	tmp=$(mktemp -d)
	idx=$tmp/index
	GIT_INDEX_FILE=$idx git_k read-tree pristine
	for p in "${PATCHES[@]}"; do
		git_k mailinfo "$tmp/msg" "$tmp/diff" <"$p" >"$tmp/info" ||
			die "$(basename "$p"): not a patch in mbox format"
		GIT_INDEX_FILE=$idx git_k apply --cached "$tmp/diff" ||
			die "$(basename "$p") does not apply to linux-source $(kernel_version) plus the patches before it"
		tree=$(GIT_INDEX_FILE=$idx git_k write-tree)
		head=$(
			export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_AUTHOR_DATE
			GIT_AUTHOR_NAME=$(sed -n 's/^Author: //p' "$tmp/info")
			GIT_AUTHOR_EMAIL=$(sed -n 's/^Email: //p' "$tmp/info")
			GIT_AUTHOR_DATE=$(sed -n 's/^Date: //p' "$tmp/info")
			{ sed -n 's/^Subject: //p' "$tmp/info"; echo; cat "$tmp/msg"; } |
				git_k commit-tree "$tree" -p "$head"
		)
	done
	rm -rf "$tmp"
	git_k rev-parse "$head^{commit}"
}

apply_series() {
	local want
	want=$(series_commit)
	if [ "$(git_k rev-parse HEAD)" != "$want" ]; then
		say "moving the tree to the patch series (${#PATCHES[@]} patches)"
		git_k diff --quiet HEAD -- ||
			die "the cache tree $KDIR has local edits; commit them as a patch in kernel/$KVM_PFEC_KERNEL/patches/ or run 'git -C $KDIR checkout -f HEAD'"
		git_k checkout -q --detach "$want"
	fi
	say "series: ${#PATCHES[@]} patches, HEAD $(git_k rev-parse --short HEAD)"
}

configure() {
	local stamp=$KDIR/.kvm-pfec-config.stamp want sym line
	want=$(cat "${FRAGMENTS[@]}" | sha256sum | cut -c1-16)-$VIRTME_NG_VERSION
	if [ -f "$KDIR/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		return
	fi
	say "configuring: virtme-ng base + tools/testing/selftests/kvm/config + $(printf '%s ' "${FRAGMENTS[@]:1}")"
	rm -f "$stamp"
	(cd "$KDIR" && PATH=$VENV/bin:$PATH vng --kconfig) >"$LOGDIR/kconfig.log" 2>&1 ||
		die "vng --kconfig failed; see $LOGDIR/kconfig.log"
	(cd "$KDIR" && scripts/kconfig/merge_config.sh -m .config "${FRAGMENTS[@]}") >"$LOGDIR/merge_config.log" 2>&1 ||
		die "merge_config.sh failed; see $LOGDIR/merge_config.log"
	make -C "$KDIR" -s "${KMAKE_VARS[@]}" olddefconfig >>"$LOGDIR/merge_config.log" 2>&1 ||
		die "make olddefconfig failed; see $LOGDIR/merge_config.log"
	# Every symbol our fragments set must have survived olddefconfig.
	local bad=()
	while IFS= read -r line; do
		case $line in
		CONFIG_*=n) sym=${line%%=*}; ! grep -q "^$sym=" "$KDIR/.config" || bad+=("$line (got: $(grep "^$sym=" "$KDIR/.config"))") ;;
		CONFIG_*=*) sym=${line%%=*}; grep -qx "$line" "$KDIR/.config" || bad+=("$line (got: $(grep -E "^(# )?$sym[= ]" "$KDIR/.config" || echo unset))") ;;
		"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; ! grep -q "^$sym=" "$KDIR/.config" || bad+=("$line (got: $(grep "^$sym=" "$KDIR/.config"))") ;;
		esac
	done < <(cat "${FRAGMENTS[@]}")
	if [ ${#bad[@]} -gt 0 ]; then
		printf '  %s\n' "${bad[@]}" >&2
		die "required config symbols did not stick after olddefconfig (a missing dependency?)"
	fi
	echo "$want" >"$stamp"
}

build() {
	local stamp=$KDIR/.kvm-pfec-build.stamp want
	want="$(git_k rev-parse HEAD) $(sha256sum "$KDIR/.config" | cut -c1-16)"
	if [ -f "$KDIR/arch/x86/boot/bzImage" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] &&
		git_k diff --quiet HEAD --; then
		say "kernel up to date ($KDIR/arch/x86/boot/bzImage)"
		return
	fi
	make -C "$KDIR" -s "${KMAKE_VARS[@]}" rustavailable >/dev/null 2>"$LOGDIR/rustavailable.log" ||
		die "Rust is not available to the kernel build; see $LOGDIR/rustavailable.log"
	rm -f "$stamp"
	local t0=$SECONDS
	run_logged "$LOGDIR/build.log" "make -j$(nproc) (cold: about 15 minutes on 2 cores, longer for debug)" \
		make -C "$KDIR" "${KMAKE_VARS[@]}" -j"$(nproc)"
	# A build of local edits is not the commit's: no stamp, so that the
	# next build after the edits are gone runs make again.
	! git_k diff --quiet HEAD -- || echo "$want" >"$stamp"
	say "kernel built in $((SECONDS - t0)) s"
}

[ -d "$KDIR/.git" ] || unpack
apply_series
# --apply: the tree at the series, not configured or built (make series).
[ "${1:-}" = --apply ] && exit 0
configure
build
