#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-vmx`: the kvm-pfec kernel on an emulated Intel CPU with VMX
# and EPT, under Bochs (qemu's TCG has no VMX).  kvm_intel runs there, with
# kvm_pfec.ko loaded, under the tests of scripts/vmx.plan.
#
# Usage: scripts/vmx.sh [--results DIR]
#
# Bochs cannot boot a kernel directly: each boot is an isolinux ISO holding
# our bzImage and an initramfs with everything the tests need (busybox, bash
# and the libraries of each program, the modules, the selftests and
# scripts/guest/vmx.sh).  The guest's console goes to DIR/console-<boot>.log
# (com1); the tests' TAP comes back over com2 into DIR/vmx-<boot>.out.
#
# Every test has a wall-clock limit, kept here on the host: under Bochs
# with `clock: sync=none` the guest's clock advances with the instructions
# it runs, so a guest-side timeout cannot be trusted to fire.  A test that
# outruns its limit is reported as hung ("not ok ... # hung"), Bochs is
# killed, and a fresh boot goes on with the next test.
#
# Ends with the tests' TAP lines and "N passed, N failed, N skipped"; the
# TAP is in DIR/vmx.tap (our checks and selftests, kselftest style) and
# DIR/vmx-kunit.ktap.  Exits non-zero when anything failed.
#
# KVM_PFEC_VMX_SET names the plan's sets to run: "check" (the default;
# make check runs it too), "limit" (upstream tests that Bochs cannot run:
# they hang, for want of an exit that Bochs does not make), "bench" (make
# bench; at 1e9 instructions a second, so that with "clock: sync=none" 1 ns
# of guest time comes near an instruction), or several, as "check limit".
# STOCK=1 boots Debian's own build of the base's kernel, with its own KVM
# modules, under the plan's upstream selftests only, of "check limit" by
# default: the baseline that tells a failure of ours from a limit of Bochs.
# KVM_PFEC_VMX_ONLY="name..." runs only those selftests of the plan (the
# platform and module entries still run); KVM_PFEC_VMX_BOOTS="ept shadow"
# picks the boots; KVM_PFEC_VMX_CPU picks Bochs's CPU model (default
# corei7_skylake_x); KVM_PFEC_VMX_APPEND adds to the kernel command line.
#
# On its own (make check-vmx), it writes its outcome and each test's wall
# time to results/check-vmx-<base>.txt, and with STOCK=1 to
# selftests/survey/<base>-stock-vmx.txt.
set -euo pipefail
STAGE=vmx
. "$(dirname "$0")/lib.sh"
. "$KVM_PFEC_TOP/scripts/results.sh"
. "$KVM_PFEC_TOP/scripts/tap.sh"

results=
while [ $# -gt 0 ]; do
	case $1 in
	--results) results=$2; shift 2 ;;
	*) die "unknown argument $1 (usage: scripts/vmx.sh [--results DIR])" ;;
	esac
done
STOCK=${STOCK:-0}
case $STOCK in 0 | 1) ;; *) die "STOCK=$STOCK: 0 (our kernel) or 1 (Debian's)" ;; esac
# The plan's sets to run: the baseline's default is the upstream tests
# that Bochs cannot run as well, to show that Debian's kernel hangs too.
set_=${KVM_PFEC_VMX_SET:-$([ "$STOCK" = 0 ] && echo check || echo "check limit")}
for s in $set_; do
	case $s in check | limit | bench) ;; *) die "KVM_PFEC_VMX_SET=\"$set_\": check, limit or bench, or several" ;; esac
done
standalone=0
if [ -z "$results" ]; then
	standalone=1
	results=$KVM_PFEC_CACHE/results/$(date +%Y%m%d-%H%M%S)-vmx-$KVM_PFEC_KERNEL$([ "$STOCK" = 0 ] || echo -stock)
fi
mkdir -p "$results"

command -v bochs-bin >/dev/null && command -v xorriso >/dev/null &&
	[ -f /usr/lib/ISOLINUX/isolinux.bin ] && [ -x /bin/busybox ] ||
	die "Bochs, xorriso, isolinux or busybox missing: run 'make setup'"

if [ "$standalone" = 1 ]; then
	bash "$KVM_PFEC_TOP/scripts/setup.sh"
	bash "$KVM_PFEC_TOP/scripts/kernel.sh"
	bash "$KVM_PFEC_TOP/scripts/module.sh"
	bash "$KVM_PFEC_TOP/scripts/selftests.sh"
fi
KDIR=$(kernel_dir)
ko=$(module_dir)/rust/kvm_pfec.ko
kselftest=$(bash "$KVM_PFEC_TOP/scripts/selftests.sh" --print-dir)
plan_src=$KVM_PFEC_TOP/scripts/vmx.plan
for f in "$KDIR/arch/x86/boot/bzImage" "$ko" "${ko%/*}/kvm_pfec_test.ko" "${ko%/*}/kvm_pfec_bench.ko" "$kselftest/kvm-pfec/pfec_private_test"; do
	[ -f "$f" ] || die "no $f: build it first (make check builds everything)"
done

work=$KVM_PFEC_CACHE/vmx/$KVM_PFEC_KERNEL$([ "$STOCK" = 0 ] || echo -stock)
mkdir -p "$work"
: >"$work/reports"
kimg=$KDIR/arch/x86/boot/bzImage
if [ "$STOCK" = 1 ]; then
	fetch_stock_kernel
	kimg=$stock/$img
fi

# stock_modules DIR: Debian's KVM modules for kvm_intel, uncompressed into
# DIR, and DIR/order, the order to load them in (busybox's insmod neither
# resolves dependencies nor reads compressed modules).
stock_modules() {
	local dir=$1 m f
	mkdir -p "$dir"
	: >"$dir/order"
	modprobe -d "$modroot" -S "$kver" --show-depends kvm_intel |
		sed -n 's/^insmod \([^ ]*\).*/\1/p' | while read -r m; do
		f=${m##*/}
		case $f in
		*.xz) xz -dc "$m" >"$dir/${f%.xz}"; f=${f%.xz} ;;
		*.zst) zstd -qdc "$m" >"$dir/${f%.zst}"; f=${f%.zst} ;;
		*) cp "$m" "$dir/$f" ;;
		esac
		echo "$f" >>"$dir/order"
	done
	grep -q '^kvm-intel\.ko$' "$dir/order" || die "Debian's $kver has no kvm-intel module under $modroot"
}

# plan_entries BOOT: the plan's lines for BOOT and the set, as "NAME LIMIT
# COMMAND...", each kvm:NAME and kvm-pfec:NAME resolved to its path in the
# collection: where the base installs it (6.12: kvm/NAME, 7.3:
# kvm/x86/NAME), the first of "A|B" that the base has (7.3 renamed some
# vmx_ tests nested_), and a selftest's entry named by the program it runs.
# "kvm:?NAME" is a test that only some bases have; elsewhere its entry is
# left out.  KVM_PFEC_VMX_ONLY keeps the named selftests and drops the
# others; STOCK=1 keeps the platform's checks and upstream's selftests.
plan_entries() {
	local boot=$1 s b name limit cmd p a alt found only=" ${KVM_PFEC_VMX_ONLY:-} "
	while read -r s b name limit cmd; do
		[ "$b" = "$boot" ] || [ "$b" = all ] || continue
		for a in ${s//,/ }; do
			[[ " $set_ " != *" $a "* ]] || break
		done
		[[ " $set_ " == *" $a "* ]] || continue
		for p in $cmd; do
			case $p in kvm:* | kvm-pfec:*) ;; *) continue ;; esac
			found=
			IFS='|' read -r -a alt <<<"${p#*:}"
			for a in "${alt[@]}"; do
				found=$(cd "$kselftest" && find "${p%%:*}" -name "${a#\?}" -type f | head -n 1)
				[ -z "$found" ] || break
			done
			if [ -z "$found" ]; then
				[ "${p#*:\?}" = "$p" ] || continue 2
				die "scripts/vmx.plan names $p, which $kselftest lacks"
			fi
			cmd=${cmd/"$p"/$found}
			[ "${cmd#selftest }" = "$cmd" ] || name=${found##*/}
		done
		case $cmd in
		"selftest "*)
			[ -z "${KVM_PFEC_VMX_ONLY:-}" ] || [ "${only/ $name /}" != "$only" ] || continue
			[ "$STOCK" = 0 ] || [ "${cmd#selftest kvm/}" != "$cmd" ] || continue
			;;
		param* | no_splat*) ;;
		*) [ "$STOCK" = 0 ] || continue ;;
		esac
		echo "$name $limit $cmd"
	done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$plan_src")
}

# build_initramfs BOOT: the initramfs for BOOT's plan, gzip'd, in $work.
build_initramfs() {
	local boot=$1 root=$work/root-$boot list=$work/initramfs-$boot.list out=$work/initramfs-$boot.cpio.gz
	local progs=() p lib name limit cmd
	rm -rf "$root"
	mkdir -p "$root/vmx"
	plan_entries "$boot" >"$root/vmx/plan"
	cp "$KVM_PFEC_TOP/scripts/guest/vmx.sh" "$KVM_PFEC_TOP/scripts/guest/lib.sh" \
		"$KVM_PFEC_TOP/scripts/guest/bench.sh" "$root/vmx/"
	if [ "$STOCK" = 1 ]; then
		stock_modules "$root/vmx/stock"
	else
		cp "$ko" "${ko%/*}/kvm_pfec_test.ko" "${ko%/*}/kvm_pfec_bench.ko" "$root/vmx/"
	fi
	progs=(/bin/bash)
	# The programs the plan runs: selftests by their collection path.
	while read -r name limit cmd; do
		for p in $cmd; do
			case $p in
			kvm/* | kvm-pfec/*)
				[ -x "$kselftest/$p" ] || die "the plan names $p, which $kselftest lacks"
				mkdir -p "$root/vmx/${p%/*}"
				cp "$kselftest/$p" "$root/vmx/$p"
				progs+=("$kselftest/$p")
				;;
			esac
		done
	done <"$root/vmx/plan"
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		for d in bin sbin usr usr/bin usr/sbin lib lib64 lib/x86_64-linux-gnu proc sys tmp root; do
			echo "dir /$d 0755 0 0"
		done
		echo "file /bin/busybox /bin/busybox 0755 0 0"
		echo "file /bin/bash /bin/bash 0755 0 0"
		echo "file /init $KVM_PFEC_TOP/scripts/guest/vmx-init.sh 0755 0 0"
		# Every shared library the programs need, at the path ldd names.
		for p in "${progs[@]}"; do
			ldd "$p" | grep -o -E '/[^ ]+\.so[^ ]*' || true
		done | sort -u | while read -r lib; do
			echo "file $lib $(readlink -f "$lib") 0755 0 0"
		done
		(cd "$root" && find vmx -type d | sed 's|^|dir /|; s|$| 0755 0 0|')
		(cd "$root" && find vmx -type f) | while read -r p; do
			echo "file /$p $root/$p 0755 0 0"
		done
	} >"$list"
	"$KDIR/usr/gen_init_cpio" "$list" | gzip -1 >"$out.tmp"
	mv "$out.tmp" "$out"
}

# build_iso BOOT START: an isolinux ISO booting our kernel with BOOT's
# initramfs, whose plan starts at entry START.
build_iso() {
	local boot=$1 start=$2 iso=$work/iso-$boot append
	rm -rf "$iso"
	mkdir -p "$iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
	cp "$kimg" "$iso/vmlinuz"
	cp "$work/initramfs-$boot.cpio.gz" "$iso/initrd.gz"
	# panic=0: a dead kernel stays dead (Bochs would reboot it into the
	# plan again), for the host's limit and its console to tell.
	append="initrd=/initrd.gz console=ttyS0,115200 nokaslr panic=0 oops=panic"
	append+=" kvm.tsc_tolerance_ppm=5000 vmx.start=$start"
	# With EPT, allow_smaller_maxphyaddr makes KVM intercept the guest's
	# present #PFs when the guest's MAXPHYADDR is the smaller
	# (smaller_maxphyaddr_emulation_test); other guests are as before.
	case $boot in
	ept) append+=" kvm_intel.allow_smaller_maxphyaddr=1" ;;
	shadow) append+=" kvm_intel.ept=0" ;;
	esac
	# 7.3 oopses in fpstate_reset(), from fpu__init_system(), on Bochs's
	# XSAVE CPUID leaves, which 6.12 accepts (Documentation/testing.rst,
	# "Intel, under Bochs").
	[ "$KVM_PFEC_KERNEL" = 6.12 ] || append+=" noxsave"
	append+=${KVM_PFEC_VMX_APPEND:+ $KVM_PFEC_VMX_APPEND}
	printf 'DEFAULT l\nPROMPT 0\nTIMEOUT 0\nLABEL l\n  KERNEL /vmlinuz\n  APPEND %s\n' \
		"$append" >"$iso/isolinux/isolinux.cfg"
	xorriso -as mkisofs -quiet -o "$work/boot-$boot.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$iso" 2>/dev/null
}

# Bochs's instructions a second of guest time: 1e8 for the tests, 1e9 for
# the benchmark, whose boot measures what its clock then counts (ns per
# instruction of the L1 and of a guest: scripts/guest/bench.sh).
ips=100000000
[[ " $set_ " != *" bench "* ]] || ips=1000000000

bochs_pid=
# Bochs ignores SIGTERM.
stop_bochs() {
	if [ -n "$bochs_pid" ]; then
		# Bochs itself, script(1)'s child: script ends with it.
		pkill -KILL -P "$bochs_pid" || true
		wait "$bochs_pid" 2>/dev/null || true
	fi
	bochs_pid=
}
trap stop_bochs EXIT
trap 'exit 143' TERM INT

# start_bochs BOOT PART: boot BOOT's ISO; com1 (console) and com2 (TAP) go
# to files of the results directory, and Bochs's own terminal (its errors
# included) to bochs-BOOT-PART.tty there.
start_bochs() {
	local boot=$1 part=$2
	cat >"$work/bochsrc" <<-RC
	memory: guest=2048, host=2048
	cpu: model=${KVM_PFEC_VMX_CPU:-corei7_skylake_x}, count=1, ips=$ips
	romimage: file=/usr/share/bochs/BIOS-bochs-latest
	vgaromimage: file=/usr/share/vgabios/vgabios.bin
	ata0-master: type=cdrom, path=$work/boot-$boot.iso, status=inserted
	boot: cdrom
	com1: enabled=1, mode=file, dev=$results/console-$boot-$part.log
	com2: enabled=1, mode=file, dev=$results/vmx-$boot-$part.out
	display_library: term
	log: /dev/null
	clock: sync=none, time0=local
	RC
	echo c >"$work/bochs.rc"
	: >"$results/console-$boot-$part.log"
	: >"$results/vmx-$boot-$part.out"
	# Bochs's term display needs a terminal: script(1) gives it one.
	script -qfc "bochs-bin -q -f $work/bochsrc -rc $work/bochs.rc" /dev/null \
		</dev/null >"$results/bochs-$boot-$part.tty" 2>&1 &
	bochs_pid=$!
}

tap_out=$results/vmx.tap
ktap_out=$results/vmx-kunit.ktap
times=$results/vmx-times.txt
: >"$times"
: >"$tap_out"
: >"$ktap_out"
echo "TAP version 13" >>"$tap_out"
n=0

# run_boot BOOT: every entry of BOOT's plan, in as many Bochs boots as hung
# tests need.
run_boot() {
	local boot=$1 entries=() start=1 part=0 out console i name limit cmd t0 line r
	mapfile -t entries < <(plan_entries "$boot")
	[ ${#entries[@]} -gt 0 ] || return 0
	say "$boot boot: initramfs of ${#entries[@]} plan entries"
	build_initramfs "$boot"
	while [ "$start" -le ${#entries[@]} ]; do
		part=$((part + 1))
		build_iso "$boot" "$start"
		out=$results/vmx-$boot-$part.out
		console=$results/console-$boot-$part.log
		say "$boot boot $part: Bochs, $(uname -m) guest on ${KVM_PFEC_VMX_CPU:-corei7_skylake_x}, from entry $start"
		start_bochs "$boot" "$part"
		i=$start
		# The boot itself: until the guest script says it runs.
		t0=$SECONDS
		until grep -q '^@vmx ready start=[0-9]* end$' "$out"; do
			sleep 1
			if [ $((SECONDS - t0)) -ge "${KVM_PFEC_VMX_BOOT_LIMIT:-300}" ] || ! kill -0 "$bochs_pid" 2>/dev/null; then
				if kill -0 "$bochs_pid" 2>/dev/null; then
					line="the kernel did not reach the test script within $((SECONDS - t0)) s"
				else
					line="Bochs exited before the kernel reached the test script (its terminal: $results/bochs-$boot-$part.tty)"
				fi
				stop_bochs
				n=$((n + 1))
				printf 'not ok %d %s boot %d: %s\n' "$n" "$boot" "$part" "$line" | tee -a "$tap_out"
				explain_death "$console" >&2 || { echo "== its console's last lines ($console):"; tail -n 30 "$console"; } >&2
				# Each entry it did not run, by name.
				for ((; i <= ${#entries[@]}; i++)); do
					read -r name limit cmd <<<"${entries[$((i - 1))]}"
					n=$((n + 1))
					printf 'not ok %d %s # not run: %s boot %d failed\n' "$n" "$name" "$boot" "$part" | tee -a "$tap_out"
					echo "$name notrun 0 $boot" >>"$times"
				done
				return
			fi
		done
		say "$boot boot $part: the guest runs its tests after $((SECONDS - t0)) s"
		while [ "$i" -le ${#entries[@]} ]; do
			read -r name limit cmd <<<"${entries[$((i - 1))]}"
			t0=$SECONDS
			# The guest ends each entry with "@vmx done I end", so a
			# result line is read whole, never half-written.  When
			# Bochs has exited, the file is read once more.
			line=
			while :; do
				if grep -q -x "@vmx done $i end" "$out"; then
					line=$(grep -m1 -E "^(ok|not ok) $i " "$out") && break
				fi
				# A second start: the guest rebooted (no result of it
				# counts).
				if [ "$(grep -c '^@vmx ready ' "$out")" -gt 1 ]; then
					line=
					break
				fi
				if [ -z "$bochs_pid" ] || [ $((SECONDS - t0)) -ge "$limit" ]; then
					line=
					break
				fi
				kill -0 "$bochs_pid" 2>/dev/null || { wait "$bochs_pid" 2>/dev/null; bochs_pid=; continue; }
				sleep 1
			done
			if [ -n "$line" ]; then
				# The test's own output ("# " lines), then its result
				# line; KUnit's KTAP, between markers, goes to its own
				# file, to be counted as make check counts it.
				sed -n "/^@vmx run $i /,/^@vmx done $i end\$/p" "$out" | sed -e '1d' -e '$d' | sed '$d' >"$work/section"
				sed -n '/^@vmx ktap begin/,/^@vmx ktap end/p' "$work/section" | sed '1d;$d' >>"$ktap_out"
				sed '/^@vmx ktap begin/,/^@vmx ktap end/d' "$work/section" >>"$tap_out"
				# A test's report lines show with its result, and go
				# to the results file.
				sed -n 's/^# \(nested #PF exits to L0, .*\)$/\1/p' "$work/section" | tee -a "$work/reports"
				n=$((n + 1))
				line=${line/ $i / $n }
				echo "$line" | tee -a "$tap_out"
				case $line in
				"not ok"*) r=fail ;;
				*"# SKIP"*) r=skip ;;
				*) r=pass ;;
				esac
				echo "$name $r $((SECONDS - t0)) $boot" >>"$times"
				i=$((i + 1))
				continue
			fi
			# Hung, or Bochs died: record it, boot again after it.
			# What the entry printed goes in as comments, whatever it
			# was: no line of it counts.
			[ -n "$bochs_pid" ] && r=hung || r=exited
			stop_bochs
			sed -n "/^@vmx run $i /,\$p" "$out" | sed -e '1d' -e 's/^/# /' >>"$tap_out"
			n=$((n + 1))
			if explain_death "$console" >&2; then
				printf 'not ok %d %s # the guest kernel died (console: %s)\n' "$n" "$name" "$console" | tee -a "$tap_out"
			elif [ "$(grep -c '^@vmx ready ' "$out")" -gt 1 ]; then
				printf 'not ok %d %s # the guest rebooted during it (console: %s)\n' "$n" "$name" "$console" | tee -a "$tap_out"
			elif [ "$r" = exited ]; then
				printf 'not ok %d %s # Bochs exited without its result (console: %s; terminal: %s)\n' \
					"$n" "$name" "$console" "$results/bochs-$boot-$part.tty" | tee -a "$tap_out"
			else
				printf 'not ok %d %s # hung: no result within %d s of wall time (console: %s)\n' \
					"$n" "$name" "$limit" "$console" | tee -a "$tap_out"
				tail -n 15 "$console" | sed 's/^/# console: /' >>"$tap_out"
			fi
			echo "$name $r $((SECONDS - t0)) $boot" >>"$times"
			break
		done
		stop_bochs
		start=$((i + 1))
		[ "$i" -le ${#entries[@]} ] || break
	done
}

pass=0 fail=0 skip=0
bad=() skipped=()
step_failed() { fail=$((fail + 1)); bad+=("$1"); }
for boot in ${KVM_PFEC_VMX_BOOTS:-ept shadow}; do
	run_boot "$boot"
done
echo "1..$n" >>"$tap_out"
count_tap "$tap_out" vmx "" nested
[ ! -s "$ktap_out" ] || count_tap "$ktap_out" "vmx kunit" "    "
echo
for s in "${bad[@]}"; do echo "FAILED:  $s"; done
for s in "${skipped[@]}"; do echo "SKIPPED: $s"; done
if [ "$standalone" = 1 ] && [ -z "${KVM_PFEC_VMX_ONLY:-}${KVM_PFEC_VMX_BOOTS:-}${KVM_PFEC_VMX_APPEND:-}" ] &&
	[ "$set_" = "$([ "$STOCK" = 0 ] && echo check || echo "check limit")" ]; then
	machine="the guest under bochs $(dpkg-query -W -f='${Version}' bochs), cpu ${KVM_PFEC_VMX_CPU:-corei7_skylake_x}, count=1, clock sync=none"
	if [ "$STOCK" = 1 ]; then
		file=$KVM_PFEC_TOP/selftests/survey/$KVM_PFEC_KERNEL-stock-vmx.txt
		{
			echo "# SPDX-License-Identifier: GPL-2.0"
			echo "#"
			echo "# make check-vmx STOCK=1 KERNEL=$KVM_PFEC_KERNEL"
			echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
			echo "# commit: $(git -C "$KVM_PFEC_TOP" rev-parse HEAD)$(git -C "$KVM_PFEC_TOP" status --porcelain -- $CHECK_INPUTS | grep -q . && echo ' (with uncommitted changes to its inputs)')"
			echo "# machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB; $machine"
			echo "# kernel: Debian's own build of the same source, $kver $(kernel_version), its own KVM modules"
			echo "# selftests: the tree's own, scripts/vmx.plan's upstream entries; limits are the host's wall clock"
			echo "#"
			echo "# test result seconds boot"
			cat "$times"
		} >"$file"
		say "results: $file"
	else
		{
			echo "summary: $pass passed, $fail failed, $skip skipped"
			echo "wall_s: $SECONDS"
			echo "platform: $machine"
			echo "results_dir: $results"
			sed 's/^nested #PF exits to L0, //' "$work/reports" | awk '{ print "nested_pf_exits_" NR ": " $0 }'
			for s in "${bad[@]}"; do echo "failed: $s"; done
			for s in "${skipped[@]}"; do echo "skipped: $s"; done
			echo "# test result seconds boot"
			cat "$times"
		} | write_result "check-vmx-$KVM_PFEC_KERNEL" "make check-vmx KERNEL=$KVM_PFEC_KERNEL" $CHECK_INPUTS
	fi
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
