#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""doccheck: the docs against the code and data they describe.

Reads only the repository (the patch series, not a kernel tree).  Each
check_*() below is one check; its docstring says what it verifies.

A count in the docs is verified through a comment before its paragraph,
which the rendered page does not show (in Markdown, <!-- doccheck: ... -->):

    .. doccheck: survey("6.12", "pass", "pass") == 50; tests("x.list") == 45

Each EXPR == N: EXPR, over the helpers of Data (a set counts its members),
must give N, and N must appear in the paragraph, in digits or as a word;
named(EXPR) asks instead that each member be named there as a literal.  Any
other number in that paragraph must be one of the Ns, unless a unit
follows it (90 s, 10 minutes, 5%).

Usage: python3 scripts/doccheck.py.  Prints "doccheck: FILE:LINE: problem"
for each problem, then "ok: CHECK" or "FAILED: CHECK" for each check, and
exits 1 if any check failed.
"""
import fnmatch
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()
UNIT = r"\s*(?:%|(?:s|ms|ns|min|minutes?|seconds?|hours?|GiB|MiB|GB|MB|bytes?)\b)"
# A bare number in prose: not part of a version, date, name or setting.
NUMBER = r"(?<![\w.,/=-])(?<!exit )(\d{1,3}(?:,\d{3})+|\d+)(?![\w.,]\d|\w|-\d|%s)" % UNIT
# "45 tests", "47 upstream tests", "3 of the 5": a count of tests.
TEST_COUNT = r"(?<![\w.-])([1-9]\d*)(?= (?:of the|(?:\w+ ){0,2}(?:tests|programs))\b)"
FILE_LINE = r"(?<![\w/.-])(/?(?:[\w.-]+/)*[\w.-]+\.(?:rs|c|h|sh|py|rst|md|list|txt|mk|toml|patch)" \
    r"|Makefile|Kbuild):(\d+)\b"
# A plain-text code name: what a cover letter or C comment names.
CODE_NAME = r"[\w:./#\[\]!-]*(?:_|::|\(\)|!|#\[)[\w:./#\[\]!()-]*"


def read(rel):
    """The text of a repository file, or '' if there is none."""
    try:
        with open(os.path.join(TOP, rel), encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def docs():
    """The docs: Documentation/*.rst and README.md."""
    pages = os.listdir(os.path.join(TOP, "Documentation"))
    return sorted("Documentation/" + f for f in pages if f.endswith(".rst")) + ["README.md"]


def blocks(rel):
    """(first line, text) of each run of non-blank lines of a file."""
    out, start, cur = [], 0, []
    for i, line in enumerate(read(rel).split("\n") + [""], 1):
        if line.strip():
            start, cur = (start if cur else i), cur + [line]
        elif cur:
            out.append((start, "\n".join(cur)))
            cur = []
    return out


def sentence_at(text, at):
    """The sentence of TEXT around offset AT, on one line: its paragraph's
    list items, and a '.' (but of "e.g." or "i.e.") before a capital or a
    literal, end sentences."""
    ps = text.rfind("\n\n", 0, at) + 1
    pe = text.find("\n\n", at) % (len(text) + 1)
    cuts = [0] + [m.end() for m in re.finditer(
        r"(?<![ie]\.[ge]\.)(?<=\.)\s+(?=[A-Z`])|\n\s*(?=[-*] )", text[ps:pe])] + [pe - ps]
    return next(" ".join(text[ps + a:ps + b].split())
                for a, b in zip(cuts, cuts[1:]) if a <= at - ps < b or b == pe - ps)


def literals(text, md=False, spans=False):
    """The inline literals of reST (``x``) or Markdown (`x`) text, with
    their offsets if SPANS."""
    found = re.finditer(r"`([^`]+)`" if md else r"``(.+?)``", text, re.S)
    lits = [(m.start(), " ".join(m[1].split())) for m in found]
    return lits if spans else [x for _, x in lits]


def count_in(n, text):
    """Whether N appears in TEXT in digits or as a word."""
    words = WORDS[n:n + 1] + {1: ["once"], 2: ["twice"]}.get(n, [])
    pat = r"(?<![\w.,])(%s)(?![\w.]\w)" % "|".join([str(n), f"{n:,}"] + words)
    return re.search(pat, text, re.I) is not None


class Data:
    """The repository's data: kernels, series, selftest lists and surveys."""

    def __init__(self):
        kdir = os.path.join(TOP, "kernel")
        self.kernels = sorted(k for k in os.listdir(kdir)
                              if os.path.isdir(os.path.join(kdir, k, "patches")))

    def series(self, k):
        """{number: file name} of kernel K's patches, the cover letter's 0."""
        d = os.path.join(TOP, "kernel", k, "patches")
        return {int(f[:4]): f for f in os.listdir(d) if re.match(r"\d{4}-.*\.patch$", f)}

    def patch(self, k, n):
        """The text of patch N of kernel K's series."""
        return read(f"kernel/{k}/patches/{self.series(k)[n]}")

    def final(self, k, path):
        """PATH as kernel K's series leaves it (applying each hunk), or None."""
        lines = None
        for n in sorted(self.series(k)):
            for diff in re.split(r"^diff --git ", self.patch(k, n), flags=re.M)[1:]:
                if not re.search(r"^\+\+\+ b/%s$" % re.escape(path), diff, re.M):
                    continue
                old, new, pos = ([] if "\n--- /dev/null" in diff else lines), [], 0
                body = diff.split("\n")
                for i, h in enumerate(body):
                    m = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,(\d+))? @@", h)
                    if not m:
                        continue
                    a, b = int(m[1]), int(m[2] or 1)
                    new += old[pos:a - 1 if b else a]
                    pos, todo = (a - 1 if b else a), b + int(m[3] or 1)
                    for line in body[i + 1:]:
                        if todo <= 0 or line.startswith("@@"):
                            break
                        tag, text = line[:1] or " ", line[1:]
                        if tag in (" ", "-"):
                            if pos >= len(old) or old[pos] != text:
                                raise ValueError(f"{self.series(k)[n]} does not apply to {path}")
                            pos += 1
                        if tag in (" ", "+"):
                            new.append(text)
                        todo -= {" ": 2, "-": 1, "+": 1}.get(tag, 0)
                lines = new + old[pos:]
        return lines

    def survey(self, k, stock="*", ours="*", under=None, over=None,
               listed=None, unlisted=()):
        """The tests of K's survey with those results on Debian's kernel
        and ours; UNDER/OVER bound the seconds on ours; LISTED names a list
        the tests must be in, UNLISTED lists they must not be in."""
        st, ou = self.results(f"{k}-stock.txt"), self.results(f"{k}-ours.txt")
        return {n for n, (r, secs) in ou.items()
                if ours in ("*", r) and stock in ("*", st.get(n, ("?",))[0])
                and (under is None or secs < under) and (over is None or secs >= over)
                and (not listed or n in self.tests(listed))
                and not any(n in self.tests(u) for u in unlisted)}

    def results(self, f):
        """{test: (result, seconds)} of a survey file (its last run of each)."""
        return {n: (r, int(s)) for n, r, s in self.runs_of(f)}

    def runs_of(self, f):
        """(test, result, seconds) of each run in survey file F."""
        return [tuple(line.split()[:3]) for line in read("selftests/survey/" + f).split("\n")
                if line.strip() and not line.startswith("#")]

    def runs(self, f, name=None, result="*"):
        """How many runs of survey file F (of test NAME) had RESULT."""
        return sum(1 for n, r, _ in self.runs_of(f) if name in (None, n) and result in ("*", r))

    def tests(self, f):
        """The tests of selftests/F, in order."""
        return [line.strip() for line in read("selftests/" + f).split("\n")
                if line.strip() and not line.startswith("#")]


def check_test_lists(d, bad):
    """The docs' includes of selftests/ files exist; a list retyped in the
    docs (a block naming 6 or more of one list's tests) is that list,
    whole; every listed test is in its kernel's survey; and every program
    of a kernel's survey is in its lists or named, as left out, in its
    list's comments."""
    lists = [f for f in os.listdir(os.path.join(TOP, "selftests"))
             if re.match(r"upstream-.*\.list$", f)]
    for rel in docs():
        for m in re.finditer(r"^\s*\.\. literalinclude:: (\S*selftests/\S+)", read(rel), re.M):
            if not os.path.isfile(os.path.join(TOP, os.path.dirname(rel), m[1])):
                bad(rel, read(rel).count("\n", 0, m.start()) + 1, f"includes a missing {m[1]}")
        for line, text in blocks(rel):
            named = set(re.findall(r"[\w.-]+", text))
            for f in lists:
                found, want = named & set(d.tests(f)), set(d.tests(f))
                if len(found) >= 6 and found != want:
                    bad(rel, line, f"retypes {f}, without {', '.join(sorted(want - found))}")
    for k in d.kernels:
        ours, own = d.results(f"{k}-ours.txt"), f"upstream-{k}.list"
        listed = set(d.tests(own)) | set(d.tests(f"upstream-stress-{k}.list"))
        comments = " ".join(re.findall(r"^#.*", read("selftests/" + own), re.M))
        for t in sorted(listed - set(ours)):
            bad("selftests/" + own, 1, f"{t} is not in selftests/survey/{k}-ours.txt")
        for t in sorted(set(ours) - listed):
            if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(t), comments):
                bad("selftests/" + own, 1,
                    f"{t} ({ours[t][0]} in the survey) is neither listed nor left out, "
                    "with its reason, in the comments")


def layout_names(text):
    """{entry line: (entry directory, [literals])} of index.rst's layout."""
    sec = text.split("Repository layout", 1)[-1]
    first = text.count("\n", 0, len(text) - len(sec))
    entries, cur = {}, None
    for i, line in enumerate(sec.split("\n")):
        if line.startswith("``"):
            cur = first + i + 1
            entries[cur] = [line]
        elif cur and line.startswith(" "):
            entries[cur].append(line)
    out = {}
    for line, body in entries.items():
        lits = literals("\n".join(body))
        out[line] = (lits[0] if lits[0].endswith("/") else "", lits)
    return out


def check_layout(d, bad):
    """index.rst's layout names every file of the source directories and
    every Makefile target, and nothing that does not exist; its toctree
    holds every page of Documentation/ and no other, and every :doc: names
    one of them."""
    rel, text = "Documentation/index.rst", read("Documentation/index.rst")
    ignore = [p.strip("/") for p in read(".gitignore").split("\n") if p.strip()[:1] not in "#"]
    want = set()
    for sub in ["scripts", "scripts/guest", "scripts/l2", "rust", "rust/pfec",
                "rust/pfec/async_pf", "selftests"]:
        for f in os.listdir(os.path.join(TOP, sub)):
            if os.path.isfile(os.path.join(TOP, sub, f)) and not f.startswith(".") \
                    and not any(fnmatch.fnmatch(f, p) for p in ignore):
                want.add(f"{sub}/{f}")
    mk = read("Makefile")
    targets = set(re.findall(r"^([a-z][\w-]*)\s*:(?!=)", mk, re.M))
    targets |= set(" ".join(re.findall(r"^\.PHONY:(.*)", mk, re.M)).split())
    named, said = set(), set()
    for line, (base, lits) in layout_names(text).items():
        for lit in lits:
            bare = lits[0] == "Makefile" and re.fullmatch(r"[a-z][\w-]*", lit)
            if lit.startswith("make ") or bare:
                t = lit if bare else lit.split()[1]
                said.add(t)
                if t not in targets:
                    bad(rel, line, f"names make {t}, which the Makefile does not have")
                continue
            pathlike = "/" in lit or re.search(r"\.\w+$", lit) or lit in ("Makefile", "Kbuild")
            if not pathlike or not re.fullmatch(r"[\w.<>-]+(/[\w.<>-]*)*", lit) \
                    or lit.endswith((".ko", ".o")):
                continue
            for p in [lit.replace("<base>", k) for k in d.kernels] if "<base>" in lit else [lit]:
                hit = [c for c in (base + p, p) if os.path.exists(os.path.join(TOP, c))]
                if not hit:
                    bad(rel, line, f"names {lit}, which is neither {base + p} nor {p}")
                named |= {os.path.normpath(h) for h in hit}
    at = text[:text.find("Repository layout")].count("\n") + 1
    for f in sorted(want - named):
        bad(rel, at, f"the repository layout does not name {f}")
    for t in sorted(targets - said):
        bad(rel, at, f"the repository layout does not name make {t}")
    toc = re.search(r"\.\. toctree::\n((?:   .*\n|\n)*)", text)
    at = text.count("\n", 0, toc.start()) + 1 if toc else 1
    pages = {ln.strip() for ln in (toc[1] if toc else "").split("\n")
             if ln.strip() and not ln.strip().startswith(":")}
    have = {f[:-4] for f in os.listdir(os.path.join(TOP, "Documentation"))
            if f.endswith(".rst") and f != "index.rst"}
    for p in sorted(have ^ pages):
        bad(rel, at, f"the toctree {'lacks' if p in have else 'names a missing page,'} {p}")
    for page in (f"Documentation/{p}.rst" for p in sorted(have | {"index"})):
        for m in re.finditer(r":doc:`([^`<]+)`", read(page)):
            if m[1] not in have | {"index"}:
                bad(page, read(page).count("\n", 0, m.start()) + 1, f":doc: names a missing {m[1]}")


def members(code):
    """The member declarations of `struct kvm_pfec_ops { ... };` in CODE."""
    m = re.search(r"struct kvm_pfec_ops \{(.*?)\};", code, re.S)
    if not m:
        return None
    body = re.sub(r"/\*.*?\*/|//[^\n]*", "", m[1], flags=re.S)
    norm = [re.sub(r"\s*([(),*\[\]])\s*", r"\1", " ".join(x.split())) for x in body.split(";")]
    return [x for x in norm if x]


def check_ops_listing(d, bad):
    """policy.rst's struct kvm_pfec_ops is the one each series' header has,
    member for member, in order (comments and spacing aside)."""
    rel, path = "Documentation/policy.rst", "arch/x86/include/asm/kvm_pfec.h"
    text = read(rel)
    doc, line = members(text), text[:text.find("struct kvm_pfec_ops {")].count("\n") + 1
    for k in d.kernels:
        try:
            real = members("\n".join(d.final(k, path) or []))
        except ValueError as e:
            real = bad(f"kernel/{k}/patches", 1, str(e)) or doc
        if doc is None or real is None:
            bad(rel, line, f"no struct kvm_pfec_ops in this page or in {k}'s {path}")
        elif real != doc:
            gone, extra = [x for x in real if x not in doc], [x for x in doc if x not in real]
            bad(rel, line, f"struct kvm_pfec_ops differs from {k}'s {path}: lacks {gone}, "
                f"has {extra}" + ("" if gone or extra else ", in another order"))


def refs(text, kern):
    """(kind, number, kernel or None, offset) of each patch, api.rst section
    and patch-file reference in TEXT.  A kernel follows its numbers ("0014
    and 0015 of the 6.12 series", "7.48 in 7.3's") or precedes the keyword
    ("7.3's patch 0006")."""
    q = r"\s+(?:of|in|on|for)\s+(?:the\s+)?(%s)(?:'s|\s+series)?" % kern
    sep = r"(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|;\s*)"
    out = set()
    for kind, num, kw in (("patch", r"\d{4}|\d{1,2}(?![\d.])", r"(?<!\w)[Pp]atch(?:es)?\s+"),
                          ("section", r"\d+\.\d+", r"(?:§\s*|[Ss]ections?\s+)"),
                          ("patch", r"\d{4}", r"(?<![\w.-])(?=\d{4}(?:%s\d{4})*%s)" % (sep, q))):
        item = r"(%s)(?!-)(?:%s)?" % (num, q)
        pat = r"(?:(?P<pre>%s)(?:'s|\s+series'?s?)\s+)?%s" % (kern, kw)
        for m in re.finditer(r"%s(?P<items>%s(?:%s%s)*)" % (pat, item, sep, item), text):
            pend = []
            for i in re.finditer(item, m["items"]):
                pend.append(i)
                if i[2]:
                    out |= {(kind, p[1], i[2], m.start("items") + p.start()) for p in pend}
                    pend = []
            out |= {(kind, p[1], m["pre"], m.start("items") + p.start()) for p in pend}
    name = r"(?:kernel/(%s)/patches/)?(?<![\w.])(\d{4})-([A-Za-z][\w.-]*?)?(?:\.patch|\*|\.\.\.)"
    for m in re.finditer(name % kern, text):
        out.add(("file", m[2] + "-" + (m[3] or ""), m[1], m.start(2)))
    return sorted(out, key=lambda r: r[3])


def check_numbers(d, bad):
    """Every patch and api.rst section number named in the docs, selftest
    comments, cover letters and commit messages is its series' own: a
    number names a series after it ("0006 of 7.3's") or in its sentence
    (only one), or else must hold for each; the sentence must name
    something the patch contains; and each [PATCH m/n] is right."""
    kern = "|".join(re.escape(k) for k in d.kernels)
    secs = {k: dict(re.findall(r"^\+(\d+\.\d+) (\w+)\n\+-+$", "".join(
        d.patch(k, n) for n in d.series(k)), re.M)) for k in d.kernels}
    texts = [(rel, read(rel), None) for rel in docs()]
    texts += [(f"selftests/{f}", read(f"selftests/{f}"), None)
              for f in sorted(os.listdir(os.path.join(TOP, "selftests"))) if f.endswith(".c")]
    for k in d.kernels:
        for n, f in sorted(d.series(k).items()):
            msg = d.patch(k, n).split("\n---\n")[0]
            texts.append((f"kernel/{k}/patches/{f}", msg, k))
            m = re.search(r"^Subject: \[PATCH (\d+)/(\d+)\]", msg, re.M)
            if not m or (int(m[1]), int(m[2])) != (n, len(d.series(k)) - 1):
                bad(f"kernel/{k}/patches/{f}", 4, "its [PATCH m/n] is not its place in the series")
    for rel, text, own in texts:
        for kind, num, k, at in refs(text, kern):
            line, sent = text.count("\n", 0, at) + 1, sentence_at(text, at)
            named = set([k] if k else [own] if own else re.findall(r"\b(%s)\b" % kern, sent))
            ks = sorted(named) if len(named) == 1 else d.kernels
            if kind == "section":
                for kk in (kk for kk in ks if num not in secs[kk]):
                    adds = ", ".join(a + " " + b for a, b in secs[kk].items())
                    bad(rel, line, f"api.rst section {num} is not one the {kk} series adds "
                        f"({adds})" + ("" if k or own else ": say which kernel"))
                continue
            if kind == "file":
                for kk in ks:
                    if not any(f.startswith(num) for f in d.series(kk).values()):
                        bad(rel, line, f"no patch {num}... in the {kk} series")
                continue
            n = int(num)
            if any(n not in d.series(kk) for kk in ks):
                bad(rel, line, f"patch {num}: the {'/'.join(ks)} series has none")
            elif len({d.series(kk)[n][5:] for kk in ks}) > 1:
                bad(rel, line, f"patch {num} is a different patch in each series "
                    f"({', '.join(d.series(kk)[n] for kk in ks)}): say which kernel")
            else:
                toks = literals(sent, rel.endswith(".md")) if rel.endswith((".rst", ".md")) \
                    else re.findall(CODE_NAME, sent)
                cands = {c for t in toks for c in (t, t.rstrip("()"), t.strip("#[]"),
                         t.split("::")[-1], t.split("/")[-1].rstrip("()")) if len(c) > 2}
                for kk in (kk for kk in ks if not any(c in d.patch(kk, n) for c in cands)):
                    bad(rel, line, f"patch {num} of {kk} ({d.series(kk)[n]}) has none of "
                        f"{toks or 'the code names'} that its sentence names")


def check_line_refs(d, bad):
    """Each file:line reference in the docs names a file of the repository,
    by its path from the top, and the first ``literal`` after it in its
    paragraph is on that line of that file."""
    for rel in docs():
        md = rel.endswith(".md")
        for start, text in blocks(rel):
            for m in re.finditer(FILE_LINE, text):
                line, path, n = start + text.count("\n", 0, m.start()), m[1], int(m[2])
                if path.startswith("/") or not os.path.isfile(os.path.join(TOP, path)):
                    bad(rel, line, f"{m[0]}: {path} is not a path in the repository "
                        "(give one from its top, or name a symbol)")
                    continue
                after = [x for at, x in literals(text, md, True) if at >= m.end() and m[0] not in x]
                lines = read(path).split("\n")
                if not after:
                    bad(rel, line, f"{m[0]}: say what is on that line, as a literal after it")
                elif n > len(lines) or after[0] not in lines[n - 1]:
                    holding = [str(i) for i, x in enumerate(lines, 1) if after[0] in x]
                    bad(rel, line, f"{m[0]} does not hold {after[0]!r}; lines holding it: "
                        + (", ".join(holding) or "none"))


def check_counts(d, bad):
    """Each doccheck comment's counts are what the data gives and appear in
    the paragraph after it, whose other numbers all come from it; and any
    paragraph of testing.rst that names a test list and states a count of
    tests has such a comment.  Each cover letter's diffstat has as many
    files as its total says, and the line count of each file the series
    creates."""
    helpers = {"survey": d.survey, "tests": lambda f: set(d.tests(f)), "runs": d.runs,
               "named": lambda s: ("named", s), "len": len, "__builtins__": {}}
    for rel in docs():
        marks, md, bl = {}, rel.endswith(".md"), blocks(rel)
        for i, (line, text) in enumerate(bl):
            m = re.match(r"\s*(?:\.\. doccheck:|<!-- doccheck:)(.*?)(?:-->)?\s*$", text, re.S)
            if m and i + 1 < len(bl):
                marks[bl[i + 1][0]] = (line, " ".join(m[1].split()))
        for line, text in bl:
            if text.lstrip().startswith((".. ", "<!--")):
                continue
            prose = re.sub(r"`[^`]+`" if md else r"``.+?``", "", text, flags=re.S)
            if line not in marks:
                counts = re.findall(TEST_COUNT, prose)
                if rel.endswith("testing.rst") and counts and "upstream-" in text:
                    bad(rel, line, f"states {counts} beside a test list, unchecked: "
                        "add a doccheck comment")
                continue
            mline, spec = marks[line]
            ok = set()
            for item in filter(None, (s.strip() for s in spec.split(";"))):
                expr, _, want = item.rpartition("==")
                try:
                    val, want = eval(expr, helpers), int(want)  # over Data only
                except Exception as e:
                    bad(rel, mline, f"cannot evaluate {item!r}: {e}")
                    continue
                names = val[1] if isinstance(val, tuple) else None
                got = val if isinstance(val, int) else len(val if names is None else names)
                if got != want:
                    members_ = "" if isinstance(val, int) else f": {sorted(names or val)}"
                    bad(rel, mline, f"{expr.strip()} is {got}, not {want}{members_}")
                elif names is not None:
                    for x in sorted(set(names) - set(literals(text, md))):
                        bad(rel, line, f"does not name {x}, which {expr.strip()} holds")
                elif not count_in(want, prose):
                    bad(rel, line, f"does not state {want}, the count of {expr.strip()}")
                ok.add(want)
            for n in (int(x.replace(",", "")) for x in re.findall(NUMBER, prose)):
                if n not in ok:
                    bad(rel, line, f"states {n}, which its doccheck comment does not verify")
    for k in d.kernels:
        rel = f"kernel/{k}/patches/{d.series(k)[0]}"
        cover = read(rel)
        files = re.findall(r"^ (\S+)\s+\|\s+(\d+)", cover, re.M)
        m = re.search(r"^ (\d+) files? changed", cover, re.M)
        if not m or int(m[1]) != len(files):
            bad(rel, 1, f"its diffstat lists {len(files)} files, not what its total says")
        for path in re.findall(r"^ create mode \d+ (\S+)$", cover, re.M):
            n, said = len(d.final(k, path) or []), dict(files).get(path)
            if said != str(n):
                bad(rel, 1, f"its diffstat gives {path} {said} lines; the series adds {n}")

# Settings, not measurements: the quantities the docs may name outside a
# results block, each with what it is.  Anything else with a unit of time,
# size, speed or share is a measured figure, whose one home is a results
# file (scripts/results.py renders it into the README; the rst pages
# literalinclude it).
SETTINGS = {
    "256 MiB": "what the L2 guest's init writes and reads back",
    "65,536 pages": "256 MiB in 4 KiB pages, arithmetic",
    "2 MiB": "a transparent huge page",
    "24 GiB": "the machine's memory, its kind's setting",
    "30 seconds": "run_logged()'s progress interval",
    "1 ns": "icount's shift=0: one guest instruction a nanosecond",
    "10 minutes": "kselftest's own timeout",
    "600 seconds": "make check-debug's selftest timeout",
    "240 s": "the L2 boot's limit in scripts/guest/l2.sh",
    "60 s": "scripts/guest/churn.sh's run in make repro-int3",
    "90 s": "make survey's LIMIT in the 6.12 survey",
    "150 s": "make survey's LIMIT in the 7.3 survey",
    "10 s": "the upstream lists' threshold for a fast test",
    "100 ms": "apic_bus_clock_test's busy wait",
    "5%": "apic_bus_clock_test's tolerance",
    "16384 pages": "the wall-time bench's pages a run",
    "200 ms": "pfec_spin_test's SPIN_MS, each spin's length",
    "1%": "bench-figures.sh's tolerance between the Bochs clock's two rates",
}
FIGURE = re.compile(r"(?<![\w.,])(\d[\d,]*(?:\.\d+)?\s?(?:%|ms|ns|µs|s|min|minutes?|seconds?|hours?"
                    r"|GiB|MiB|KiB|GB|MB|instructions?|faults/s|pages))(?![\w])")


def check_figures(d, bad):
    """No measured figure is typed into README.md or Documentation/*.rst: a
    number with a unit of time, size, speed or share stands only inside a
    README results block (rendered from results/), in a literal, or as one
    of the SETTINGS above."""
    for rel in docs():
        text = read(rel)
        # Results blocks and literal blocks keep their lines, blanked.
        text = re.sub(r"<!-- results .*?<!-- /results -->|```.*?```",
                      lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
        for i, line in enumerate(text.split("\n"), 1):
            line = re.sub(r"``.*?``|`[^`]*`", "", line)
            for m in FIGURE.finditer(line):
                if m.group(1) not in SETTINGS:
                    bad(rel, i, f"a figure typed by hand, '{m.group(1)}': cite its results file "
                        "(or, if it is a setting, add it to SETTINGS with what it is)")


def main():
    """Runs every check; prints the problems, then a line per check."""
    d, found, report = Data(), [], []
    for name, check in [("test lists", check_test_lists), ("layout", check_layout),
                        ("ops listing", check_ops_listing), ("numbers", check_numbers),
                        ("line refs", check_line_refs), ("counts", check_counts),
                        ("figures", check_figures)]:
        before = len(found)
        check(d, lambda rel, line, what: found.append(f"doccheck: {rel}:{line}: {what}"))
        report.append(("FAILED: " if len(found) > before else "ok: ") + name)
    print("\n".join(found + report))
    return 1 if any(r.startswith("FAILED") for r in report) else 0


if __name__ == "__main__":
    sys.exit(main())
