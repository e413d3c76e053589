# SPDX-License-Identifier: GPL-2.0
#
# TAP counting for make check.  Source it; do not run it.  Adds to the
# caller's pass, fail and skip counts and its bad and skipped lists;
# step_failed is the caller's.
#
# count_tap FILE GROUP [INDENT] [nested]: add a TAP file's results at one
# nesting level to the totals: top-level lines by default; INDENT (KTAP's
# four spaces) for the cases inside KUnit suites.  With "nested", for
# run_kselftest.sh's TAP, where a test's own output comes before its result
# line with "# " before each line: a test that passed while one of its
# subtests skipped ("# ok N name # SKIP reason", at any depth) counts as a
# skip, not a pass, since part of it did not run.
count_tap() {
	local file=$1 group=$2 indent=${3:-} mode=${4:-} line nested=()
	[ -f "$file" ] || { step_failed "$group: no results"; return; }
	while IFS= read -r line; do
		if [ "$mode" = nested ]; then
			case $line in
			"#"*" ok "*"# SKIP"* | "#"*" not ok "*"# SKIP"*)
				# One nesting level or more: "# ok 7 ... # SKIP why".
				[[ $line =~ ^(#[[:space:]]+)+(not\ )?ok\ [0-9]+\ (.*)$ ]] && nested+=("${BASH_REMATCH[3]}")
				continue
				;;
			esac
		fi
		case $line in
		"$indent"[!\ ]*) line=${line#"$indent"} ;;
		*) continue ;;
		esac
		case $line in
		"ok "*"# SKIP"* | "not ok "*"# SKIP"*) skip=$((skip + 1)); skipped+=("$group: ${line#*ok }") ;;
		"ok "*)
			if [ ${#nested[@]} -gt 0 ]; then
				skip=$((skip + 1))
				skipped+=("$group: ${line#ok } (passed, but its subtest skipped: ${nested[*]})")
			else
				pass=$((pass + 1))
			fi
			;;
		"not ok "*) fail=$((fail + 1)); bad+=("$group: ${line#not ok }") ;;
		*) continue ;;
		esac
		nested=()
	done <"$file"
}
