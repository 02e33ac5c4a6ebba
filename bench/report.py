"""One benchmark report (a script that prints numbers, not a test): `make bench`.

Runs the ETL, content API, search relevance, auth and freshness benchmarks in turn
(`bench.etl`, `bench.api`, `bench.relevance`, `bench.auth`, `bench.freshness`; their own output
streams through), each with `--json`, and prints one table: every figure next to the baseline
measured in the same run, their ratio, the target and whether it was met, under a line
describing the machine. `--readme` also puts the
table into README.md (between the `bench-report` markers); the latest run is kept in
`.state/bench/`.

    python -m bench.report                         # the full run (about half an hour)
    python -m bench.report --quick                 # small sizes: checks the pipeline, not the targets
    python -m bench.report --only api --api "--seconds 5"
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.figures import Figure, load

ROOT = Path(__file__).resolve().parents[1]

README = ROOT / "README.md"
START_MARK = "<!-- bench-report:start -->"
END_MARK = "<!-- bench-report:end -->"
# Freshness last: it needs Airflow, which it starts for itself under `stack.sh bench` and stops after.
BENCHES = ("etl", "api", "relevance", "auth", "freshness")
# Small sizes that run every script end to end in a few minutes: for checking the report itself.
QUICK_ARGS = {
    "etl": "--films 2000 --memory-films 20000 --rounds 1",
    "api": "--seconds 2 --rounds 1 --films 1000",
    "relevance": "--films 1000 --sample 300",
    "auth": "--seconds 3 --rounds 1",
    "freshness": "--changes 5 --baseline-changes 2 --spacing 2",
}
HEADER = ("bench", "figure", "value", "baseline (same run)", "ratio", "target", "result")


@dataclass
class BenchRun:
    """One script's run: its figures, or why there are none."""

    bench: str
    command: list[str]
    seconds: float = 0.0
    figures: list[Figure] = field(default_factory=list)
    error: str = ""


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_gib: float
    cpu_model: str
    system: str

    @classmethod
    def this_one(cls) -> Machine:
        cpu_model = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor() or "unknown CPU",
        )
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        return cls(os.cpu_count() or 1, kib / 1024**2, cpu_model, os_name())

    def describe(self) -> str:
        return f"{self.cores} cores ({self.cpu_model}), {self.memory_gib:.0f} GiB RAM, {self.system}"


def os_name() -> str:
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.partition("=")[2].strip('"')
    return platform.platform()


# ------------------------------------------------------------------------------ running the scripts
def run_bench(bench: str, extra: list[str], work: Path, script: Path | None = None) -> BenchRun:
    """Run `python -m bench.<bench>` (or `script`) with `--json`; a failure becomes the run's error."""
    program = [str(script)] if script else ["-m", f"bench.{bench}"]
    name = script.name if script else f"bench.{bench}"
    results = work / f"{bench}.json"
    results.unlink(missing_ok=True)
    command = [sys.executable, *program, *extra, "--json", str(results)]
    run = BenchRun(bench, command)
    print(f"\n=== python -m {name} {shlex.join(extra)}", flush=True)
    started = time.monotonic()
    # The script's output goes straight to the terminal: its progress and detail stay visible.
    returncode = subprocess.run(command, cwd=ROOT, check=False).returncode
    run.seconds = time.monotonic() - started
    if returncode != 0:
        run.error = f"{name} failed (exit code {returncode})"
    elif not results.exists():
        run.error = f"{name} wrote no figures"
    else:
        run.figures = load(results)
    return run


# ------------------------------------------------------------------------------ the table
def number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def rows(runs: list[BenchRun]) -> list[tuple[str, ...]]:
    table: list[tuple[str, ...]] = []
    for run in runs:
        if run.error:
            table.append((run.bench, run.error, "", "", "", "", "ERROR"))
        for f in run.figures:
            baseline = ""
            if f.baseline is not None:
                baseline = f"{number(f.baseline)} {f.unit}"
                if f.baseline_name:
                    baseline += f": {f.baseline_name}"
            ratio = f"{f.ratio:.0%}" if f.ratio is not None else ""
            result = {True: "pass", False: "FAIL", None: ""}[f.passed]
            table.append(
                (run.bench, f.name, f"{number(f.value)} {f.unit}", baseline, ratio, f.target, result)
            )
    return table


def plain_table(table: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [HEADER, *table]) for i in range(len(HEADER))]
    right = {2, 4}  # numbers line up on the right

    def line(row: tuple[str, ...]) -> str:
        cells = (
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(HEADER), rule, *(line(row) for row in table)])


def markdown_table(table: list[tuple[str, ...]]) -> str:
    def line(row: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"

    align = "|" + "|".join("---:" if i in (2, 4) else "---" for i in range(len(HEADER))) + "|"
    return "\n".join([line(HEADER), align, *(line(row) for row in table)])


def context_line(machine: Machine, when: datetime.datetime, load: tuple[float, float], minutes: float) -> str:
    return (
        f"Run {when:%Y-%m-%d %H:%M} UTC ({minutes:.0f} min) on {machine.describe()};"
        f" load average {load[0]:.1f} at the start, {load[1]:.1f} at the end."
    )


def readme_section(context: str, commands: list[str], table: str) -> str:
    run_with = "; ".join(f"`{c}`" for c in commands)
    return f"{START_MARK}\n{context}\n\nScripts run: {run_with}.\n\n{table}\n{END_MARK}"


def update_readme(section: str, readme: Path = README) -> bool:
    """Replace the marked section of the README; False when it has no such section."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(START_MARK), text.find(END_MARK)
    if start < 0 or end < start:
        return False
    readme.write_text(text[:start] + section + text[end + len(END_MARK) :], encoding="utf-8")
    return True


# ------------------------------------------------------------------------------ main
def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only", default=",".join(BENCHES), help="comma-separated: etl,api,relevance,auth,freshness"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (a check of the report)")
    for bench in BENCHES:
        parser.add_argument(
            f"--{bench}", default="", metavar="ARGS", help=f"arguments for python -m bench.{bench}"
        )
    parser.add_argument("--readme", action="store_true", help="put the table into README.md")
    parser.add_argument("--out", type=Path, default=ROOT / ".state" / "bench", help="where the run is kept")
    args = parser.parse_args()

    selected = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(selected) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)

    machine = Machine.this_one()
    when = datetime.datetime.now(datetime.UTC)
    load_start = os.getloadavg()[0]
    started = time.monotonic()
    runs = []
    for bench in selected:
        extra = shlex.split((QUICK_ARGS[bench] if args.quick else "") + " " + getattr(args, bench))
        runs.append(run_bench(bench, extra, args.out))
    minutes = (time.monotonic() - started) / 60
    context = context_line(machine, when, (load_start, os.getloadavg()[0]), minutes)
    context += " Took " + ", ".join(f"{run.bench} {run.seconds / 60:.1f} min" for run in runs) + "."
    if os.environ.get("BENCH_AIRFLOW_STOPPED"):
        context += " Airflow was stopped for the run (`make bench` does that; the rest of the stack ran)."
    if args.quick:
        context += " Quick sizes: a check of the pipeline, not of the targets."

    table = rows(runs)
    print(f"\n{context}\n")
    print(plain_table(table))
    commands = [shlex.join(["python", "-m", f"bench.{r.bench}", *r.command[3:-2]]) for r in runs]
    section = readme_section(context, commands, markdown_table(table))
    (args.out / "report.md").write_text(section + "\n", encoding="utf-8")
    print(f"\nmarkdown: {args.out / 'report.md'}")
    if args.readme:
        if update_readme(section):
            print("README.md: benchmark table updated")
        else:
            print(f"README.md has no {START_MARK} ... {END_MARK} section; not updated")
            return 1
    return 1 if any(run.error for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
