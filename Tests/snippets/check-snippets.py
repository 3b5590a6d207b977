#!/usr/bin/env python3
"""Compiles every Swift snippet of the documentation, so that a stale one fails the tests.

Usage: Tests/snippets/check-snippets.py [DOCUMENT.md ...]

The documents are README.md and every article of the DocC catalogs under Sources/ (or the
documents named on the command line). Each ```swift block is compiled; other blocks are ignored.

A document's blocks build on each other (a class in one block, `manager.add` in the next), so
they are compiled as programs: the first block of a document starts one, and each following
block is appended to it, in order, unless a directive says otherwise. A program is the
`main.swift` of an executable target of a generated package (.build/doc-snippets, depending on
this repository by path, with the products Cotyledon, CotyledonConfiguration,
CotyledonServiceLifecycle, Logging and ServiceLifecycle), built with `swift build`. Imports are
moved to the top of their program; `#sourceLocation` makes the compiler's messages name the
document and its line.

A directive is an HTML comment just before a block (blank lines may separate them); neither
GitHub nor DocC shows it:

    <!-- snippet: skip REASON -->     the block is not compiled; the reason is printed
    <!-- snippet: manifest -->        the block is a Package.swift: `swift package dump-package`
                                      evaluates it
    <!-- snippet: new -->             the block starts a new program (as if a new document)
    <!-- snippet: continue -->        the block is appended to the current program (the default)

`new` and `continue` may be followed, on the next lines of the comment, by hidden code that is
compiled before the block (a `manager` the block uses, a class its `override func` belongs to).
A line `<snippet>` in the hidden code marks where the block goes, for code that must also come
after it (a closing brace).

The output says, per document, what passed, what failed (with the compiler's errors) and what
was skipped and why, and ends with `N passed, N failed, N skipped`. Exit status: 0 when nothing
failed, 1 otherwise.
"""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / ".build" / "doc-snippets"
PRODUCTS = [
    ("Cotyledon", "swift-cotyledon"),
    ("CotyledonConfiguration", "swift-cotyledon"),
    ("CotyledonServiceLifecycle", "swift-cotyledon"),
    ("Logging", "swift-log"),
    ("ServiceLifecycle", "swift-service-lifecycle"),
]
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`\s]*)")
DIRECTIVE = re.compile(r"^\s*<!--\s*snippet:\s*(\S+)\s*(.*?)\s*$")
IMPORT = re.compile(r"^(@\w+\s+)*((public|package|internal|fileprivate|private)\s+)?import\s+\w")
PLACEHOLDER = "<snippet>"


class DirectiveError(Exception):
    """A directive that is malformed or stands where it applies to nothing."""


@dataclass
class Line:
    """A line of Swift code and the line of the document it comes from (1-based)."""
    number: int
    text: str


@dataclass
class Directive:
    """What an HTML comment before a block asks: a keyword, its text, hidden code."""
    keyword: str
    text: str
    line: int
    hidden: list = field(default_factory=list)


@dataclass
class Block:
    """A ```swift block: its code lines and the directive before it, if any."""
    line: int
    code: list
    directive: Directive = None


@dataclass
class Program:
    """The blocks compiled together as one executable target."""
    target: str
    lines: list = field(default_factory=list)
    first_line: int = 0


@dataclass
class Plan:
    """What to do with one document: programs to build, manifests to evaluate, skips."""
    document: str
    programs: list = field(default_factory=list)
    manifests: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    manifest_errors: list = field(default_factory=list)


def documents(arguments):
    """The documents to check: those named, or README.md and every DocC article under Sources/."""
    if arguments:
        return [Path(argument).resolve() for argument in arguments]
    return [ROOT / "README.md"] + sorted(ROOT.glob("Sources/*/*.docc/**/*.md"))


def read_directive(lines, index):
    """Reads the `<!-- snippet: … -->` comment starting at `lines[index]`; returns it and the
    index after it."""
    match = DIRECTIVE.match(lines[index])
    keyword, rest = match.group(1), match.group(2)
    line = index + 1
    if rest.endswith("-->"):
        return Directive(keyword, rest[:-3].strip(), line), index + 1
    directive = Directive(keyword, rest, line)
    index += 1
    while index < len(lines) and lines[index].strip() != "-->":
        if "-->" in lines[index]:
            raise DirectiveError(f"line {index + 1}: end the comment of line {line} with `-->` on a line of its own")
        directive.hidden.append(Line(index + 1, lines[index]))
        index += 1
    if index == len(lines):
        raise DirectiveError(f"line {line}: the comment is never closed with `-->`")
    return directive, index + 1


def parse(text):
    """The document's ```swift blocks, each with the directive just before it."""
    lines = text.split("\n")
    blocks, pending, index = [], None, 0
    while index < len(lines):
        if DIRECTIVE.match(lines[index]):
            if pending:
                raise DirectiveError(f"line {pending.line}: this directive is followed by another, not by a ```swift block")
            pending, index = read_directive(lines, index)
            continue
        fence = FENCE.match(lines[index])
        if not fence:
            if lines[index].strip() and pending:
                raise DirectiveError(f"line {pending.line}: a directive must stand just before a ```swift block")
            index += 1
            continue
        indent, marker, language = fence.groups()
        start, index = index, index + 1
        code = []
        while index < len(lines) and not re.match(rf"^\s*{re.escape(marker[0]) * len(marker)}\s*$", lines[index]):
            code.append(Line(index + 1, lines[index][len(indent):] if lines[index].startswith(indent) else lines[index].lstrip()))
            index += 1
        index += 1
        if language == "swift":
            blocks.append(Block(start + 1, code, pending))
        elif pending:
            raise DirectiveError(f"line {pending.line}: the directive stands before a ```{language} block, not a ```swift one")
        pending = None
    if pending:
        raise DirectiveError(f"line {pending.line}: the directive is followed by no ```swift block")
    return blocks


def target_name(document, count):
    """A module name for the `count`-th program of `document`, from its path:
    `Sources/Cotyledon/Cotyledon.docc/GettingStarted.md`, 1 → `Cotyledon_GettingStarted_1`."""
    path = re.sub(r"\.docc/|\.md$", "/", re.sub(r"^Sources/[^/]+/", "", document)).strip("/")
    return re.sub(r"[^A-Za-z0-9]+", "_", path) + f"_{count}"


def located(lines, document):
    """`lines` preceded by a `#sourceLocation` for each run of consecutive document lines."""
    result, previous = [], None
    for line in lines:
        if previous is None or line.number != previous + 1:
            result.append(f'#sourceLocation(file: "{document}", line: {line.number})')
        result.append(line.text)
        previous = line.number
    return result


def plan(path):
    """Groups a document's blocks into programs and manifests, and collects the skips."""
    document = os.path.relpath(path, ROOT)
    result = Plan(document)
    try:
        blocks = parse(path.read_text(encoding="utf-8"))
    except DirectiveError as error:
        result.errors.append(f"{document}: {error}")
        return result
    program = None
    for block in blocks:
        directive = block.directive or Directive("continue", "", block.line)
        if directive.keyword == "skip":
            if not directive.text:
                result.errors.append(f"{document}:{directive.line}: `snippet: skip` needs a reason")
            result.skipped.append(f"{document}:{block.line}: {directive.text}")
            continue
        if directive.keyword == "manifest":
            result.manifests.append(block)
            continue
        if directive.keyword not in ("new", "continue") or directive.text:
            result.errors.append(f"{document}:{directive.line}: unknown directive `snippet: {directive.keyword} {directive.text}`"
                                 " (skip REASON, manifest, new or continue)")
            continue
        if program is None or directive.keyword == "new":
            program = Program(target_name(document, len(result.programs) + 1), first_line=block.line)
            result.programs.append(program)
        before, after = directive.hidden, []
        placeholder = [i for i, line in enumerate(before) if line.text.strip() == PLACEHOLDER]
        if placeholder:
            before, after = before[:placeholder[0]], before[placeholder[0] + 1:]
        program.lines += before + block.code + after
    return result


def source(program, document):
    """The program's main.swift: its imports first, then its code, located in the document."""
    imports, body = [], []
    for line in program.lines:
        if IMPORT.match(line.text):
            if line.text.strip() not in imports:
                imports.append(line.text.strip())
            body.append(Line(line.number, ""))
        else:
            body.append(line)
    header = [f"// Generated by Tests/snippets/check-snippets.py from {document}; do not edit."]
    return "\n".join(header + imports + located(body, document) + ["#sourceLocation()", ""])


def write_if_changed(path, text):
    """Writes `text` to `path` unless it holds it already, so a warm build stays warm."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def manifest(targets):
    """The generated package's Package.swift: one executable target per program."""
    dependencies = ",\n".join(f'                .product(name: "{name}", package: "{package}")' for name, package in PRODUCTS)
    target_list = "".join(
        f'        .executableTarget(\n            name: "{target}",\n            dependencies: [\n{dependencies},\n            ]\n        ),\n'
        for target in targets)
    return f"""// swift-tools-version:6.0
// Generated by Tests/snippets/check-snippets.py: the documentation's Swift snippets, one
// executable target per program. Do not edit.
import PackageDescription

let package = Package(
    name: "doc-snippets",
    dependencies: [
        .package(name: "swift-cotyledon", path: "../.."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
{target_list}    ]
)
"""


def generate(plans):
    """Writes the package, removing the targets of programs that no longer exist."""
    targets = {}
    for document_plan in plans:
        for program in document_plan.programs:
            targets[program.target] = source(program, document_plan.document)
    write_if_changed(PACKAGE / "Package.swift", manifest(sorted(targets)))
    resolved = PACKAGE / "Package.resolved"
    if not resolved.exists() and (ROOT / "Package.resolved").exists():
        shutil.copyfile(ROOT / "Package.resolved", resolved)   # the same versions as the package's own build
    sources = PACKAGE / "Sources"
    if sources.exists():
        for stale in sources.iterdir():
            if stale.name not in targets:
                shutil.rmtree(stale)
    for target, text in targets.items():
        write_if_changed(sources / target / "main.swift", text)


def swift(arguments):
    """Runs `swift ARGUMENTS`; returns its status and its output (stdout and stderr)."""
    run = subprocess.run(["swift"] + arguments, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return run.returncode, run.stdout


def diagnostics(output):
    """The compiler's errors, each once, with their notes and the quoted code; or all of the
    output when it holds none (a failure before compiling)."""
    kept, seen, keep = [], set(), False
    for line in output.splitlines():
        if re.search(r":\d+:\d+: (error|warning|note):", line):
            keep = (": error:" in line and line not in seen) or (": note:" in line and keep)
            seen.add(line)
        elif re.match(r"^\[\d+/\d+\]|^Building|^Compiling|^Build |^error: \S+ command failed", line):
            keep = False
        if keep:
            kept.append(line)
    return "\n".join(kept) if kept else output.strip()


def evaluate_manifest(document, block):
    """Evaluates a Package.swift block with `swift package dump-package`; returns the errors."""
    directory = PACKAGE / "manifests" / f"{target_name(document, block.line)}"
    write_if_changed(directory / "Package.swift", "\n".join(line.text for line in block.code) + "\n")
    status, output = swift(["package", "--package-path", str(directory), "dump-package"])
    return None if status == 0 else f"{document}:{block.line}: the manifest does not evaluate:\n{diagnostics(output)}"


def build(plans):
    """Builds every program; returns the failures per target. One build when all pass; when it
    fails, each program is built alone so that every failure is found and attributed."""
    status, output = swift(["build", "--package-path", str(PACKAGE)])
    if status != 0 and "because of missing inputs" in output:
        # SwiftPM keeps the build plan of the generated package, which depends on this one by
        # path, when a source file of this package is moved or deleted; build it anew.
        shutil.rmtree(PACKAGE / ".build", ignore_errors=True)
        status, output = swift(["build", "--package-path", str(PACKAGE)])
    if status == 0:
        return {}
    failures = {}
    for document_plan in plans:
        for program in document_plan.programs:
            status, output_alone = swift(["build", "--package-path", str(PACKAGE), "--product", program.target])
            if status != 0:
                failures[program.target] = diagnostics(output_alone)
    if not failures:
        failures[""] = diagnostics(output)   # the package failed as a whole (resolution, a dependency)
    return failures


def report(plans, failures):
    """Prints each document's result and the totals; returns whether everything passed."""
    passed = failed = 0
    skipped = []
    if "" in failures:
        print(f"doc snippets: the generated package ({os.path.relpath(PACKAGE, ROOT)}) did not build:\n{failures['']}")
    for document_plan in plans:
        problems = document_plan.errors + document_plan.manifest_errors
        for program in document_plan.programs:
            if program.target in failures:
                problems.append(f"{document_plan.document}: the program that starts at line {program.first_line}"
                                f" does not compile:\n{failures[program.target]}")
        compiled = len(document_plan.programs) + len(document_plan.manifests)
        skipped += document_plan.skipped
        if not compiled and not problems:
            continue
        if problems or "" in failures:
            failed += 1
            print(f"doc snippets: {document_plan.document}: FAILED")
            for problem in problems:
                print("  " + problem.replace("\n", "\n    "))
        else:
            passed += 1
            print(f"doc snippets: {document_plan.document}: passed ({plural(len(document_plan.programs), 'program')}"
                  f"{', ' + plural(len(document_plan.manifests), 'manifest') if document_plan.manifests else ''})")
    for skip in skipped:
        print(f"doc snippets: skipped {skip}")
    print(f"doc snippets: {passed} passed, {failed} failed, {len(skipped)} skipped")
    return failed == 0


def plural(count, noun):
    """`1 program`, `2 programs`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def main():
    plans = [plan(path) for path in documents(sys.argv[1:])]
    generate(plans)
    for document_plan in plans:
        for block in document_plan.manifests:
            error = evaluate_manifest(document_plan.document, block)
            if error:
                document_plan.manifest_errors.append(error)
    count = sum(len(document_plan.programs) for document_plan in plans)
    print(f"doc snippets: building {plural(count, 'program')} in {os.path.relpath(PACKAGE, ROOT)}", flush=True)
    failures = build(plans) if count else {}
    return 0 if report(plans, failures) else 1


if __name__ == "__main__":
    sys.exit(main())
