"""Bad input files of the network subcommands: core configuration JSON (``-p network=`` of
snn-core, ``nir export CONFIG.json``) and ``neuroxide nir import|run|export`` with broken NIR
graphs, spike arrays and options. The files are written by small functions at run time (a
valid file, then one thing broken)."""

from pathlib import Path

from .case import TMP, Case

__all__ = ["CONFIG_FILES", "config_cases", "nir_cases"]


def _nir_graph(kind):
    """A small NIR graph (Input 6 -> Affine -> LIF 4 -> Output) written by ``nir.write``, or a broken one."""
    def write(path):
        import nir
        import numpy as np
        rng = np.random.default_rng(0)
        n_in, n, w = 6, 4, rng.normal(0, 0.5, (4, 6))
        tau = np.full(n, -1.0 if kind == "negtau" else 0.01)
        if kind == "nanw":
            w = np.full((n, n_in), np.nan)
        neuron = nir.LIF(tau=tau, r=np.full(n, 10.0), v_leak=np.zeros(n), v_threshold=np.ones(n), v_reset=np.zeros(n))
        nodes = {"input": nir.Input(np.array([n_in])), "fc": nir.Affine(w, np.zeros(n)), "n": neuron,
                 "output": nir.Output(np.array([n]))}
        edges = [("input", "fc"), ("fc", "n"), ("n", "output")]
        if kind == "delay":
            nodes["d"] = nir.Delay(np.ones(n))
            edges = [("input", "fc"), ("fc", "d"), ("d", "n"), ("n", "output")]
        g = nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": 1e-3}, type_check=False)
        nir.write(str(path), g)
        if kind == "truncated":
            data = Path(path).read_bytes()
            Path(path).write_bytes(data[:len(data) // 2])
        if kind == "hdf5":
            import h5py
            Path(path).unlink()
            with h5py.File(path, "w") as f:
                f["x"] = np.arange(5)
    return write


def _npy(kind):
    def write(path):
        import numpy as np
        rng = np.random.default_rng(1)
        arr = {"shape": rng.random((10, 7)) < 0.3, "two": np.full((10, 6), 2), "nan": np.full((10, 6), np.nan),
               "obj": np.array([{"a": 1}], dtype=object)}[kind]
        with open(path, "wb") as f:
            np.save(f, arr, allow_pickle=kind == "obj")
    return write


def _core_config(mutate):
    """A core configuration JSON (``models.snn.network_to_dict`` of a 3-2-2 network) after ``mutate(d)``."""
    def write(path):
        import json

        from neuroxide.designs import configure
        from neuroxide.designs.snn_core import make_network
        from neuroxide.models.snn import network_to_dict
        d = network_to_dict(make_network(configure("snn-core", {"n_in": 3, "n_hidden": 2, "n_out": 2})))
        mutate(d)
        Path(path).write_text(json.dumps(d))
    return write


def _set(*keys_value):
    *keys, value = keys_value

    def mutate(d):
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value
    return mutate


CONFIG_FILES = [
    # (name, category, content, what) -- content: bytes or a mutation of a valid configuration
    ("empty", "empty", b"", "empty file"),
    ("garbage", "malformed", bytes(range(256)), "binary garbage"),
    ("list", "malformed", b"[]", "a JSON list"),
    ("null", "malformed", b"null", "JSON null"),
    ("nolayers", "malformed", b"{}", "{} (no layers)"),
    ("seed_str", "malformed", _set("seed", "x"), "seed 'x' (wrong type)"),
    ("seed_neg", "out-of-range", _set("seed", -1), "seed -1"),
    ("seed_huge", "huge", _set("seed", 2 ** 70), "seed 2^70"),
    ("layers_int", "malformed", _set("layers", 5), "layers 5 (wrong type)"),
    ("layers_empty", "empty", _set("layers", []), "layers []"),
    ("w_shape", "malformed", _set("layers", 0, "w_exc", [[1, 2]]), "w_exc of another shape than w_inh"),
    ("w_neg", "out-of-range", _set("layers", 0, "w_exc", 0, 0, -3), "a weight -3"),
    ("w_big", "huge", _set("layers", 0, "w_exc", 0, 0, 10 ** 6), "a weight 10^6"),
    ("w_nan", "malformed", _set("layers", 0, "w_exc", 0, 0, float("nan")), "a weight NaN"),
    ("w_inf", "huge", _set("layers", 0, "w_exc", 0, 0, float("inf")), "a weight Infinity"),
    ("w_float", "malformed", _set("layers", 0, "w_exc", 0, 0, 1.5), "a weight 1.5"),
    ("w_str", "malformed", _set("layers", 0, "w_exc", 0, 0, "8"), "a weight '8' (a string)"),
    ("vth_neg", "out-of-range", _set("layers", 0, "params", "v_th", -5), "v_th -5"),
    ("vbits_str", "malformed", _set("layers", 0, "params", "v_bits", "16"), "v_bits '16' (a string)"),
    ("params_missing", "empty", lambda d: d["layers"][0].pop("params"), "a layer without params"),
    ("params_extra", "unknown-name", _set("layers", 0, "params", "bogus", 1), "an unknown neuron field"),
    ("wb_99", "out-of-range", _set("layers", 0, "weight_bits", 99), "weight_bits 99"),
    ("wb_true", "malformed", _set("layers", 0, "weight_bits", True), "weight_bits true"),
    ("lateral_neg", "out-of-range", _set("layers", 1, "lateral", -1), "lateral -1"),
    ("chain", "malformed", lambda d: d["layers"][1].update(w_exc=[[0, 0]] * 3, w_inh=[[0, 0]] * 3),
     "layer 1 has 3 inputs, layer 0 2 outputs"),
    ("huge_nin", "huge", lambda d: d["layers"][0].update(w_exc=[[0, 0]] * 5000, w_inh=[[0, 0]] * 5000),
     "a layer of 5000 inputs"),
]


def config_cases():
    """Core configuration JSON files (``-p network=`` of snn-core, ``nir export CONFIG.json``)."""
    cases = []
    T = TMP
    for name, cat, content, what in CONFIG_FILES:
        files = ((f"{name}.json", content if isinstance(content, bytes) else _core_config(content)),)
        cases.append(Case("config JSON (-p network=)", cat, what, "network", argv=(
            "verilog", "snn-core", "-p", f"network={T}/{name}.json", "-o", f"{T}/out.v"), files=files,
            outputs=("out.v",)))
        if name != "huge_nin":  # a 5000-input network is a legal NIR graph (only the core limits it)
            cases.append(Case("config JSON (nir export)", cat, what, "NETWORK", argv=(
                "nir", "export", f"{T}/{name}.json", "-o", f"{T}/out.nir"), files=files, outputs=("out.nir",)))
    cases.append(Case("config JSON (-p network=)", "missing-file", "a file that does not exist", "network", argv=(
        "verilog", "snn-core", "-p", f"network={T}/missing.json", "-o", f"{T}/out.v"), outputs=("out.v",)))
    cases.append(Case("config JSON (nir export)", "missing-file", "a file that does not exist", "NETWORK", argv=(
        "nir", "export", f"{T}/missing.json", "-o", f"{T}/out.nir"), outputs=("out.nir",)))
    return cases


def nir_cases():
    """``neuroxide nir import|run|export`` with bad files and options."""
    T = TMP
    good = (("good.nir", _nir_graph("good")),)
    cases = []
    add = cases.append

    def imp(cat, what, fld, name, content, *extra):
        files = ((name, content),) if content is not None else ()
        add(Case("nir", cat, f"import: {what}", fld, argv=("nir", "import", f"{T}/{name}", "-o", f"{T}/out.json",
                                                             *extra), files=files, outputs=("out.json",)))
    imp("missing-file", "a file that does not exist", "FILE", "missing.nir", None)
    imp("empty", "empty file", "FILE", "empty.nir", b"")
    imp("malformed", "binary garbage", "FILE", "garbage.nir", bytes(range(256)) * 8)
    imp("malformed", "truncated HDF5", "FILE", "trunc.nir", _nir_graph("truncated"))
    imp("malformed", "HDF5 that is not NIR", "FILE", "plain.nir", _nir_graph("hdf5"))
    imp("unknown-name", "a Delay node (the core has none)", "node 'd'", "delay.nir", _nir_graph("delay"))
    imp("malformed", "NaN weights", "weight", "nanw.nir", _nir_graph("nanw"))
    imp("out-of-range", "negative tau", "tau", "negtau.nir", _nir_graph("negtau"))
    for what, fld, extra in (("--dt 0", "--dt", ("--dt", "0")), ("--dt nan", "--dt", ("--dt", "nan")),
                             ("--dt inf", "--dt", ("--dt", "inf")), ("--weight-bits 9", "--weight-bits",
                                                                      ("--weight-bits", "9")),
                             ("--seed -1", "--seed", ("--seed", "-1")),
                             ("--discretisation rk4", "--discretisation", ("--discretisation", "rk4"))):
        imp("out-of-range" if "rk4" not in what else "unknown-name", what, fld, "good.nir", good[0][1], *extra)
    add(Case("nir", "missing-file", "import: -o naming an existing folder", "output", argv=(
        "nir", "import", f"{T}/good.nir", "-o", f"{T}/adir"), files=good + (("adir/keep", b""),)))
    add(Case("nir", "empty", "no subcommand", "import|run|export", argv=("nir",)))
    add(Case("nir", "unknown-name", "subcommand 'convert'", "import|run|export", argv=("nir", "convert")))

    def run(cat, what, fld, *extra, files=()):
        add(Case("nir", cat, f"run: {what}", fld, argv=("nir", "run", f"{T}/good.nir", *extra, "--plot",
                                                          f"{T}/r.png"), files=good + files, outputs=("r.png",)))
    run("empty", "neither --input nor --random-steps", "--input")
    run("malformed", "both --input and --random-steps", "--input", "--input", f"{T}/s.npy", "--random-steps", "5",
        files=(("s.npy", _npy("two")),))
    run("out-of-range", "--random-steps 0", "--random-steps", "--random-steps", "0")
    run("huge", "--random-steps 10^6", "--random-steps", "--random-steps", "1000000")
    run("out-of-range", "--batch 0", "--batch", "--random-steps", "5", "--batch", "0")
    run("malformed", "--rate nan", "--rate", "--random-steps", "5", "--rate", "nan")
    run("out-of-range", "--rate 2", "--rate", "--random-steps", "5", "--rate", "2")
    run("out-of-range", "--lanes 3", "--lanes", "--random-steps", "5", "--lanes", "3")
    run("missing-file", "--input that does not exist", "--input", "--input", f"{T}/missing.npy")
    run("malformed", "--input binary garbage", "--input", "--input", f"{T}/g.npy",
        files=(("g.npy", bytes(range(256))),))
    run("empty", "--input empty file", "--input", "--input", f"{T}/e.npy", files=(("e.npy", b""),))
    run("malformed", "--input of the wrong shape", "--input", "--input", f"{T}/s.npy",
        files=(("s.npy", _npy("shape")),))
    run("malformed", "--input of NaNs", "--input", "--input", f"{T}/s.npy", files=(("s.npy", _npy("nan")),))
    run("malformed", "--input an object array (pickle)", "--input", "--input", f"{T}/s.npy",
        files=(("s.npy", _npy("obj")),))
    add(Case("nir", "malformed", "run: --plot r.jpg", "--plot", argv=("nir", "run", f"{T}/good.nir", "--random-steps",
                                                                      "5", "--plot", f"{T}/r.jpg"),
             files=good, outputs=("r.jpg",)))
    add(Case("nir", "missing-file", "run: -o naming an existing folder", "output", argv=(
        "nir", "run", f"{T}/good.nir", "--random-steps", "5", "-o", f"{T}/adir"), files=good + (("adir/keep", b""),)))
    add(Case("nir", "malformed", "export: -o without .nir", "-o", argv=("nir", "export", "digits", "-o", f"{T}/x.txt"),
             outputs=("x.txt",)))
    add(Case("nir", "malformed", "export: --dt nan", "--dt", argv=("nir", "export", "digits", "-o", f"{T}/x.nir",
                                                                   "--dt", "nan"), outputs=("x.nir",)))
    add(Case("nir", "out-of-range", "export: --weight-bits 0", "--weight-bits", argv=(
        "nir", "export", "digits", "-o", f"{T}/x.nir", "--weight-bits", "0"), outputs=("x.nir",)))
    add(Case("nir", "empty", "export: no -o", "--output", argv=("nir", "export", "digits")))
    return cases
