"""The ``snn-core`` design plug-in: parameters, Verilog, bad input; the host driver on the simulator."""

import json
import subprocess
import sys

import pytest

from neuroxide.designs import configure, to_verilog
from neuroxide.designs.snn_core import make_network
from neuroxide.errors import ParameterError


def test_defaults_are_the_digits_network():
    cfg = configure("snn-core", {})
    net = make_network(cfg)
    assert net.sizes == [64, 64, 10] and cfg.lanes == 8 and net.layers[0].weight_bits == 4


def test_single_layer_and_verilog_is_deterministic():
    cfg = configure("snn-core", {"n_in": 5, "n_hidden": 0, "n_out": 3, "lanes": 2})
    assert make_network(cfg).sizes == [5, 3]
    assert to_verilog(cfg) == to_verilog(cfg)


@pytest.mark.parametrize("bad, field", [({"lanes": 3}, "lanes"), ({"n_in": 0}, "n_in"), ({"weight_bits": 9}, "weight_bits"),
                                        ({"bogus": 1}, "bogus"), ({"v_th": 0}, "v_th"), ({"n_out": 2000}, "n_out")])
def test_bad_parameters_name_the_field(bad, field):
    with pytest.raises(ParameterError) as err:
        configure("snn-core", bad)
    assert err.value.field == field


def test_cli_verilog_and_bad_input_exit_2(tmp_path):
    out = tmp_path / "core.v"
    run = subprocess.run([sys.executable, "-m", "neuroxide.cli", "verilog", "snn-core", "-p", "n_in=8", "-p", "n_hidden=6",
                          "-p", "n_out=3", "-o", str(out), "--json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1])["design"] == "snn-core"
    assert "module snn_core" in out.read_text()
    bad = subprocess.run([sys.executable, "-m", "neuroxide.cli", "verilog", "snn-core", "-p", "lanes=5",
                          "-o", str(tmp_path / "x.v")], capture_output=True, text=True)
    assert bad.returncode == 2 and "lanes" in bad.stderr and not (tmp_path / "x.v").exists()
