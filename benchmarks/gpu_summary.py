"""summary.md of a benchmarks/gpu_check.sh run: the machine, each step's status, the gpu tests'
outcome and the benchmark tables, ready to read (and to paste into docs/gpu.md).

    python -m benchmarks.gpu_summary OUTDIR [--dry-run]    # gpu_check.sh runs it last, there
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from benchmarks import run  # its table printer

TABLES = (("gpu.json", "The benchmark table"),
          ("epoch.json", "The lecture PixelRNN's epoch, its profile and its levers"),
          ("compile.json", "Throughput with torch.compile in the engine"))


def pytest_outcome(path: Path) -> list[str]:
    if not path.is_file():
        return ["no pytest.xml: the tests did not finish (see gpu_check.log)"]
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    lines = [f"{passed} passed, {counts['failures']} failed, {counts['errors']} errors, "
             f"{counts['skipped']} skipped ({float(suite.get('time', 0)):.0f} s)", ""]
    for case in suite.iter("testcase"):
        for outcome in ("failure", "error", "skipped"):
            found = case.find(outcome)
            if found is not None:
                message = (found.get("message") or "").strip().splitlines()
                lines.append(f"- {outcome}: `{case.get('name')}`: {message[0] if message else ''}")
                break
        else:
            lines.append(f"- passed: `{case.get('name')}` ({float(case.get('time', 0)):.1f} s)")
    return lines


def table(path: Path) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run.print_table(json.loads(path.read_text()))
    return out.getvalue().strip()


def summary(outdir: Path, dry_run: bool) -> str:
    import platform
    import time

    import torch

    from studio.data import find_course_data
    from studio.train.devices import describe_device

    course = find_course_data()
    lines = [f"# GPU check: {describe_device()}, {time.strftime('%Y-%m-%d')}"
             f"{' (dry run on the CPU, tiny sizes)' if dry_run else ''}", "",
             f"torch {torch.__version__} (CUDA {torch.version.cuda or '-'}), python {platform.python_version()}; "
             f"course data: {course or 'not found, the built-in creatures instead'}", "",
             "| step | status | seconds |", "|---|---|---|"]
    status = outdir / "steps.tsv"
    for row in status.read_text().splitlines() if status.is_file() else []:
        name, rc, seconds = row.split("\t")
        said = "ok" if rc == "0" else "timed out" if rc in ("124", "137") else f"failed (exit {rc})"
        lines.append(f"| {name} | {said} | {seconds} |")
    lines += ["", "## pytest -m gpu", "", *pytest_outcome(outdir / "pytest.xml")]
    for name, title in TABLES:
        if (outdir / name).is_file():
            if name == "compile.json" and not json.loads((outdir / name).read_text())["compile"]:
                title += ": not compiled in this run"
            lines += ["", f"## {title} ({name})", "", "```", table(outdir / name), "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    outdir = Path(sys.argv[1])
    (outdir / "summary.md").write_text(summary(outdir, "--dry-run" in sys.argv[2:]))
    print((outdir / "summary.md").read_text())
