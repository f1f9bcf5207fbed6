"""The host link's demo bus target: its register map, declared once, and its reference model.

:func:`register_file_map` is the map of ``neuroxide.rtl.register_file.RegisterFileCore`` (a block-RAM
word memory, an ID register and a small FIFO register); the core's decoder, the benches and the
table in docs/hostlink.md derive from it. :class:`RegisterFileModel` is what the core does on each
bus transfer, the target of the link's reference model (:func:`neuroxide.models.hostlink.link_model`).
"""

import collections

from neuroxide.errors import ParameterError

from .registers import Register, RegisterMap

__all__ = ["register_file_map", "RegisterFileModel", "REGISTER_FILE_ID", "FIFO_DEPTH", "MAX_RAM_WORDS"]

REGISTER_FILE_ID = 0x4E58_0001  # "NX", version 1
FIFO_DEPTH = 4
MAX_RAM_WORDS = 1 << 16


def register_file_map(depth=256):
    """The register map of a RegisterFileCore with ``depth`` RAM words (1..MAX_RAM_WORDS)."""
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_RAM_WORDS:
        raise ParameterError("depth", depth, f"an integer number of words in 1..{MAX_RAM_WORDS}")
    return RegisterMap("register-file", [
        Register("RAM", 0x000000, "rw", count=depth, index="k", reset_doc="-", doc="RAM word k (block RAM)"),
        Register("ID", 0xFFFF00, "r", reset=REGISTER_FILE_ID, doc='"NX", version 1'),
        Register("FIFO", None, "rw fifo", doc=f"{FIFO_DEPTH}-deep queue: a write pushes (acked with err, "
                 "nothing stored, when full), a read pops (0 when empty)"),
        Register("COUNT", None, "r", fields=[("level", FIFO_DEPTH.bit_length(), 0, "words in the FIFO")]),
    ], doc="host link demo core")


class RegisterFileModel:
    """What ``RegisterFileCore`` does on each bus transfer (anything unmapped reads 0, writes do nothing)."""

    def __init__(self, depth=256):
        self.registers = register_file_map(depth)
        self.depth = depth
        self.ram = [0] * depth
        self.fifo = collections.deque()
        self.transfers = []  # (addr, we, w_data, r_data, err), like AmaranthTransport.transfers

    def transfer(self, addr, we, data=0):
        """-> ``(r_data, err)``"""
        r_data, err = self._transfer(addr, we, data)
        self.transfers.append((addr, int(we), data if we else 0, 0 if we else r_data, int(err)))
        return r_data, err

    def _transfer(self, addr, we, data):
        found = self.registers.find(addr)
        name, index = (found[0].name, found[1]) if found else (None, 0)
        if we:
            if name == "RAM":
                self.ram[index] = data
            elif name == "FIFO":
                if len(self.fifo) >= FIFO_DEPTH:
                    return 0, True
                self.fifo.append(data)
            return 0, False
        if name == "RAM":
            return self.ram[index], False
        if name == "ID":
            return self.registers["ID"].reset, False
        if name == "FIFO":
            return (self.fifo.popleft() if self.fifo else 0), False
        if name == "COUNT":
            return len(self.fifo), False
        return 0, False
