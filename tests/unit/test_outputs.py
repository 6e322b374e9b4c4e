"""Writing a run's outputs (pytest_glustercheck/outputs.py) and the nightly command's report
retention (nightly.py): every failure is one "cannot check" line, no file keeps an old verdict."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from glustercheck import report as rpt
from glustercheck.report import CheckResult, build_summary
from pytest_glustercheck import nightly
from pytest_glustercheck.outputs import write_outputs


def healthy() -> dict:
    check = CheckResult("checks/test_a.py::test_a[rpi0]", "rpi0", "passed", "", 0.1, "x")
    return build_summary(results=[check], started=1000.0, finished=1005.0,
                         spec={"nodes": [{"name": "rpi0", "address": "10.0.1.0"}], "volumes": []},
                         nodes={}, node_errors={}, cluster=None, setup=None, nightly=True)


def full_disk_for(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = rpt.write_atomic

    def write(path: Path, text: str) -> None:
        if path.name == name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, text)

    monkeypatch.setattr(rpt, "write_atomic", write)
    real_metrics = rpt.write_textfile

    def write_metrics(path: Path, summary: object) -> None:
        if path.name == name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_metrics(path, summary)  # type: ignore[arg-type]

    monkeypatch.setattr(rpt, "write_textfile", write_metrics)


def test_everything_written_when_nothing_fails(tmp_path: Path) -> None:
    summary = healthy()
    failures = write_outputs(summary, directory=tmp_path, nightly=True, keep=3,
                             textfile=tmp_path / "m.prom")
    assert failures == []
    assert json.loads((tmp_path / "summary.json").read_text())["verdict"] == "healthy"
    assert summary["trend"]["first_run"] is True
    assert "glustercheck_verdict 0" in (tmp_path / "m.prom").read_text()
    assert len(list((tmp_path / "history").glob("summary-*.json"))) == 1


def test_a_file_written_piece_by_piece_replaces_the_old_one_whole_or_not_at_all(
        tmp_path: Path) -> None:
    """summary.json is streamed into its temporary file (never one string in memory): a write
    that fails half way leaves the previous summary as it was and no temporary file."""
    target = tmp_path / "summary.json"
    target.write_text('{"verdict": "healthy"}')

    def full_disk_half_way(out) -> None:  # type: ignore[no-untyped-def]
        out.write('{"verdict": ')
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OSError, match="No space left on device"):
        rpt.write_atomic(target, full_disk_half_way)
    assert target.read_text() == '{"verdict": "healthy"}'
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
    summary = healthy()
    assert write_outputs(summary, directory=tmp_path, nightly=False, keep=3, textfile=None) == []
    assert json.loads(target.read_text()) == json.loads(json.dumps(summary))


def test_a_history_broken_after_the_checks_is_cannot_check(tmp_path: Path) -> None:
    (tmp_path / "history").mkdir()
    (tmp_path / "history" / "summary-x.json").write_text('"a string"')
    summary = healthy()
    failures = write_outputs(summary, directory=tmp_path, nightly=True, keep=3, textfile=None)
    assert len(failures) == 1
    assert failures[0].startswith(f"history file {tmp_path / 'history' / 'summary-x.json'} is not a run")
    written = json.loads((tmp_path / "summary.json").read_text())
    assert written["verdict"] == "cannot-check"
    assert written["reason"].endswith("(the checks found: healthy, 1 checks passed)")
    assert "trend" not in written


def test_an_unwritable_text_file_is_removed_and_the_summary_says_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m.prom").write_text("glustercheck_verdict 0\n")  # last night's
    full_disk_for("m.prom", monkeypatch)
    failures = write_outputs(healthy(), directory=tmp_path, nightly=False, keep=3,
                             textfile=tmp_path / "m.prom")
    assert failures == [f"cannot write the Prometheus text file {tmp_path / 'm.prom'}: "
                        "No space left on device"]
    assert not (tmp_path / "m.prom").exists()
    assert json.loads((tmp_path / "summary.json").read_text())["verdict"] == "cannot-check"


def test_a_summary_that_cannot_be_written_leaves_metrics_saying_cannot_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "summary.json").write_text('{"verdict": "healthy"}')
    full_disk_for("summary.json", monkeypatch)
    summary = healthy()
    failures = write_outputs(summary, directory=tmp_path, nightly=False, keep=3,
                             textfile=tmp_path / "m.prom")
    assert len(failures) == 1
    assert not (tmp_path / "summary.json").exists()
    assert summary["verdict"] == "cannot-check"
    assert "glustercheck_verdict 3" in (tmp_path / "m.prom").read_text()


def test_a_report_directory_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("")
    failures = write_outputs(healthy(), directory=tmp_path / "out", nightly=True, keep=3, textfile=None)
    out = tmp_path / "out"
    assert failures == [f"cannot write nightly history {out / 'history'}: {out} is a file, not a directory",
                        f"cannot write the summary {out / 'summary.json'}: {out} is a file, not a directory"]


# --- glustercheck-nightly: report names and retention ----------------------------------------------

def touch(directory: Path, *names: str) -> None:
    for name in names:
        (directory / name).write_text("")


def test_reports_are_kept_by_run_number_not_by_the_clock_in_the_name(tmp_path: Path) -> None:
    touch(tmp_path, "nightly-20260101T033000Z.html", "nightly-20260101T033000Z.xml",  # before numbers
          "nightly-000001-29990101T000000Z-7.html", "nightly-000002-20260103T033000Z-8.html",
          "nightly-000003-19700101T000012Z-9.html", "nightly-000003-19700101T000012Z-9.xml")
    assert nightly.next_sequence(tmp_path) == 4
    nightly.prune(tmp_path, keep=2, current=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "nightly-000002-20260103T033000Z-8.html", "nightly-000003-19700101T000012Z-9.html",
        "nightly-000003-19700101T000012Z-9.xml"]


def test_the_current_run_is_never_pruned(tmp_path: Path) -> None:
    touch(tmp_path, "nightly-000009-20260101T000000Z-1.html", "nightly-000004-19700101T000000Z-2.html")
    nightly.prune(tmp_path, keep=1, current=4)  # e.g. numbers from another directory's history
    assert (tmp_path / "nightly-000004-19700101T000000Z-2.html").exists()


def test_a_killed_run_leaves_a_cannot_check_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "cluster.toml"
    spec.write_text("")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "summary.json").write_text('{"verdict": "healthy"}')
    monkeypatch.setattr(nightly, "_run", lambda *_: None)  # as if killed at the deadline
    status = nightly.main(["--spec", str(spec), "--reports", str(reports), "--max-minutes", "1"])
    assert status == 3
    summary = json.loads((reports / "summary.json").read_text())
    assert (summary["verdict"], summary["reason"]) == ("cannot-check", "the run was killed after 6 min")
    assert "glustercheck-nightly: cannot check: the run was killed after 6 min" in capsys.readouterr().err


def test_a_report_directory_that_is_a_file_is_one_line(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "cluster.toml"
    spec.write_text("")
    (tmp_path / "reports").write_text("")
    assert nightly.main(["--spec", str(spec), "--reports", str(tmp_path / "reports")]) == 3
    err = capsys.readouterr().err
    assert err == (f"glustercheck-nightly: cannot check: cannot create report directory "
                   f"{tmp_path / 'reports'}: File exists\n")
