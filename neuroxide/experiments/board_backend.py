"""The ``board`` back end: experiments on a core in a real or emulated board, over the UART host link.

The host side is the unmodified board driver: :class:`~neuroxide.boards.host.SerialTransport`
(pyserial) under :class:`~neuroxide.boards.host.HostLink`, with the SNN core's
(:class:`~neuroxide.boards.snn_host.SNNHost`) or the ONN core's
(:class:`~neuroxide.boards.onn_host.ONNHost`) register driver on top. ``port`` is a board's serial
port (``/dev/ttyUSB1``) or the pseudo-terminal of ``neuroxide emulate`` (``/dev/pts/N``).

* :func:`run_network_on_board` -- the SNN core: load a network's weights, run input spikes
  ``(steps, batch, n_in)`` sample by sample (state reset between samples, as the model and the
  ``rtl`` bench run them) and read every layer's spikes back. The core's LIF constants, ADC shifts and
  PRNG seeds are gateware: build (or emulate) ``snn-core -p network=FILE`` with the same network
  (:func:`write_network_config` writes FILE).
* :func:`run_maxcut_on_board` -- the ONN core: load a graph's couplings, then per restart ``r`` the
  power-up phases and PRNG states of seed ``seed + r`` (``models.onn.initial_state``), anneal, read the
  spins. The schedule rates are gateware: build (or emulate) ``onn-core -p graph=G -p anneal_steps=SWEEPS``.
* :func:`emulator_build` -- the Verilator emulator of a design's board top (``neuroxide emulate``).

Both return what the ``model`` back end computes (spikes per layer; cuts and spins), so an experiment
compares or substitutes them directly.
"""

import time

import numpy as np

from neuroxide.errors import ParameterError

__all__ = ["emulator_build", "write_network_config", "run_network_on_board", "run_maxcut_on_board"]


def emulator_build(design, board, overrides=None, divisor=None, build_dir="build/emulate"):
    """Configure ``design`` (``-p`` overrides), take its board top for ``board`` and compile its emulator
    (:func:`neuroxide.boards.emulate.build_emulator`, cached). Bad design, parameter or board, or a
    design without the UART host link: ParameterError (exit 2)."""
    from neuroxide.boards.emulate import build_emulator
    from neuroxide.boards.platforms import require_uart
    from neuroxide.designs import configure, get_design

    cfg = configure(design, dict(overrides or {}))
    spec = require_uart(board, f"the emulated {design}")
    top = get_design(cfg.design).board_top(cfg, board)
    from neuroxide.boards.linktop import HostLinkTop
    if not isinstance(top, HostLinkTop):
        raise ParameterError("design", design, "a design with the UART host link (hostlink, snn-core, onn-core)",
                             why=f"the board top of {design} has no UART: an emulated board talks to the host "
                             "only through its UART")
    return build_emulator(top, build_dir, spec.clock_hz, divisor)


def write_network_config(network, path):
    """The core configuration file of ``network`` (``snn-core -p network=path``)."""
    from neuroxide.fileio import write_json
    from neuroxide.models.snn import network_to_dict
    return write_json(path, network_to_dict(network))


def _open(port, baud, timeout_s):
    from neuroxide.boards.host import open_serial
    return open_serial(port, baud, timeout_s=timeout_s)


def _traffic(link, t0):
    return {"frames": link.frames, "bytes_sent": link.bytes_sent, "bytes_received": link.bytes_received,
            "retried": link.retried, "wall_s": round(time.perf_counter() - t0, 3)}


def run_network_on_board(network, in_spikes, port, baud=115200, timeout_s=2.0, progress=None):
    """Run ``in_spikes`` (0/1 ``(steps, batch, n_in)``) on the SNN core at ``port``; returns
    ``{"spikes": [per layer bool (steps, batch, n_out)], "frames", "bytes_sent", "bytes_received",
    "retried", "wall_s"}``. ``progress(done)`` after each sample."""
    from neuroxide.boards.snn_host import SNNHost

    s = np.asarray(in_spikes)
    if s.ndim != 3 or s.shape[2] != network.n_in:
        raise ParameterError("in_spikes", f"shape {s.shape}", f"(steps, batch, {network.n_in})")
    steps, batch = s.shape[:2]
    t0 = time.perf_counter()
    link = _open(port, baud, timeout_s)
    try:
        core = SNNHost(link, step_timeout_s=max(timeout_s, 2.0))
        core.load_network(network)
        out = [np.zeros((steps, batch, layer.n_out), dtype=bool) for layer in network.layers]
        for b in range(batch):
            for k, spikes in enumerate(core.run(s[:, b, :])):
                out[k][:, b, :] = spikes
            if progress is not None:
                progress(b + 1)
        return {"spikes": out, **_traffic(link, t0)}
    finally:
        link.close()


def run_maxcut_on_board(graph, sweeps, restarts, seed, port, baud=115200, timeout_s=2.0, on_status=None, lanes=None):
    """Anneal ``graph`` (a ``models.gset.Graph``) ``restarts`` times on the ONN core at ``port``;
    restart ``r`` starts from the power-up state of seed ``seed + r``, as ``models.onn.solve_maxcut``'s
    column ``r``. ``lanes``: the core's multiply-accumulate lanes (None: read from its INFO register;
    the coupling words are laid out for them). Returns ``{"cuts", "cut", "best", "spins" (best
    restart, +-1 per node), "params", "entries", "lanes", "frames", "bytes_sent", "bytes_received",
    "retried", "wall_s"}``."""
    from neuroxide.boards.onn_host import ONNHost
    from neuroxide.models.gset import cut_value, ising_couplings
    from neuroxide.models.onn import anneal_params, initial_state, maxcut_params

    J = ising_couplings(graph)
    params = anneal_params(sweeps, maxcut_params(J))
    t0 = time.perf_counter()
    link = _open(port, baud, timeout_s)
    cuts, best_spins = [], None
    try:
        probe = ONNHost(link, params, graph.nodes, dense=False)
        if lanes is None:
            info = probe.regs.get("INFO")
            if info["n"] != graph.nodes:
                raise ParameterError("graph", graph.name, f"a graph of {info['n']} nodes",
                                     why="the core at the port was built for another size")
            lanes = 1 << info["lanes_log2"]
        onn = ONNHost(link, params, graph.nodes, dense=False, lanes=lanes)
        entries = onn.load_couplings(J)
        for r in range(restarts):
            if on_status:
                on_status(f"maxcut: board restart {r + 1}/{restarts}")
            phase0, rng0 = initial_state(params, graph.nodes, (seed + r) & 0xFFFF_FFFF, 1)
            onn.set_phases([int(v) for v in phase0[:, 0]])
            onn.set_rng([int(v) for v in rng0[:, 0]])
            t = onn.run(sweeps)
            if t != sweeps:
                raise RuntimeError(f"the ONN core stopped at step {t}, not {sweeps}")
            spins = onn.spins()
            cuts.append(int(cut_value(graph, spins)))
            if best_spins is None or cuts[-1] > max(cuts[:-1]):
                best_spins = spins
        best = int(np.argmax(cuts))
        return {"cuts": cuts, "cut": cuts[best], "best": best, "spins": best_spins, "params": params,
                "entries": entries, "lanes": lanes, **_traffic(link, t0)}
    finally:
        link.close()
