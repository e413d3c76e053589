#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The results files (results/*.txt) and the docs that show them.

Every measured figure has one home: the results file that the command which
measured it wrote (scripts/results.sh, write_result).  The docs never retype
a figure (scripts/doccheck.py fails on one):

- README.md shows figures only inside generated blocks:

      <!-- results NAME: TEMPLATE -->
      ...generated from results/NAME.txt...
      <!-- /results -->

  TEMPLATE is text with {key} fields from the file's figures ({key|min}
  gives seconds as minutes, {key|gb} bytes as GB); or @body, the text after
  the figures, as a transcript; or "@files GLOB...", the results files
  whose names match, with their dates and status.  A block names the file,
  its command, date and commit.
- Documentation/results.rst is generated whole: each results file, its
  status and its text (literalinclude).

A file's status is "current" while none of its inputs (paths in the
repository, from its header) differ between its commit and the work tree;
otherwise the docs show it as "measured at <commit>", never as current.

`make check` compares the README and results.rst with what the committed
results files (HEAD's) give, so that its own run, which writes
results/check.txt, or any other measurement, changes nothing it checks
until it is committed with the docs `make results` then writes.

Usage: results.py status | render | check
  status  one line a results file, from the work tree
  render  rewrite the README blocks and Documentation/results.rst from the
          work tree's results files (make results)
  check   fail (exit 1) when they are not what HEAD's results files give
"""

import difflib
import fnmatch
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(TOP, "README.md")
RESULTS_RST = os.path.join(TOP, "Documentation", "results.rst")
HEADER_KEYS = ("result", "command", "commit", "date", "machine", "kernel", "inputs")
BLOCK = re.compile(r"^([ \t]*)(<!-- results ([\w.-]+): (.*?) -->\n)(.*?)^[ \t]*<!-- /results -->",
                   re.S | re.M)


def git(*args, check=True):
    return subprocess.run(["git", "-C", TOP] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, check=check)


class Result:
    """One results file: its header and its figures."""

    def __init__(self, name, text):
        self.name = name
        self.text = text
        self.header = {}
        self.figures = {}
        lines = text.splitlines()
        body = None
        for i, line in enumerate(lines):
            if line.startswith("#"):
                continue
            if line == "---":
                body = lines[i + 1 :]
                break
            key, _, value = line.partition(": ")
            self.header[key] = value
        missing = [k for k in HEADER_KEYS if k not in self.header]
        if body is None or missing:
            raise ValueError("results/%s.txt: not a results file (no %s)"
                             % (name, ", ".join(missing) or "---"))
        # The figures: "key: value" lines up to the first blank line; the
        # text after it is free (a transcript, a table).
        self.body = body
        for line in body[: body.index("")] if "" in body else body:
            m = re.match(r"^([\w.-]+): (.*)$", line)
            if m:
                self.figures.setdefault(m.group(1), m.group(2))
        self.commit = self.header["commit"].split()[0]
        self.dirty = "uncommitted" in self.header["commit"]
        self.inputs = self.header["inputs"].split()

    def body_text(self):
        """The text after the figures: what follows the first blank line."""
        return "\n".join(self.body[self.body.index("") + 1 :] if "" in self.body else [])

    def status(self):
        """(current, words): whether the figures are of the work tree's
        inputs; current is None when this clone lacks the commit."""
        short = self.commit[:12]
        if self.dirty:
            return False, "measured at %s with uncommitted changes to its inputs" % short
        if not re.fullmatch(r"[0-9a-f]{40}", self.commit):
            return False, "measured at a commit it does not name"
        if git("cat-file", "-e", self.commit + "^{commit}", check=False).returncode:
            return None, "measured at %s, a commit this clone does not have" % short
        changed = git("diff", "--quiet", self.commit, "--", *self.inputs, check=False).returncode
        untracked = git("ls-files", "--others", "--exclude-standard", "--", *self.inputs).stdout
        if changed or untracked.strip():
            return False, "measured at %s; its inputs changed since" % short
        return True, "current: none of its inputs changed since %s" % short

    def field(self, spec):
        key, _, conv = spec.partition("|")
        if key not in self.figures:
            raise KeyError("results/%s.txt has no figure '%s'" % (self.name, key))
        value = self.figures[key]
        try:
            if conv == "min":
                return "%.1f min" % (int(value) / 60)
            if conv == "gb":
                return "%.1f GB" % (int(value) / 1e9)
        except ValueError:
            return value
        if conv:
            raise KeyError("unknown conversion '%s'" % conv)
        return value


def load(committed):
    """The results files, from HEAD (committed) or the work tree."""
    texts = {}
    if committed:
        names = git("ls-tree", "--name-only", "HEAD", "results/", check=False).stdout.split()
        for path in names:
            if path.endswith(".txt"):
                texts[os.path.basename(path)[:-4]] = git("show", "HEAD:" + path).stdout
    else:
        d = os.path.join(TOP, "results")
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if f.endswith(".txt"):
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    texts[f[:-4]] = fh.read()
    return {name: Result(name, text) for name, text in texts.items()}


def cite(r):
    current, words = r.status()
    c = "[`results/%s.txt`](results/%s.txt): `%s`, %s" % (r.name, r.name, r.header["command"],
                                                          r.header["date"][:10])
    return "%s, at %s" % (c, r.commit[:12]) if current else "%s; %s" % (c, words)


def render_block(results, name, template):
    if template.startswith("@files "):
        found = [r for n, r in sorted(results.items())
                 if any(fnmatch.fnmatch(n, g) for g in template.split()[1:])]
        if not found:
            return "Results files: none yet.\n"
        return "Results files: %s.\n" % "; ".join("(%s)" % cite(r) for r in found)
    if name not in results:
        return "Not measured yet: no `results/%s.txt`.\n" % name
    r = results[name]
    if template == "@body":
        # The file's text after its figures, as a transcript.
        return "```\n%s\n```\n\n(%s)\n" % (r.body_text().strip("\n"), cite(r))
    text = re.sub(r"\{([\w.|-]+)\}", lambda m: r.field(m.group(1)), template)
    return "%s (%s)\n" % (text, cite(r))


def render_readme(results, text):
    def one(m):
        indent = m.group(1)
        body = render_block(results, m.group(3), m.group(4))
        body = "".join(indent + line if line.strip() else line for line in body.splitlines(True))
        return indent + m.group(2) + body + indent + "<!-- /results -->"

    return BLOCK.sub(one, text)


def render_rst(results):
    out = [
        ".. SPDX-License-Identifier: GPL-2.0",
        "",
        "=======",
        "Results",
        "=======",
        "",
        "The figures this project has measured since results files exist, each",
        "in the file that the command which measured it wrote (``results/``),",
        "with the commit, the date, the machine and the kernel.  The README and",
        "the other pages cite these files; they never retype a figure.  This",
        "page is written by ``make results`` (``scripts/results.py``), and",
        "``make check`` fails when it, or a README block, is not what the",
        "committed results files give.  ``make survey``'s results, the",
        "evidence behind the upstream selftest lists, are in",
        "``selftests/survey/``, with the same header in comments.",
        "",
        "A file is *current* while none of its inputs (the paths named in its",
        "header) changed since its commit; otherwise it shows what was measured",
        "at that commit, and the command in its header measures it again.",
        "",
    ]
    if not results:
        out += ["No results file has been written yet.", ""]
    for name, r in sorted(results.items()):
        _, words = r.status()
        title = "``results/%s.txt``" % name
        out += [title, "=" * len(title), "",
                "``%s``, %s: %s." % (r.header["command"], r.header["date"][:10], words), "",
                ".. literalinclude:: ../results/%s.txt" % name, "   :language: none", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def strip_status(text, name):
    """TEXT without the status words of what cites results/NAME.txt."""
    cite = re.escape("results/%s.txt`](results/%s.txt)" % (name, name))
    text = re.sub(r"(%s: `[^`]*`, [\d-]+)(, at [0-9a-f]{12}|; measured at [^)]*)\)" % cite,
                  r"\1)", text)
    title = re.escape("``results/%s.txt``" % name)
    return re.sub(r"(^%s\n=+\n\n``[^`]*``, [\d-]+): .*\.$" % title, r"\1", text, flags=re.M)


def read(path):
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else "status"
    if cmd not in ("status", "render", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    readme, old_rst = read(README), read(RESULTS_RST)
    try:
        results = load(committed=(cmd == "check"))
        new_readme, new_rst = render_readme(results, readme), render_rst(results)
        statuses = {n: r.status() for n, r in results.items()}
    except (ValueError, KeyError, subprocess.CalledProcessError) as e:
        print("results: %s" % e, file=sys.stderr)
        return 1
    if cmd == "status":
        for name, r in sorted(results.items()):
            print("%-40s %s  %s" % ("results/%s.txt" % name, r.header["date"][:10], statuses[name][1]))
        return 0
    if cmd == "render":
        for path, old, new in ((README, readme, new_readme), (RESULTS_RST, old_rst, new_rst)):
            if new != old:
                write(path, new)
                print("results: %s rewritten" % os.path.relpath(path, TOP))
        return 0
    unknown = sorted(n for n, (current, _) in statuses.items() if current is None)
    bad = 0
    for path, old, new in ((README, readme, new_readme), (RESULTS_RST, old_rst, new_rst)):
        for n in unknown:
            # A shallow clone cannot tell these files' status: compare the
            # rest of what cites them.
            old, new = strip_status(old, n), strip_status(new, n)
        if old != new:
            bad += 1
            rel = os.path.relpath(path, TOP)
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), new.splitlines(True), rel, rel + " (from HEAD's results/)"))
    for n in unknown:
        print("results: cannot tell whether results/%s.txt is current: "
              "its commit is not in this clone" % n)
    blocks = {m.group(3) for m in BLOCK.finditer(readme)}
    print("results: %d committed results files, %d cited by README.md blocks"
          % (len(results), len(blocks & set(results))))
    if bad:
        print("results: the docs are not what the committed results give: run 'make results' "
              "and commit it with the results files")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
