"""Benchmark of the host link: simulated frames/s, protocol overhead, board resources.

``.venv/bin/python -m neuroxide.bench --only hostlink --out results/bench.json``
"""

__all__ = ["PARTS", "bench_hostlink", "overhead"]


def overhead():
    """Wire bytes per transfer: request + response bytes for N words, and payload efficiency
    (data bytes / all bytes on the wire, both directions) -- computed from the codec."""
    from neuroxide.models import hostlink as proto
    out = {}
    for n in (1, 8, proto.MAX_WORDS):
        write = len(proto.write_request(0, [0] * n)) + len(proto.encode_response(0x10, 0, b"\0"))
        read = len(proto.read_request(0, n)) + len(proto.encode_response(0x20, 0, bytes(4 * n)))
        out[f"{n}_words"] = {
            "write_bytes": write, "read_bytes": read,
            "write_efficiency": round(4 * n / write, 3), "read_efficiency": round(4 * n / read, 3),
        }
    # at 115200 baud (10 bits per byte on the line), words/s of bulk writes and reads
    n = proto.MAX_WORDS
    out["words_per_s_at_115200"] = {
        "write": round(n * 11520 / out[f"{n}_words"]["write_bytes"]),
        "read": round(n * 11520 / out[f"{n}_words"]["read_bytes"]),
    }
    return out


def bench_hostlink(frames=10_000, simulators=None, boards=("icebreaker", "ulx3s-85f"),
                   build_dir="build/bench/hostlink"):
    """Fuzz frames/s on each simulator (byte-stream, free-running), overhead, board resources."""
    from neuroxide.designs import configure
    from neuroxide.flow import build_design, simulate_design
    from neuroxide.testbench.runner import available_simulators

    result = {"overhead": overhead(), "simulate": {}, "boards": {}}
    cfg = configure("hostlink", {})
    for sim in simulators or available_simulators():
        res = simulate_design(cfg, sim, frames, f"{build_dir}/sim")
        result["simulate"][sim] = {k: res.get(k) for k in (
            "steps", "responses", "cycles", "mismatches", "frames_per_s", "cycles_per_s",
            "free_run_s", "build_s", "wall_s")}
    for board in boards:
        res = build_design(cfg, board, f"{build_dir}/boards")
        result["boards"][board] = {k: res.get(k) for k in (
            "device", "luts", "ffs", "brams", "dsps", "fmax_mhz", "clock_mhz", "timing_met", "build_s")}
    return result


PARTS = {"hostlink": bench_hostlink}
