#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything kvm-pfec needs on a Debian 12 (bookworm) x86_64 machine.
# Idempotent: a second run checks, finds nothing to do, and returns in seconds.
#
# Debian packages (root: apt-get); linux-source-7.3 from trixie-backports
# into $KVM_PFEC_CACHE/src; bindgen-cli (one per kernel base) and
# cargo-mutants from crates.io and virtme-ng from PyPI, the last three into
# $KVM_PFEC_CACHE/tools.
set -euo pipefail
STAGE=setup
. "$(dirname "$0")/lib.sh"

APT_PKGS=(
	linux-source-6.12
	clang-19 lld-19 llvm-19 libclang-19-dev
	make gcc libc6-dev flex bison bc libelf-dev libssl-dev dwarves cpio xz-utils git
	python3 python3-venv python3-ply python3-git kmod udev rsync gdb
	uuid-dev
	bochs bochsbios vgabios bochs-term isolinux syslinux-common xorriso busybox-static
)
RUST_PKGS=(rustc-web rust-web-src libstd-rust-web-dev rust-web-clippy)
BACKPORTS_PKGS=(qemu-system-x86)

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

step() {
	STEP=$1
	say "$STEP"
}
trap 'say "error: step \"${STEP:-?}\" failed; see the messages above. Fix the cause and run make setup again (it resumes where it stopped)."' ERR

step "checking the machine"
. /etc/os-release
[ "${ID:-}" = debian ] && [ "${VERSION_ID:-}" = 12 ] ||
	die "kvm-pfec needs Debian 12 (bookworm); this is ${PRETTY_NAME:-unknown}"
[ "$(uname -m)" = x86_64 ] || die "kvm-pfec needs x86_64; this is $(uname -m)"
[ -z "$SUDO" ] || command -v sudo >/dev/null ||
	die "not root and no sudo: run make setup as root"
# Cargo.lock version 4 and bindgen-cli 0.70 need cargo 1.78 or newer, which
# bookworm's own cargo is not.
cargo_minor=$(cargo --version 2>/dev/null | sed -n 's/^cargo 1\.\([0-9]*\).*/\1/p')
[ "${cargo_minor:-0}" -ge 78 ] ||
	die "cargo 1.78 or newer not found (have: $(cargo --version 2>&1)); install one with rustup"

installed() { # PKG [VERSION]
	local v
	# Status "ii" or, once held, "hi"; then the version.
	v=$(dpkg-query -W -f='${db:Status-Abbrev}|${Version}' "$1" 2>/dev/null) || return 1
	case $v in
	[ih]"i "*) [ -z "${2:-}" ] || [ "${v#*|}" = "$2" ] ;;
	*) return 1 ;;
	esac
}

missing=()
for p in "${APT_PKGS[@]}"; do
	installed "$p" || missing+=("$p")
done
# qemu 10 from backports: bookworm's own 7.2 does not do.
qemu_version=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
if ! installed qemu-system-x86 || ! dpkg --compare-versions "$qemu_version" ge 1:10; then
	missing+=(qemu-system-x86)
fi
for p in "${RUST_PKGS[@]}"; do
	installed "$p" "$RUSTC_WEB_VERSION" || missing+=("$p=$RUSTC_WEB_VERSION")
done

if [ ${#missing[@]} -gt 0 ]; then
	step "adding bookworm-backports to the apt sources (for qemu 10)"
	if ! grep -rqsE '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' \
			'Suites: bookworm-backports' 'Components: main' \
			'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
			$SUDO tee /etc/apt/sources.list.d/kvm-pfec-backports.sources >/dev/null
	fi

	step "apt-get update"
	$SUDO apt-get update -qq

	step "installing Debian packages: ${missing[*]}"
	# The rustc-web packages may be held at another version from an earlier run.
	$SUDO apt-mark unhold "${RUST_PKGS[@]}" >/dev/null 2>&1 || true
	base=() bp=()
	for p in "${missing[@]}"; do
		case " ${BACKPORTS_PKGS[*]} " in
		*" $p "*) bp+=("$p") ;;
		*) base+=("$p") ;;
		esac
	done
	export DEBIAN_FRONTEND=noninteractive
	[ ${#base[@]} -eq 0 ] ||
		$SUDO apt-get install -y -qq --no-install-recommends --allow-downgrades "${base[@]}" >/dev/null
	[ ${#bp[@]} -eq 0 ] ||
		$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${bp[@]}" >/dev/null
fi
# Keep apt upgrades from moving rustc away from the version the kernel was built with.
unheld=()
for p in "${RUST_PKGS[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "hi " ] || unheld+=("$p")
done
[ ${#unheld[@]} -eq 0 ] || $SUDO apt-mark hold "${unheld[@]}" >/dev/null

step "checking /usr/bin/rustc"
/usr/bin/rustc --version | grep -q '^rustc 1\.85\.' ||
	die "/usr/bin/rustc is $(/usr/bin/rustc --version); expected 1.85 from rustc-web $RUSTC_WEB_VERSION"

# linux-source-7.3 comes from trixie-backports (trixie_backports_download
# in lib.sh: apt's own sources stay bookworm's, and no trixie package is
# installed).
src73=$(dirname "$(dirname "$(dirname "$(kernel_tarball 7.3)")")")
if [ ! -f "$(kernel_tarball 7.3)" ]; then
	step "fetching linux-source-7.3 $LINUX_73_VERSION from trixie-backports (167 MB, once)"
	tmp=$src73.fetching
	rm -rf "$tmp"
	trixie_backports_download "$tmp" "linux-source-7.3=$LINUX_73_VERSION"
	[ -f "$tmp/root/usr/src/linux-source-7.3.tar.xz" ] ||
		die "linux-source-7.3 $LINUX_73_VERSION has no usr/src/linux-source-7.3.tar.xz"
	rm -rf "$src73"
	mv "$tmp/root" "$src73"
	rm -rf "$tmp"
fi

mkdir -p "$TOOLS_DIR"
# One bindgen-cli per kernel base, each the version its tree asks for.
# (No "cmd | grep -q" here: with pipefail, grep's early exit fails the pipe.)
for v in $(printf '%s\n' "${BINDGEN_VERSIONS[@]}" | sort -u); do
	b=$(bindgen_path "$v")
	if [ "$("$b" --version 2>/dev/null)" != "bindgen $v" ]; then
		step "cargo install bindgen-cli $v (about 2 minutes)"
		LIBCLANG_PATH=/usr/lib/llvm$LLVM_SUFFIX/lib \
			cargo install --quiet --locked --root "$(dirname "$(dirname "$b")")" \
			bindgen-cli --version "$v"
	fi
done

if [ "$("$CARGO_MUTANTS" mutants --version 2>/dev/null)" != "cargo-mutants $CARGO_MUTANTS_VERSION" ]; then
	step "cargo install cargo-mutants $CARGO_MUTANTS_VERSION, for make mutants (about 3 minutes)"
	cargo install --quiet --locked --root "$TOOLS_DIR/cargo-mutants" \
		cargo-mutants --version "$CARGO_MUTANTS_VERSION"
fi

if [ "$("$VENV/bin/vng" --version 2>/dev/null)" != "virtme-ng $VIRTME_NG_VERSION" ]; then
	step "installing virtme-ng $VIRTME_NG_VERSION into $VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/python3" -m pip install --quiet --disable-pip-version-check \
		"virtme-ng==$VIRTME_NG_VERSION"
fi

STEP=done
say "toolchain ready: $(/usr/bin/rustc --version), bindgen ${BINDGEN_VERSIONS[6.12]} and ${BINDGEN_VERSIONS[7.3]}, cargo-mutants $CARGO_MUTANTS_VERSION, virtme-ng $VIRTME_NG_VERSION, linux-source $(kernel_version 6.12) and $(kernel_version 7.3)"
