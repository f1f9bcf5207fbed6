"""A tolerant NIR reader: the files frameworks really write, repaired where the repair is unambiguous.

``nir.read`` (nir 1.0.8) rejects several files that SNN frameworks wrote and that the NIR paper
ships (models/data/nir_paper/README.md), and without its type checks it accepts edges to nodes that
do not exist. :func:`read` reads the HDF5 tree itself (h5py, the same dictionary ``nir.read``
builds), checks and repairs what has exactly one reading, and builds the graph node by node with
nir's own classes (``nir.dict2NIRNode``, no type checks).
Every repair is one line of the returned list (the CLI prints them); anything else is a
:class:`~neuroxide.errors.ParameterError` naming the node and the reason (exit 2).

Repairs (``graph`` is the dotted path of a (sub)graph, ``''`` the top level)
------------------------------------------------------------------------------------------------
* **edges naming a node that is not stored**: in one graph, the edge endpoints that name no node
  (``missing``) and the nodes no edge names (``unnamed``). Each missing name is renamed to the one
  unnamed node that starts with it or that it starts with (``'lif'`` -> ``'lif1'``, the Braille
  subgraphs of the NIR paper), or, when exactly one name is missing and exactly one node is
  unnamed, to that node. Two candidates, or none: refused.
* **a missing ``edges`` entry**: repaired only when the nodes are ``input``, ``output`` and
  ``0 .. N-1`` (the sequential naming of Sinabs/Norse/Rockpool exports): the chain input -> 0 -> ...
  -> N-1 -> output. Any other naming: refused (the order is not in the file).
* **a nested Input typed with the outer width**: a subgraph's Input whose shape is not the width of
  the node feeding the subgraph gets that width (the inner Input is a pass-through).
* **neuron parameters of unequal shapes** (``All parameters must have the same shape``): size-1
  values (scalars, shape ``()`` or ``(1,)``) are broadcast to the one shape the other parameters
  share; parameters of two different multi-element shapes: refused.
* **single values of different shapes** (``r`` of shape ``()`` beside ``tau`` of shape ``(1,)``, an
  older Norse export): nir asserts one shape; all parameters get the one shape of size 1 the
  others have (``(1,)``).
* **neuron parameters of shape ``(1, C, H, W)``** (early Sinabs exports, a batch of one): no NIR
  layer has four axes (a 2-D convolution's neurons are ``(C, H, W)``), so the leading 1 is dropped.
* **a missing ``v_reset``** (older exports of LIF/CubaLIF/IF): 0, nir's own default for CubaLIF.
* **a Conv1d/Conv2d without ``input_shape``** (exports from before nir stored it): ``None``, nir's
  own value for "not stated"; the import takes the image size from the node feeding it
  (``nir_map``), and refuses there, naming the node, when that is flat.
* **a subgraph stored flattened** (its nodes at the top level under dotted names ``'lif1.input'``,
  ``'lif1.lif'``, ``'lif1.output'`` ...) **while the outer edges name the subgraph** (``'lif1'``, the
  early Braille exports): when no node ``'lif1'`` exists, the ``'lif1.*'`` nodes hold exactly one
  Input and one Output, and every edge touching a ``'lif1.*'`` node stays among them, the nodes
  are regrouped into the nested graph ``'lif1'`` with those inner edges (the dotted prefix
  dropped). Anything else: the missing name is repaired or refused as above.

A file that is not HDF5 (a zip archive, as ``torch.save`` writes, is named as such), has no
``node`` group, holds no weight or neuron node, or holds a node type nir does not know is refused
naming the file or node.
"""

import numpy as np

from neuroxide.errors import ParameterError

__all__ = ["read", "read_dict", "repair", "build_graph", "NEURON_PARAMS"]

# the parameters of each NIR neuron node, as nir names them (read here and mapped by nir_map)
NEURON_PARAMS = {
    "LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"),
    "IF": ("r", "v_threshold", "v_reset"),
    "LI": ("tau", "r", "v_leak"),
    "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
    "CubaLI": ("tau_syn", "tau_mem", "r", "v_leak", "w_in"),
    "Threshold": ("threshold",),
}


def read(path):
    """``(nir.NIRGraph, repairs)`` of the NIR file ``path``; ``repairs`` lists one line per repair
    (empty for a file nir.read reads as it is: the same dictionary, built by the same classes)."""
    d = read_dict(path)
    repairs = repair(d)
    return build_graph(d), repairs


def read_dict(path):
    """The file's ``node`` group as nested dictionaries (nir.serialization.hdf2dict), or a
    ParameterError naming the file."""
    import h5py
    from nir.serialization import hdf2dict
    try:
        with open(str(path), "rb") as f:
            head = f.read(4)
    except FileNotFoundError:
        raise ParameterError("path", str(path), "an existing NIR file", why="no such file") from None
    except OSError as e:
        raise ParameterError("path", str(path), "a readable NIR file", why=f"{type(e).__name__}: {e}") from None
    if head == b"PK\x03\x04":
        raise ParameterError("path", str(path), "a NIR (HDF5) file written by nir.write",
                             why="it is a zip archive (torch.save of a graph object?), not HDF5: write the graph "
                                 "with nir.write")
    try:
        with h5py.File(str(path), "r") as f:
            if "node" not in f:
                raise ParameterError("path", str(path), "a NIR (HDF5) file written by nir.write",
                                     why="it has no 'node' group")
            return hdf2dict(f["node"])
    except ParameterError:
        raise
    except FileNotFoundError:
        raise ParameterError("path", str(path), "an existing NIR file", why="no such file") from None
    except Exception as e:  # noqa: BLE001 - h5py: truncated, not HDF5, unreadable
        raise ParameterError("path", str(path), "a NIR (HDF5) file written by nir.write",
                             why=f"{type(e).__name__}: {e}") from None


def _s(x):
    return x.decode("utf8", "replace") if isinstance(x, bytes) else str(x)


def _where(graph_path, name=None):
    return ".".join(p for p in (graph_path, name) if p)


def _width(node):
    """Number of values a node (dict) outputs, where the node alone says it; else None."""
    kind = _s(node.get("type", ""))
    try:
        if kind in ("Affine", "Linear"):
            return int(np.asarray(node["weight"]).shape[0])
        if kind == "Input" or kind == "Output":
            return int(np.prod(np.asarray(node["shape"]).reshape(-1)))
        if kind in NEURON_PARAMS:
            sizes = [np.asarray(node[p]).size for p in NEURON_PARAMS[kind] if p in node]
            return max(sizes) if sizes and max(sizes) > 1 else None
    except (KeyError, ValueError, TypeError):
        return None
    return None


def repair(d, graph_path=""):
    """Repair the graph dictionary ``d`` in place (module docstring); returns the repair lines."""
    lines = []
    if _s(d.get("type", "NIRGraph")) != "NIRGraph" or not isinstance(d.get("nodes"), dict):
        raise ParameterError(f"graph {graph_path or '(top)'!r}", "no 'nodes' group", "a NIRGraph with nodes and edges",
                             why=f"the group holds {sorted(d) or 'nothing'}")
    nodes = d["nodes"]
    where = graph_path or "(top)"
    for name, node in nodes.items():
        if not isinstance(node, dict) or "type" not in node:
            raise ParameterError(f"node {_where(graph_path, name)!r}", "no 'type'", "a NIR node")
        node["type"] = _s(node["type"])
        if node["type"] == "NIRGraph":
            lines += repair(node, _where(graph_path, name))
        elif node["type"] in NEURON_PARAMS:
            lines += _repair_params(node, _where(graph_path, name))
        elif node["type"] in ("Conv1d", "Conv2d") and "input_shape" not in node and "weight" in node:
            node["input_shape"] = None
            lines.append(f"node {_where(graph_path, name)!r}: {node['type']} stores no input_shape: left unstated "
                         "(None, nir's value); the image size comes from the node feeding it")
    if "edges" not in d:
        kinds = sorted({nodes[k]["type"] for k in nodes})
        if not set(kinds) - {"Input", "Output", "Flatten", "Identity"}:
            raise ParameterError(f"graph {where!r}", f"nodes {sorted(nodes)} ({', '.join(kinds)}), no edges",
                                 "a graph with weight and neuron nodes",
                                 why="the file holds no weight or neuron node (the export wrote none)")
        keys = set(nodes)
        numbered = sorted((k for k in keys if k.isdigit()), key=int)
        if keys == {"input", "output"} | set(numbered) and [int(k) for k in numbered] == list(range(len(numbered))):
            chain = ["input"] + numbered + ["output"]
            d["edges"] = list(zip(chain[:-1], chain[1:]))
            lines.append(f"graph {where!r}: no 'edges' entry; its nodes input, 0..{len(numbered) - 1}, output "
                         f"chained in that order")
        else:
            raise ParameterError(f"graph {where!r}.edges", "missing", "an edges entry",
                                 why="the node names do not fix an order (only input, 0..N-1, output do)")
    edges = [(_s(a), _s(b)) for a, b in np.asarray(d["edges"], dtype=object).reshape(-1, 2)] if len(d["edges"]) else []
    names = [e for edge in edges for e in edge]
    missing = sorted({n for n in names if n not in nodes})
    for m in list(missing):
        regrouped = _regroup_flattened(d, edges, m, where)
        if regrouped is not None:
            edges = regrouped[0]
            lines.append(regrouped[1])
            lines += repair(nodes[m], _where(graph_path, m))
            missing.remove(m)
    names = [e for edge in edges for e in edge]
    if missing:
        unnamed = sorted(set(nodes) - set(names))
        rename = {}
        for m in missing:
            cands = [u for u in unnamed if u.startswith(m) or m.startswith(u)]
            if len(cands) == 1:
                rename[m] = cands[0]
        if len(missing) == 1 and len(unnamed) == 1 and missing[0] not in rename:
            rename[missing[0]] = unnamed[0]
        left = [m for m in missing if m not in rename]
        if left or len(set(rename.values())) != len(rename):
            m = left[0] if left else missing[0]
            raise ParameterError(f"graph {where!r}: edge endpoint {m!r}", "a node that is not stored",
                                 f"names of its nodes {sorted(nodes)}",
                                 why=f"node {m!r} does not exist and no unique node can be renamed to it "
                                     f"(nodes no edge names: {unnamed})")
        edges = [(rename.get(a, a), rename.get(b, b)) for a, b in edges]
        for m, u in sorted(rename.items()):
            lines.append(f"graph {where!r}: edges name {m!r}, the node is stored as {u!r}: renamed")
    d["edges"] = edges
    # nested Inputs typed with another width than the node feeding the subgraph
    for name, node in nodes.items():
        if node["type"] != "NIRGraph":
            continue
        feeders = [a for a, b in edges if b == name]
        widths = {_width(nodes[a]) for a in feeders if a in nodes} - {None}
        ins = [k for k, v in node["nodes"].items() if v["type"] == "Input"]
        if len(widths) == 1 and len(ins) == 1:
            inner = node["nodes"][ins[0]]
            w = widths.pop()
            have = _width(inner)
            if have is not None and have != w:
                inner["shape"] = np.array([w])
                lines.append(f"node {_where(_where(graph_path, name), ins[0])!r}: Input typed with {have} values, "
                             f"fed {w} by {feeders[0]!r}: retyped to {w}")
    return lines


def _regroup_flattened(d, edges, name, where):
    """``(edges, line)`` after regrouping the nodes ``name + '.*'`` of graph ``d`` into a nested graph
    ``name`` (module docstring), or None when that is not the one reading."""
    nodes = d["nodes"]
    prefix = name + "."
    inner = sorted(k for k in nodes if k.startswith(prefix))
    if name in nodes or not inner:
        return None
    kinds = [_s(nodes[k].get("type", "")) for k in inner]
    if kinds.count("Input") != 1 or kinds.count("Output") != 1:
        return None
    inside = [(a, b) for a, b in edges if a in inner and b in inner]
    crossing = [(a, b) for a, b in edges if (a in inner) != (b in inner)]
    if crossing:
        return None
    sub = {"type": "NIRGraph", "nodes": {k[len(prefix):]: nodes.pop(k) for k in inner},
           "edges": [(a[len(prefix):], b[len(prefix):]) for a, b in inside]}
    nodes[name] = sub
    rest = [(a, b) for a, b in edges if (a, b) not in inside]
    return rest, (f"graph {where!r}: edges name {name!r}, its nodes are stored flattened as "
                  f"{', '.join(repr(k) for k in inner)}: regrouped into the subgraph {name!r}")


def _repair_params(node, where):
    kind = node["type"]
    lines = []
    present = [p for p in NEURON_PARAMS[kind] if p in node]
    if "v_reset" in NEURON_PARAMS[kind] and "v_reset" not in node and "v_threshold" in node:
        node["v_reset"] = np.zeros_like(np.asarray(node["v_threshold"], dtype=np.float64))
        lines.append(f"node {where!r}: no v_reset stored: 0 (nir's default)")
        present.append("v_reset")
    shapes = {p: np.asarray(node[p]).shape for p in present}
    have = next(iter(shapes.values()), ())
    if len(set(shapes.values())) == 1 and len(have) >= 4 and have[0] == 1:
        # (1, C, H, W): a batch of one (early Sinabs exports); no NIR layer has four axes
        for p in present:
            node[p] = np.asarray(node[p]).reshape(have[1:])
        lines.append(f"node {where!r}: parameters of shape {have}: the leading batch axis of 1 dropped -> {have[1:]}")
        shapes = {p: have[1:] for p in present}
    big = {s for s in shapes.values() if int(np.prod(s)) > 1}
    shaped = {s for s in shapes.values() if s != ()}
    if not big and len(set(shapes.values())) > 1 and len(shaped) == 1:
        # single values only, stored as () and (1,) (older Norse export): nir asserts one shape
        target = shaped.pop()
        fixed = [p for p, s in shapes.items() if s != target]
        for p in fixed:
            node[p] = np.asarray(node[p], dtype=np.float64).reshape(target)
        lines.append(f"node {where!r}: {', '.join(fixed)} stored as shape (), the others as {target}: "
                     f"reshaped to {target}")
        return lines
    if len(big) > 1:
        raise ParameterError(f"node {where!r}", ", ".join(f"{p} {s}" for p, s in shapes.items()),
                             "parameters of one shape (or single values)", why="two different per-neuron shapes")
    if big and len(set(shapes.values())) > 1:
        target = big.pop()
        fixed = []
        for p, s in shapes.items():
            if s != target:
                node[p] = np.full(target, np.asarray(node[p], dtype=np.float64).reshape(-1)[0])
                fixed.append(p)
        lines.append(f"node {where!r}: {', '.join(fixed)} single value(s) broadcast to shape {target}")
    return lines


def build_graph(d, graph_path=""):
    """The repaired dictionary -> ``nir.NIRGraph`` built node by node (no type checks); a node nir
    refuses is a ParameterError naming it."""
    import nir
    nodes = {}
    for name, node in d["nodes"].items():
        where = _where(graph_path, name)
        if node["type"] == "NIRGraph":
            nodes[name] = build_graph(node, where)
            continue
        try:
            nodes[name] = nir.dict2NIRNode(dict(node))
        except Exception as e:  # noqa: BLE001 - nir's constructors assert, KeyError, TypeError
            raise ParameterError(f"node {where!r}", node.get("type"), "a node nir can build",
                                 why=f"{type(e).__name__}: {e}") from None
    meta = d.get("metadata") if isinstance(d.get("metadata"), dict) else {}
    return nir.NIRGraph(nodes=nodes, edges=list(d["edges"]), metadata=meta, type_check=False)
