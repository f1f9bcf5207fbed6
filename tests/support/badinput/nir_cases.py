"""Bad input of ``neuroxide nir import|run`` on what real frameworks write: the NIR paper's files
without the dt they need, broken files the tolerant reader cannot repair unambiguously, event
counts beyond ``--max-count``, convolutions the core cannot hold. The files are written at run
time (a valid file, then one thing broken; the paper's files are copied from models/data/nir_paper)."""

from pathlib import Path

from .case import TMP, Case

__all__ = ["nir_paper_cases"]

PAPER = Path(__file__).resolve().parents[3] / "models" / "data" / "nir_paper"


def _paper(name):
    def write(path):
        Path(path).write_bytes((PAPER / name).read_bytes())
    return write


def _graph(kind):
    """A small graph written by nir.write, then broken with h5py as ``kind`` says."""
    def write(path):
        import h5py
        import nir
        import numpy as np
        rng = np.random.default_rng(0)
        n = 4
        lif = nir.LIF(tau=np.full(n, 0.01), r=np.full(n, 10.0), v_leak=np.zeros(n), v_threshold=np.ones(n),
                      v_reset=np.full(n, 0.2 if kind == "vreset" else 0.0))
        nodes = {"input": nir.Input(np.array([6])), "fc": nir.Affine(rng.normal(size=(n, 6)), np.zeros(n)),
                 "lif": lif, "output": nir.Output(np.array([n]))}
        edges = [("input", "fc"), ("fc", "lif"), ("lif", "output")]
        if kind in ("same", "convbias"):
            w = rng.normal(size=(2, 2, 2, 2)) if kind == "same" else rng.normal(size=(2, 2, 3, 3))
            shape = (2, 4, 4) if kind == "same" else (2, 2, 2)
            ones = np.ones(shape)
            neuron = (nir.IF(r=ones, v_threshold=ones, v_reset=0 * ones) if kind == "same" else
                      nir.CubaLIF(tau_syn=ones * 5e-3, tau_mem=ones * 1e-2, r=ones * 10, v_leak=0 * ones,
                                  v_threshold=ones, v_reset=0 * ones, w_in=ones))
            nodes = {"input": nir.Input(np.array([2, 4, 4])),
                     "conv": nir.Conv2d(input_shape=np.array([4, 4]), weight=w, stride=np.array([1, 1]),
                                        padding="same" if kind == "same" else np.array([0, 0]),
                                        dilation=np.array([1, 1]), groups=1, bias=np.full(2, 0.1)),
                     "lif": neuron, "output": nir.Output(np.array(shape))}
            edges = [("input", "conv"), ("conv", "lif"), ("lif", "output")]
        nir.write(str(path), nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": 1e-3}, type_check=False))
        with h5py.File(path, "a") as f:
            if kind == "noedges":
                del f["node/edges"]
            elif kind == "ambiguous":
                f.move("node/nodes/lif", "node/nodes/neuron")
                f.move("node/nodes/fc", "node/nodes/dense")
            elif kind == "shapes":
                del f["node/nodes/lif/r"]
                f["node/nodes/lif/r"] = np.ones((2, 2))
            elif kind == "nonetwork":  # an Input and an Output, no edges (an export of an untraced model)
                for name in ("fc", "lif"):
                    del f[f"node/nodes/{name}"]
                del f["node/edges"]
            elif kind == "emptynodes":
                for name in list(f["node/nodes"]):
                    del f[f"node/nodes/{name}"]
    return write


def _delay(delay_s):
    """Input(4) -> Delay 'd0' -> Linear -> IF(3), dt 1 ms, with the Delay's ``delay`` as given (seconds)."""
    def write(path):
        import nir
        import numpy as np
        nodes = {"input": nir.Input(np.array([4])), "d0": nir.Delay(np.array(delay_s, dtype=float)),
                 "fc": nir.Linear(np.ones((3, 4))),
                 "if": nir.IF(r=np.ones(3), v_threshold=np.ones(3), v_reset=np.zeros(3)), "output": nir.Output(np.array([3]))}
        edges = [("input", "d0"), ("d0", "fc"), ("fc", "if"), ("if", "output")]
        nir.write(str(path), nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": 1e-3}, type_check=False))
    return write


def _zip(path):
    """A ``torch.save`` archive under a .nir name (a zip file, not HDF5)."""
    import zipfile
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"not a NIR graph")


def _counts(kind):
    def write(path):
        import numpy as np
        arr = {"two": np.full((5, 12), 2), "negative": np.full((5, 12), -1), "huge": np.full((5, 12), 300)}[kind]
        with open(path, "wb") as f:
            np.save(f, arr)
    return write


def nir_paper_cases():
    """``neuroxide nir import|run`` on framework files and the rules they need."""
    T = TMP
    cases = []
    add = cases.append

    def imp(cat, what, fld, name, content, *extra):
        add(Case("nir", cat, f"import: {what}", fld, argv=("nir", "import", f"{T}/{name}", "-o", f"{T}/out.json",
                                                             *extra), files=((name, content),), outputs=("out.json",)))
    imp("out-of-range", "a Braille file without dt (tau 0.67 ms < the default 1 ms)", "node 'lif1.lif'",
        "braille.nir", _paper("braille_noDelay_noBias_subtract.nir"))
    imp("out-of-range", "the same file with --dt 0.01", "node 'lif1.lif'", "braille.nir",
        _paper("braille_noDelay_noBias_subtract.nir"), "--dt", "0.01")
    imp("malformed", "no edges entry and node names that fix no order", "edges", "noedges.nir", _graph("noedges"))
    imp("malformed", "edges naming two nodes that are stored under other names", "edge endpoint", "ambiguous.nir",
        _graph("ambiguous"))
    imp("malformed", "neuron parameters of two different shapes", "node 'lif'", "shapes.nir", _graph("shapes"))
    imp("out-of-range", "Conv2d padding 'same' with an even kernel (asymmetric)", "padding", "same.nir",
        _graph("same"))
    imp("unknown-name", "a bias into the synaptic current of a convolution", "node 'lif'", "convbias.nir",
        _graph("convbias"))
    imp("out-of-range", "--max-count 0", "--max-count", "braille.nir", _paper("braille_noDelay_noBias_subtract.nir"),
        "--dt", "1e-4", "--max-count", "0")
    imp("huge", "--max-count 256", "--max-count", "braille.nir", _paper("braille_noDelay_noBias_subtract.nir"),
        "--dt", "1e-4", "--max-count", "256")
    imp("unknown-name", "--weight-scale column", "--weight-scale", "braille.nir",
        _paper("braille_noDelay_noBias_subtract.nir"), "--dt", "1e-4", "--weight-scale", "column")
    imp("unknown-name", "--reset zero", "--reset", "braille.nir", _paper("braille_noDelay_noBias_subtract.nir"),
        "--dt", "1e-4", "--reset", "zero")
    imp("out-of-range", "--reset subtract on a LIF whose v_reset is not 0", "node 'lif'.v_reset", "vreset.nir",
        _graph("vreset"), "--reset", "subtract")
    imp("unknown-name", "--weight-format packed", "--weight-format", "braille.nir",
        _paper("braille_noDelay_noBias_subtract.nir"), "--dt", "1e-4", "--weight-format", "packed")
    imp("malformed", "a torch.save zip archive named .nir", "zip archive", "model.nir", _zip)
    imp("malformed", "an export holding an Input and an Output, no edges", "no weight or neuron node",
        "nonetwork.nir", _graph("nonetwork"))
    imp("malformed", "an export whose node group holds nothing", "nodes", "empty.nir", _graph("emptynodes"))
    imp("out-of-range", "a negative Delay (-1 ms)", "node 'd0'.delay", "neg.nir", _delay([0, -1e-3, 0, 0]))
    imp("out-of-range", "a Delay of 1.5 steps", "node 'd0'.delay", "half.nir", _delay([0, 1.5e-3, 0, 0]))
    imp("huge", "a Delay of 32 steps (the delay line holds 0..31)", "node 'd0'.delay", "long.nir",
        _delay([0, 0.032, 0, 0]))

    def run(cat, what, fld, kind, *extra):
        add(Case("nir", cat, f"run: {what}", fld, argv=("nir", "run", f"{T}/braille.nir", "--dt", "1e-4", "--input",
                                                          f"{T}/s.npy", *extra, "-o", f"{T}/out.npz"),
                 files=(("braille.nir", _paper("braille_noDelay_noBias_subtract.nir")), ("s.npy", _counts(kind))),
                 outputs=("out.npz",)))
    run("out-of-range", "--input counts of 2 with --max-count 1", "--input", "two", "--max-count", "1")
    run("out-of-range", "--input with a negative count", "--input", "negative")
    run("huge", "--input counts of 300 (more than 255 events per step)", "--input", "huge")
    run("unknown-name", "--weight-format packed", "--weight-format", "two", "--weight-format", "packed")
    return cases
