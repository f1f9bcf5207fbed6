"""README figures: rendered from the recorded results in docs/results (neuroxide/figures.py)."""

import json

import pytest

from neuroxide import figures

RESULT_FILES = sorted(figures.RESULTS_DIR.glob("*.json"))


def test_pages_equal_what_the_recorded_results_render():
    stale = figures.render_pages(check=True)
    assert not stale, (f"{[p.name for p in stale]} differ from what docs/results renders: run "
                       "`python -m neuroxide.figures` (or re-record: `make figures`)")


def test_every_figure_block_has_a_renderer_and_every_renderer_is_used():
    used = {m["name"] for page in figures.PAGES for m in figures.MARKER.finditer(page.read_text())}
    assert used == set(figures.RENDERERS)


@pytest.mark.parametrize("path", RESULT_FILES, ids=[p.stem for p in RESULT_FILES])
def test_every_recorded_result_names_its_command_and_provenance(path):
    entry = json.loads(path.read_text())
    assert entry["source"] == path.stem and path.stem in figures.SOURCES
    assert entry["command"] == figures.SOURCES[path.stem].command
    assert entry["result"] and entry["recorded"]
    if entry["provenance"] == "measured":
        assert entry["machine"]["cpus"] >= 1 and entry["versions"]["numpy"]
    else:
        assert entry["provenance"] == "carried over" and "not re-run" in entry["note"]


def test_every_source_a_figure_reads_is_recorded():
    assert {p.stem for p in RESULT_FILES} <= set(figures.SOURCES)
    figures.render_text("".join(f"<!-- figures:{n} --><!-- /figures:{n} -->" for n in figures.RENDERERS),
                        figures.load_results())  # a missing file or field raises here


def test_the_cheap_recorded_figures_are_what_the_commands_give_now():
    """The digits default run and one device fit, re-run: the recorded figures are reproduced exactly."""
    recorded = figures.load_results()
    digits = figures._cli_json("digits")
    for key in ("accuracy", "float_reference_accuracy", "confusion", "layers", "sops"):
        assert digits[key] == recorded["digits"]["default"][key], key
    nbox = figures._cli_json("device", "nbox")
    assert nbox["max_rel_error"] == recorded["device-fv"]["nbox"]["max_rel_error"]


def test_render_replaces_only_the_marked_text():
    text = "a <!-- figures:x -->old<!-- /figures:x --> b\n<!-- figures:y -->\n| t |\n<!-- /figures:y -->\nc"
    out = figures.render_text(text, {"v": 7}, {"x": lambda r: str(r["v"]), "y": lambda r: "\n| u |\n"})
    assert out == "a <!-- figures:x -->7<!-- /figures:x --> b\n<!-- figures:y -->\n| u |\n<!-- /figures:y -->\nc"
    with pytest.raises(KeyError, match="no renderer"):
        figures.render_text("<!-- figures:z -->q<!-- /figures:z -->", {}, {})


def test_record_and_import_bench_write_measured_entries(tmp_path, monkeypatch):
    monkeypatch.setitem(figures.SOURCES, "fake", figures.Source("neuroxide fake --json", lambda: {"figure": 1.5}))
    figures.record(["fake"], results_dir=tmp_path)
    entry = json.loads((tmp_path / "fake.json").read_text())
    assert entry["provenance"] == "measured" and entry["result"] == {"figure": 1.5}
    assert entry["command"] == "neuroxide fake --json" and entry["machine"]["cpus"] >= 1
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps({"date": "2025-01-01T00:00:00", "machine": {"cpus": 2}, "versions": {"numpy": "x"},
                                 "model": {"neuron_steps_per_s": 5}, "model_wall_s": 1.0, "unknown": {}}))
    assert figures.import_bench(bench, results_dir=tmp_path) == ["model"]
    entry = json.loads((tmp_path / "model.json").read_text())
    assert entry["result"] == {"neuron_steps_per_s": 5} and entry["recorded"] == "2025-01-01T00:00:00"
    assert entry["command"] == "make bench PARTS=model"


def test_formatting_helpers():
    assert figures._exp(56_123_456) == "5.6e7" and figures._exp(5.8e5) == "5.8e5"
    assert figures._si(2.139e-11, "J") == "21 pJ" and figures._si(1.5121e-9, "J") == "1.5 nJ"
    assert figures._dt(7.38e-10) == "0.738 ns" and figures._dt(2.76e-8) == "27.6 ns"
    assert figures._rates([72.08, 78.56]) == "72 / 79 M" and figures._rates([745.1, 1095.1]) == "745 M / 1.10 G"
