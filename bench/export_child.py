"""`python -m bench.export_child make INCIDENTS OUT`: a throwaway database of INCIDENTS generated incidents
(bench/incidentgen.py), an analyst, and the export measured in a fresh process against it (`measure OUT`, with
the analyst's id and throwaway private key in BENCH_EXPORT_STAFF and BENCH_EXPORT_KEY); its figures go to OUT.

Measured, in a process that did nothing before but start Django: preparing the release (the first pass
counting combinations, the second writing the rows into the sealed stream) and downloading it (read through
once for the hash, then streamed), each for its time and its peak memory above where it started (peak RSS,
VmHWM after a reset), and the prepare once more under tracemalloc for the Python heap's peak alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.import_child import _status_mib, peak_reset

QUESTION = {"format": "acled_csv", "date_setting": "year", "threshold": 10}


def make(incidents: int, out: Path) -> None:
    from bench import child

    prepared = child.prepare()
    try:
        from django.conf import settings
        from django.db import connection

        from bench import incidentgen
        from bench.bench_cases import analyse
        from ferry.accounts.services import staff_create_active

        shape = incidentgen.Shape(
            incidents=incidents, acts=3 * incidents, perpetrators=max(200, incidents // 50), hot_acts=100
        )
        generated = incidentgen.generate(shape)
        settings.FERRY_KDF_PROFILE = "insecure-fast-test"
        analyst = staff_create_active(
            email="bench-analyst@example.org", roles=["analyst"], passphrase=incidentgen.PASSPHRASE, display_name="N"
        )
        analyse()
        connection.close()
        env = child.child_env()
        env["BENCH_EXPORT_STAFF"] = str(analyst.staff.pk)
        env["BENCH_EXPORT_KEY"] = analyst.private_key.hex()
        subprocess.run([sys.executable, "-m", "bench.export_child", "measure", str(out)], env=env, check=True)
        figures = json.loads(out.read_text(encoding="utf-8"))
        figures["generate_seconds"] = generated.seconds
        out.write_text(json.dumps(figures), encoding="utf-8")
    finally:
        child.cleanup(prepared)


def _prepare(staff: Any, ring: Any) -> Any:
    from ferry.advocacy import releases
    from ferry.advocacy.exports.services import ExportQuestion, export_output

    output = export_output(staff=staff, question=ExportQuestion(**QUESTION))  # type: ignore[arg-type]
    return releases.release_prepare(ring=ring, staff=staff, output=output)


def measure(out: Path) -> None:
    import django

    django.setup()
    from ferry.accounts.models import Staff
    from ferry.advocacy import releases
    from ferry.advocacy.exports import services
    from ferry.incidents.models import Incident
    from ferry.vault.keyring import KeyRing

    staff = Staff.objects.get(pk=int(os.environ["BENCH_EXPORT_STAFF"]))
    ring = KeyRing(staff_id=staff.pk, private_key=bytes.fromhex(os.environ["BENCH_EXPORT_KEY"]))
    incidents = Incident.objects.count()
    services.Vocabularies.read()  # modules and the first query warm, as in a running server

    peak_reset()
    before = _status_mib("VmRSS")
    began = time.perf_counter()
    release = _prepare(staff, ring)
    prepared = time.perf_counter() - began
    prepare_peak = _status_mib("VmHWM") - before

    peak_reset()
    before = _status_mib("VmRSS")
    began = time.perf_counter()
    served = releases.release_stream(ring=ring, staff=staff, reference=release.reference)
    size = sum(len(piece) for piece in served.chunks)
    downloaded = time.perf_counter() - began
    download_peak = _status_mib("VmHWM") - before
    if size != release.size:
        raise RuntimeError("the download is not the whole release")

    tracemalloc.start()
    _prepare(staff, ring)
    _current, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    figures = {
        "incidents": incidents,
        "rows": release.suppressed["rows_published"],
        "withheld": release.suppressed["rows"],
        "bytes": release.size,
        "prepare_seconds": prepared,
        "prepare_peak_mib": prepare_peak,
        "download_seconds": downloaded,
        "download_peak_mib": download_peak,
        "traced_peak_mib": traced / 2**20,
        "rss_before_mib": before,
    }
    out.write_text(json.dumps(figures), encoding="utf-8")


def main() -> None:
    if sys.argv[1:2] == ["make"] and len(sys.argv) == 4:
        make(int(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1:2] == ["measure"] and len(sys.argv) == 3:
        measure(Path(sys.argv[2]))
    else:
        sys.exit("usage: python -m bench.export_child make INCIDENTS OUT | measure OUT")


if __name__ == "__main__":
    main()
