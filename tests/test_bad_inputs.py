"""The bad-input catalogue (tests/support/badinput/): every case exits 2 naming the field, no traceback,
nothing written; the runner itself catches each kind of broken promise; the catalogue covers every
subcommand and every parameter of every design."""

import pytest

from support import badinput as bi

CASES = bi.catalogue()


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_input_is_refused(case):
    out = bi.run_case(case)
    assert out.passed, f"{out.case.id}: got {out.code}; {'; '.join(out.problems)} | {out.message}"


# --- the runner can fail (each promise it checks, broken on purpose) -----------------------------

def test_runner_flags_a_command_that_succeeds():
    out = bi.run_case(bi.Case("boards", "malformed", "valid input", "board", argv=("boards",)))
    assert not out.passed and out.code == 0 and any("expected 2" in p for p in out.problems)


def test_runner_flags_a_message_that_misses_the_field():
    out = bi.run_case(bi.Case("verilog", "out-of-range", "n=0", "v_th", argv=("verilog", "lif", "-p", "n=0")))
    assert out.code == 2 and out.problems == ["message does not name 'v_th'"]


def test_runner_flags_a_written_file():
    out = bi.run_case(bi.Case("verilog", "malformed", "valid -o", "design",
                              argv=("verilog", "lif", "-o", "{tmp}/out.v"), outputs=("out.v",)))
    assert out.code == 0 and any("left behind: out.v" in p for p in out.problems)


def test_runner_flags_a_traceback():
    def call(tmp):
        raise TypeError("boom")
    out = bi.run_case(bi.Case("reader", "malformed", "crash", "boom", call=call))
    assert out.code == "traceback" and "traceback" in out.problems


def test_runner_flags_a_protocol_status_mismatch():
    from neuroxide.models import hostlink as hl

    def call(tmp):
        return hl.decode_request(hl.ping_request())
    out = bi.run_case(bi.Case("host-link frame", "malformed", "valid ping", "LEN", call=call,
                              expect="ProtocolError", status="BAD_LENGTH"))
    assert out.code == 0 and not out.passed


# --- coverage ------------------------------------------------------------------------------------

PENDING = set()  # subcommands whose cases are still to be written (none)


def test_every_subcommand_has_cases():
    import argparse

    from neuroxide.cli import build_parser
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    tried = {c.argv[0] for c in CASES if c.argv}
    missing = set(sub.choices) - tried - PENDING
    assert not missing, f"subcommands without bad-input cases: {sorted(missing)}"


def test_every_parameter_of_every_design_has_cases():
    from neuroxide.designs import DESIGNS, parameter_table
    swept = {(c.group, c.param) for c in CASES if c.target == "verilog -p"}
    for design in DESIGNS:
        assert (design, "(unknown)") in swept
        for name, default, _ in parameter_table(design):
            assert (design, name) in swept, f"{design} -p {name} has no case"


def test_every_integer_parameter_is_tried_below_and_above_its_range():
    kinds = {}
    for c in CASES:
        if c.target == "verilog -p" and c.what.endswith(("(below)", "(above)")):
            kinds.setdefault((c.group, c.param), set()).add(c.what.rsplit(" ", 1)[1])
    assert kinds and all(v == {"(below)", "(above)"} for v in kinds.values())


def test_stated_ranges_are_accepted_at_their_ends():
    """Where a description states lo..hi, both ends configure (so lo-1 and hi+1 are the true edges)."""
    from neuroxide.designs import DESIGNS, configure, parameter_table
    checked = 0
    for design in DESIGNS:
        for name, default, doc in parameter_table(design):
            if isinstance(default, bool) or not isinstance(default, int):
                continue
            lo, hi, source = bi.int_bounds(design, name, default, doc)
            if source != "stated":
                continue
            for value in (lo, hi):
                if design == "onn-core" and name == "dense" and value == 1:
                    configure(design, {name: value, "n": 16})
                elif design == "onn-core" and name == "row_groups" and value > 1:  # k updates a clock: colour mode
                    configure(design, {name: value, "mode": "colour", "lanes": value})
                else:
                    configure(design, {name: value})
            checked += 1
    assert checked >= 20


def test_every_numeric_field_of_every_preset_has_cases():
    import dataclasses

    from neuroxide.models.devices.zoo import ALL_PRESETS
    swept = {(c.group, c.param) for c in CASES if c.target == "device -p"}
    for name, p in ALL_PRESETS.items():
        for f in dataclasses.fields(p):
            if isinstance(getattr(p, f.name), float):
                assert (name, f.name) in swept, f"device {name} -p {f.name} has no case"


def test_every_category_is_tried():
    assert {c.category for c in CASES} == set(bi.CATEGORIES)


def test_doc_is_written_from_observed_outcomes(tmp_path):
    doc = tmp_path / "robustness.md"
    assert bi.main(["--only", "boards,list", "--doc", str(doc)]) == 0
    text = doc.read_text()
    assert "cases tried" in text and "## boards" in text and "unrecognized arguments" in text


def test_subprocess_cases_prove_the_real_exit_code():
    assert sum(c.subprocess for c in CASES) >= 2
