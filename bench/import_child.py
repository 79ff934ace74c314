"""`python -m bench.import_child ROWS OUT`: import a generated CSV sheet of ROWS rows through the import service,
chunk by chunk as the progress page drives it, into the benchmark's database; write its timings and this
process's peak memory to OUT. Run in a fresh process per size, so each peak is the import's own.

The importer's id and (throwaway) private key come from BENCH_IMPORT_STAFF and BENCH_IMPORT_KEY."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def _status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status (Linux), in MiB."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_reset() -> None:
    """Start the peak (VmHWM) afresh from the current size, so the peak read later is the import's own
    (Linux: writing 5 to clear_refs); where that is not possible, the peak includes the set-up."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


def main() -> None:
    rows, out = int(sys.argv[1]), Path(sys.argv[2])
    import django

    django.setup()
    from bench import incidentgen
    from ferry.accounts.models import Staff
    from ferry.incidents import imports
    from ferry.incidents.import_models import ImportJob
    from ferry.vault.keyring import KeyRing

    staff = Staff.objects.get(pk=int(os.environ["BENCH_IMPORT_STAFF"]))
    ring = KeyRing(staff_id=staff.pk, private_key=bytes.fromhex(os.environ["BENCH_IMPORT_KEY"]))
    with tempfile.TemporaryDirectory(prefix="ferry-bench-import-") as folder:
        sheet = Path(folder) / "sheet.csv"
        with sheet.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(incidentgen.IMPORT_HEADINGS)
            writer.writerows(incidentgen.rows_iter(rows, seed=rows))
        peak_reset()
        before = _status_mib("VmRSS")
        began = time.perf_counter()
        with sheet.open("rb") as handle:
            job = imports.import_start(staff=staff, handle=handle, name="sheet.csv")
        sealed = time.perf_counter()
        job = imports.import_map(ring=ring, staff=staff, job_id=job.pk, mapping=dict(incidentgen.IMPORT_MAPPING))
        while job.state == ImportJob.State.CHECKING:
            job = imports.import_step(ring=ring, staff=staff, job_id=job.pk)
        checked = time.perf_counter()
        if job.rows_failed:
            raise RuntimeError(f"the dry run refused {job.rows_failed} generated rows")
        imports.import_run(ring=ring, staff=staff, job_id=job.pk)
        job.refresh_from_db()
        chunks = 0
        while job.state == ImportJob.State.IMPORTING:
            job = imports.import_step(ring=ring, staff=staff, job_id=job.pk)
            chunks += 1
        done = time.perf_counter()
        if job.state != ImportJob.State.IMPORTED or job.rows_done != rows:
            raise RuntimeError(f"the import ended {job.state} with {job.rows_done} of {rows} rows")
    figures = {
        "rows": rows,
        "seal_seconds": sealed - began,
        "check_seconds": checked - sealed,
        "import_seconds": done - checked,
        "total_seconds": done - began,
        "chunks": chunks,
        "rss_before_mib": before,
        "peak_mib": _status_mib("VmHWM"),
    }
    out.write_text(json.dumps(figures), encoding="utf-8")


if __name__ == "__main__":
    main()
