"""Audit the locked dependencies with pip-audit and say plainly what was and was not checked.

    python scripts/audit_deps.py [UV]

Exports uv.lock as pinned requirements (`uv export --frozen`), runs pip-audit on them
without resolving or installing anything (`--no-deps --disable-pip`), prints each known
vulnerability and a summary, and exits 1 if any dependency has one. Dependencies the
vulnerability service could not answer for are listed as unaudited, never as clean; with
AUDIT_STRICT=1 any unaudited dependency fails the run too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main() -> None:
    """Export, audit, summarise."""
    uv = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / ".tools" / "bin" / "uv")
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        report = Path(tmp) / "audit.json"
        exported = subprocess.run(  # noqa: S603
            [uv, "export", "--frozen", "--format", "requirements-txt", "--no-emit-project"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        requirements.write_text(exported.stdout)
        audit = subprocess.run(  # noqa: S603
            [
                str(BIN / "pip-audit"),
                "--requirement",
                str(requirements),
                "--no-deps",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--output",
                str(report),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if not report.exists():
            print(audit.stdout + audit.stderr)
            raise SystemExit(f"pip-audit failed with {audit.returncode} and wrote no report")
        deps = json.loads(report.read_text())["dependencies"]
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = len(deps) - len(skipped)
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    print(
        f"pip-audit: {len(deps)} locked dependencies, {audited} audited, "
        f"{len(vulnerable)} with known vulnerabilities, {len(skipped)} unaudited"
    )
    if skipped:
        reasons = {d["skip_reason"].split(":")[0] for d in skipped}
        print(f"UNAUDITED ({len(skipped)}): {'; '.join(sorted(reasons))}")
        if audited == 0:
            print("The vulnerability service answered for no dependency from this network.")
    if vulnerable or (skipped and os.environ.get("AUDIT_STRICT") == "1"):
        sys.exit(1)


if __name__ == "__main__":
    main()
