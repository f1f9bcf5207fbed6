"""The ``snn-core`` design plug-in: parameters, Verilog, bad input; the host driver on the simulator."""

import pytest

from neuroxide.designs import configure, to_verilog
from neuroxide.designs.snn_core import make_network
from neuroxide.errors import ParameterError


def test_defaults_are_the_digits_network():
    cfg = configure("snn-core", {})
    net = make_network(cfg)
    assert net.sizes == [64, 64, 10] and net.layers[0].weight_bits == 4
    assert cfg.lanes == 0 and cfg.lanes_for() == 64 and cfg.lanes_for("ulx3s-85f") == 64
    assert cfg.neurons_for() == 16 and cfg.neurons_for("ulx3s-85f") == 16
    assert cfg.lanes_for("icebreaker") == 4 and configure("snn-core", {"lanes": 2}).lanes_for("icebreaker") == 2
    assert cfg.neurons_for("icebreaker") == 1 and configure("snn-core", {"lanes": 2}).neurons_for() == 2


def test_single_layer_and_verilog_is_deterministic():
    cfg = configure("snn-core", {"n_in": 5, "n_hidden": 0, "n_out": 3, "lanes": 2})
    assert make_network(cfg).sizes == [5, 3]
    assert to_verilog(cfg) == to_verilog(cfg)


@pytest.mark.parametrize("bad, field", [({"lanes": 3}, "lanes"), ({"n_in": 0}, "n_in"), ({"weight_bits": 9}, "weight_bits"),
                                        ({"bogus": 1}, "bogus"), ({"v_th": 0}, "v_th"), ({"n_out": 2000}, "n_out"),
                                        ({"lanes": 4, "neurons_per_clock": 8}, "neurons_per_clock"),
                                        ({"neurons_per_clock": 3}, "neurons_per_clock")])
def test_bad_parameters_name_the_field(bad, field):
    with pytest.raises(ParameterError) as err:
        configure("snn-core", bad)
    assert err.value.field == field


def test_cli_verilog_and_bad_input_exit_2(cli, tmp_path):
    out = tmp_path / "core.v"
    run = cli("verilog", "snn-core", "-p", "n_in=8", "-p", "n_hidden=6", "-p", "n_out=3", "-p", "lanes=8",
              "-p", "neurons_per_clock=2", "-o", out, "--json")
    assert run.code == 0, run.stderr
    assert run.json["design"] == "snn-core"
    assert "module snn_core" in out.read_text()
    bad = cli("verilog", "snn-core", "-p", "lanes=5", "-o", tmp_path / "x.v")
    assert bad.code == 2 and "lanes" in bad.stderr and not (tmp_path / "x.v").exists()


@pytest.mark.parametrize("memory", ["bram", ("spram", "spram")])
def test_host_driver_loads_weights_and_runs_over_the_link(memory):
    """boards/snn_host.py over the host link in Amaranth's simulator: weights and neuron parameters
    loaded into a core built with zero weights and other parameters, spikes read back equal the model's;
    also with the weights in (the behavioural model of) SPRAM, which has no initial contents."""
    import numpy as np

    from neuroxide.boards.host import HostLink
    from neuroxide.boards.snn_host import SNNHost
    from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel
    from neuroxide.rtl.snn_core import SNNCore
    from neuroxide.testbench.hostlink_top import AmaranthTransport

    cfg = configure("snn-core", {"n_in": 6, "n_hidden": 5, "n_out": 3, "lanes": 2, "v_th": 20, "seed": 4})
    net = make_network(cfg)
    # built with zero weights and other run-time parameters: load_network writes both
    blank = CoreNetwork(tuple(CoreLayer(np.zeros_like(la.w_exc), np.zeros_like(la.w_inh), la.weight_bits,
                                        la.params.replace(v_th=la.params.v_th + 9, decay=2000, t_ref=0),
                                        la.adc_shift + 1, la.lateral) for la in net.layers), seed=net.seed)
    host = SNNHost(HostLink(AmaranthTransport(SNNCore(blank, lanes=2, neurons_per_clock=2, memory=memory))))
    info = host.info()
    assert info["shapes"] == [(6, 5), (5, 3)] and info["neurons_per_clock"] == 2
    host.load_network(net)
    s = np.random.default_rng(3).random((6, 6)) < 0.6
    got = host.run(s)
    want = SNNModel(net, 1).run(s[:, None, :]).spikes
    assert sum(int(w.sum()) for w in want) > 0
    for g, w in zip(got, want):
        assert (g == w[:, 0]).all()
    with pytest.raises(ParameterError):
        host.load_network(make_network(configure("snn-core", {"n_in": 7, "n_hidden": 5, "n_out": 3})))


def test_run_network_rejects_bad_input_before_building(tmp_path):
    import numpy as np

    from neuroxide.testbench.snn_bench import run_network
    net = make_network(configure("snn-core", {"n_in": 4, "n_hidden": 0, "n_out": 2}))
    with pytest.raises(ParameterError, match="in_spikes"):
        run_network(net, np.zeros((3, 1, 5), dtype=np.uint8), build_dir=tmp_path)
    with pytest.raises(ParameterError, match="in_spikes"):
        run_network(net, np.full((3, 1, 4), 2), build_dir=tmp_path)
    with pytest.raises(ParameterError, match="network"):
        run_network("net", np.zeros((3, 1, 4), dtype=np.uint8), build_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_host_driver_loads_recurrent_rows_into_spram():
    """A recurrent layer's rows n_in + k come over the link too (a SPRAM core starts at zero): the
    spikes read back equal the model's, and differ from those of the same net without recurrence."""
    import numpy as np

    from neuroxide.boards.host import HostLink
    from neuroxide.boards.snn_host import SNNHost
    from neuroxide.models.lif import LIFParams
    from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel
    from neuroxide.rtl.snn_core import SNNCore
    from neuroxide.testbench.hostlink_top import AmaranthTransport

    rng = np.random.default_rng(7)
    p = LIFParams(v_bits=12, in_bits=7, v_th=30, decay=3800, t_ref=0, noise_bits=0)
    w = rng.integers(0, 16, (5, 4))
    rec = rng.integers(0, 16, (4, 4))
    net = CoreNetwork((CoreLayer(w, w * 0, 4, p, w_rec_exc=rec, w_rec_inh=rec * 0),), seed=2)
    blank = CoreNetwork((CoreLayer(w * 0, w * 0, 4, p, w_rec_exc=rec * 0, w_rec_inh=rec * 0),), seed=2)
    host = SNNHost(HostLink(AmaranthTransport(SNNCore(blank, lanes=4, memory="spram"))))
    host.load_network(net)
    s = rng.random((8, 5)) < 0.4
    got = host.run(s)[0]
    want = SNNModel(net, 1).run(s[:, None, :]).spikes[0][:, 0]
    plain = CoreNetwork((CoreLayer(w, w * 0, 4, p),), seed=2)
    assert (got == want).all()
    assert (want != SNNModel(plain, 1).run(s[:, None, :]).spikes[0][:, 0]).any()
