"""Every supported board: lif, snn-core and onn-core placed and routed (the board table of docs/deploy.md).

``.venv/bin/python -m neuroxide.bench --only deploy-boards --out results/bench.json``

One configuration per design and family, so the rows compare boards, not configurations:

* ``lif``: 4 neurons, the design's defaults (an LED design: every board).
* ``snn-core``: the digits network (64-64-10, 4-bit weights) behind the UART host link; lanes 4 and
  one neuron lane on iCE40 (what fits the iCE40UP5K), lanes 16 and 4 neuron lanes on ECP5
  (``neuroxide.benchmarks.snn_core.BOARD_CONFIGS``).
* ``onn-core``: the design's defaults (16 oscillators, a random graph, 4 lanes) behind the host link.

Boards without a UART get the LED design only (the host-link designs are refused by name, as
``neuroxide build`` refuses them). A build that does not fit or fails is a row with the tool's
reason, not an exception. Rows already built are kept in ``<build_dir>/board_table.json`` and not
rebuilt (``rebuild=True`` starts over), so an interrupted run resumes; boards are visited one
device at a time first (each distinct FPGA once), then the boards that share a device.
"""

import json
import pathlib
import time

__all__ = ["PARTS", "design_params", "bench_board_table"]

BUILD = "build/bench/board_table"
DESIGNS = ("lif", "snn-core", "onn-core")
HOST_LINK_DESIGNS = ("snn-core", "onn-core")
FIELDS = ("device", "luts", "ffs", "brams", "dsps", "fmax_mhz", "clock_mhz", "timing_met", "build_s")


def design_params(design, family):
    """The ``-p`` overrides the table builds ``design`` with on a board of ``family``."""
    from neuroxide.benchmarks.snn_core import BOARD_CONFIGS
    if design == "lif":
        return {"n": 4}
    if design == "snn-core":
        return dict(BOARD_CONFIGS["icebreaker" if family == "ice40" else "ulx3s-85f"])
    return {}


def _order(boards):
    """Each distinct device first (in registry order), then the boards that share one."""
    seen, first, rest = set(), [], []
    for b in boards:
        (rest if b.device in seen else first).append(b)
        seen.add(b.device)
    return first + rest


def _reason(err):
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    for ln in lines:  # nextpnr's own words where it says why (e.g. not enough cells of a kind)
        if "ERROR" in ln or "Unable to place" in ln or "not enough" in ln.lower():
            return ln[:300]
    return (lines[0] if lines else type(err).__name__)[:300]


def bench_board_table(boards=None, designs=DESIGNS, build_dir=BUILD, rebuild=False, progress=print):
    """Build ``designs`` on ``boards`` (default: every supported board); one row per (board, design)
    with LUT-class cells, FFs, BRAM, DSP, Fmax, the board clock and whether it is met, or the reason
    it was not built."""
    from neuroxide.boards.platforms import BOARDS
    from neuroxide.designs import configure
    from neuroxide.errors import NeuroxideError
    from neuroxide.flow import build_design

    where = pathlib.Path(build_dir)
    where.mkdir(parents=True, exist_ok=True)
    cache = where / "board_table.json"
    rows = {} if rebuild or not cache.exists() else json.loads(cache.read_text())
    chosen = [BOARDS[name] for name in boards] if boards else list(BOARDS.values())
    for board in _order(chosen):
        for design in designs:
            key = f"{board.name}/{design}"
            if key in rows:
                continue
            params = design_params(design, board.fpga)
            row = {"board": board.name, "design": design, "fpga": board.fpga, "params": params}
            if design in HOST_LINK_DESIGNS and not board.uart:
                row["status"] = "no UART: LED designs only"
            else:
                t0 = time.monotonic()
                try:
                    res = build_design(configure(design, params), board.name, where)
                    row.update({k: res.get(k) for k in FIELDS}, status="built")
                except NeuroxideError as err:
                    row.update(status="not built", reason=_reason(err), build_s=round(time.monotonic() - t0, 1))
            rows[key] = row
            cache.write_text(json.dumps(rows, indent=1))
            if progress:
                progress(f"{key}: {row['status']} {row.get('fmax_mhz') or row.get('reason') or ''}")
    return {"designs": list(designs), "rows": [rows[f"{b.name}/{d}"] for b in chosen for d in designs]}


PARTS = {"deploy-boards": bench_board_table}
