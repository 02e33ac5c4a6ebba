"""The files a Dockerfile puts into its image from the build context, laid out as in the image.

The native stack installs into each service's venv the project exactly as its image copies it
(the stage that copies pyproject.toml, with the packages beside it), so a COPY line that is
missing breaks `make up` as it would break the image, and the service user runs code installed
in the state folder, never the checkout (which may sit in a private home folder). The image
rehearsal test uses it the same way for every Dockerfile.

Understood: `FROM ... [AS name]` stages, `WORKDIR`, `ENV`, `USER`, `CMD`, `ENTRYPOINT`,
`HEALTHCHECK`, and `COPY`/`ADD` from the context (the `--from=` copies between stages are the
locked venv, which the caller provides); `.dockerignore` with Docker's rules (`**`, `!`
exceptions, last match wins, a matched folder excludes what it holds). Each copy records the
Dockerfile lines it spans, so a test can drop one and rehearse the image without it. Standard
library only: it runs before any venv.

    python3 image_files.py describe DOCKERFILE [--context DIR] [--all]    # JSON: final stage, or all
    python3 image_files.py assemble DOCKERFILE DEST [--context DIR]       # copies; prints WORKDIR
    python3 image_files.py project DOCKERFILE DEST [--context DIR]        # the stage copying
        # pyproject.toml laid out; prints the folder (in the image) that holds pyproject.toml
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import posixpath
import re
import shlex
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Copy:
    sources: list[str]
    dest: str  # absolute path in the image; ends with "/" when it names a folder
    line: int  # the Dockerfile lines of the instruction, first and last (1-based)
    end_line: int


@dataclass
class Stage:
    base: str
    name: str | None = None
    workdir: str = "/"
    user: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    copies: list[Copy] = field(default_factory=list)
    cmd: list[str] | None = None
    entrypoint: list[str] | None = None
    healthcheck: list[str] | None = None  # the HEALTHCHECK's command; [] for HEALTHCHECK NONE


@dataclass
class Instruction:
    keyword: str  # upper case
    arguments: str
    line: int  # first and last Dockerfile line (1-based), continuation lines included
    end_line: int


def instructions(text: str) -> list[Instruction]:
    """The instructions, with continuation lines joined and comments dropped."""
    result: list[Instruction] = []
    pending, first = "", 0

    def add(joined: str, last: int) -> None:
        keyword, _, rest = joined.strip().partition(" ")
        result.append(Instruction(keyword.upper(), rest.strip(), first, last))

    number = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if not pending:
            first = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if line:
            add(line, number)
    if pending.strip():
        add(pending, number)
    return result


def _words(arguments: str) -> list[str]:
    """The exec (JSON) or shell form of an instruction's arguments, as a list of words."""
    if arguments.startswith("["):
        return [str(word) for word in json.loads(arguments)]
    return shlex.split(arguments)


def _command(arguments: str) -> list[str]:
    if arguments.startswith("["):
        return [str(word) for word in json.loads(arguments)]
    return ["/bin/sh", "-c", arguments]


_FLAGS = re.compile(r"^(?:--\S+\s+)*")


def _healthcheck(arguments: str) -> list[str]:
    """The command of `HEALTHCHECK [--option=value ...] CMD command`; [] for `HEALTHCHECK NONE`."""
    match = re.match(_FLAGS.pattern + r"(CMD|NONE)\b\s*(.*)$", arguments, re.IGNORECASE | re.DOTALL)
    if not match:
        raise ValueError(f"HEALTHCHECK {arguments}: neither CMD nor NONE")
    return [] if match.group(1).upper() == "NONE" else _command(match.group(2).strip())


def _env(arguments: str, env: dict[str, str]) -> None:
    words = shlex.split(arguments)
    if words and "=" not in words[0]:  # the legacy `ENV KEY value` form
        env[words[0]] = arguments.split(None, 1)[1] if len(words) > 1 else ""
        return
    for word in words:
        key, _, value = word.partition("=")
        env[key] = re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), m.group(0)), value)


def parse(text: str) -> list[Stage]:
    stages: list[Stage] = []
    for instruction in instructions(text):
        keyword, arguments = instruction.keyword, instruction.arguments
        if keyword == "FROM":
            words = arguments.split()
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
            continue
        if not stages:
            continue  # ARG before the first FROM
        stage = stages[-1]
        if keyword == "WORKDIR":
            stage.workdir = posixpath.normpath(posixpath.join(stage.workdir, arguments))
        elif keyword == "USER":
            stage.user = arguments
        elif keyword == "ENV":
            _env(arguments, stage.env)
        elif keyword == "CMD":
            stage.cmd = _command(arguments)
        elif keyword == "ENTRYPOINT":
            stage.entrypoint = _command(arguments)
        elif keyword == "HEALTHCHECK":
            stage.healthcheck = _healthcheck(arguments)
        elif keyword in ("COPY", "ADD"):
            # Flags (`--chown=`, `--link`, ...) come first; `--from=` copies from another stage.
            leading = _FLAGS.match(arguments)
            flags = leading.group(0).split() if leading else []
            words = _words(arguments[leading.end() if leading else 0 :])
            if any(flag.startswith("--from") for flag in flags) or len(words) < 2:
                continue
            *sources, dest = words
            # `dir/`, `.` and `..` name folders; Docker then copies into them.
            folder = dest.endswith("/") or posixpath.basename(dest) in (".", "..")
            absolute = posixpath.normpath(posixpath.join(stage.workdir, dest))
            if folder:
                absolute = absolute.rstrip("/") + "/"
            stage.copies.append(Copy(sources, absolute, instruction.line, instruction.end_line))
    if not stages:
        raise ValueError("no FROM instruction")
    return stages


class DockerIgnore:
    """`.dockerignore` of a build context: which context paths stay out of the build."""

    def __init__(self, text: str = "") -> None:
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            pattern = posixpath.normpath(line.lstrip("!").strip()).lstrip("/")
            self.rules.append((negated, re.compile(self._regex(pattern))))

    @staticmethod
    def _regex(pattern: str) -> str:
        out, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                out, i = out + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                out, i = out + ".*", i + 2
            elif pattern[i] == "*":
                out, i = out + "[^/]*", i + 1
            elif pattern[i] == "?":
                out, i = out + "[^/]", i + 1
            else:
                out, i = out + re.escape(pattern[i]), i + 1
        return f"^{out}$"

    def excludes(self, relative: str) -> bool:
        parts = relative.split("/")
        candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        excluded = False
        for negated, regex in self.rules:
            if any(regex.match(candidate) for candidate in candidates):
                excluded = not negated
        return excluded


def _context_files(context: Path, source: str, ignore: DockerIgnore) -> list[tuple[Path, str]]:
    """(file, path relative to the source's root) for a COPY source, minus ignored files."""
    pattern = posixpath.normpath(source).lstrip("/")
    if pattern in (".", ""):
        matches = [context]
    else:
        matches = sorted(
            path
            for path in context.glob(pattern)
            if path == context / pattern or fnmatch.fnmatch(path.relative_to(context).as_posix(), pattern)
        )
    found: list[tuple[Path, str]] = []
    for match in matches:
        relative = match.relative_to(context).as_posix()
        if match.is_file():
            if relative == "." or not ignore.excludes(relative):
                found.append((match, match.name))
            continue
        for path in sorted(match.rglob("*")):
            inner = path.relative_to(context).as_posix()
            if path.is_file() and not ignore.excludes(inner):
                found.append((path, path.relative_to(match).as_posix()))
    return found


def placements(stage: Stage, context: Path) -> list[tuple[Path, str]]:
    """(context file, absolute path in the image) for every file the stage copies from the context."""
    ignore_file = context / ".dockerignore"
    ignore = DockerIgnore(ignore_file.read_text(encoding="utf-8") if ignore_file.exists() else "")
    placed: list[tuple[Path, str]] = []
    for copy in stage.copies:
        into_dir = copy.dest.endswith("/") or len(copy.sources) > 1
        for source in copy.sources:
            files = _context_files(context, source, ignore)
            if not files:
                raise FileNotFoundError(f"COPY {source}: nothing in the build context {context}")
            single_file = len(files) == 1 and (context / source.lstrip("/")).is_file()
            for path, relative in files:
                if single_file and not into_dir:
                    placed.append((path, posixpath.normpath(copy.dest)))
                else:
                    placed.append((path, posixpath.join(copy.dest, relative)))
    return placed


def assemble(stage: Stage, context: Path, dest: Path) -> None:
    """Copy the stage's context files to `dest`, which stands for the image's `/`."""
    for source, target in placements(stage, context):
        path = dest / target.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        # Readable by every user, as the image's non-root USER needs, whatever the checkout's umask was.
        path.chmod(0o755 if source.stat().st_mode & 0o111 else 0o644)


def project_stage(stages: list[Stage], context: Path) -> tuple[Stage, str]:
    """The stage that copies pyproject.toml (it installs the project), and that file's folder."""
    for stage in stages:
        for _, target in placements(stage, context):
            if posixpath.basename(target) == "pyproject.toml":
                return stage, posixpath.dirname(target)
    raise FileNotFoundError("no stage copies pyproject.toml: the image installs no package of ours")


def _described(stage: Stage, context: Path) -> dict[str, object]:
    described = asdict(stage)
    described["files"] = [target for _, target in placements(stage, context)]
    return described


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["describe", "assemble", "project"])
    parser.add_argument("dockerfile", type=Path)
    parser.add_argument("dest", type=Path, nargs="?", help="assemble: the folder standing for the image's /")
    parser.add_argument("--context", type=Path, help="the build context (default: the Dockerfile's parent)")
    parser.add_argument("--stage", help="a stage name or index, 0 first (default: the last stage)")
    parser.add_argument("--all", action="store_true", help="describe: a list of every stage, in order")
    args = parser.parse_args(argv)
    context = (args.context or args.dockerfile.parent).resolve()
    stages = parse(args.dockerfile.read_text(encoding="utf-8"))
    if args.stage is None:
        stage: Stage | None = stages[-1]
    elif args.stage.isdigit():
        stage = stages[int(args.stage)] if int(args.stage) < len(stages) else None
    else:
        stage = next((s for s in stages if s.name == args.stage), None)
    if stage is None:
        parser.error(f"no stage named {args.stage}")
    try:
        if args.action == "project":
            if args.dest is None:
                parser.error("project needs DEST")
            stage, folder = project_stage(stages, context)
            if args.dest.exists():
                shutil.rmtree(args.dest)
            assemble(stage, context, args.dest)
            print(folder)
        elif args.action == "describe":
            described = [_described(s, context) for s in (stages if args.all else [stage])]
            json.dump(described if args.all else described[0], sys.stdout, indent=2)
            print()
        else:
            if args.dest is None:
                parser.error("assemble needs DEST")
            if args.dest.exists():
                shutil.rmtree(args.dest)
            assemble(stage, context, args.dest)
            print(stage.workdir)
    except FileNotFoundError as error:
        print(f"{args.dockerfile}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
