"""Host driver for the UART host link on a real board: the protocol client on a serial port.

::

    from neuroxide.boards.host import open_serial
    link = open_serial("/dev/ttyUSB1", 115200)   # HostLink(SerialTransport(...))
    link.ping()                                  # {"version": 1, "max_words": 32}
    link.write(0x000010, [1, 2, 3])
    link.read(0x000010, 3)                       # [1, 2, 3]

The protocol client (:class:`HostLink`, :class:`CoreRegisters`, their errors) works over any byte
transport and lives in :mod:`neuroxide.models.hostlink_client`, where the simulation benches use it
too; this module adds the transport of a real board, :class:`SerialTransport` (pyserial, imported
when first used), and exports the client under the board driver's name. The cores' drivers
(:mod:`neuroxide.boards.snn_host`, :mod:`neuroxide.boards.onn_host`) build on it.
"""

from neuroxide.errors import ParameterError
from neuroxide.models.hostlink_client import CoreRegisters, HostLink, HostLinkError, HostLinkTimeout

__all__ = ["HostLink", "HostLinkError", "HostLinkTimeout", "CoreRegisters", "SerialTransport", "open_serial"]


class SerialTransport:
    """A serial port through pyserial (8N1). ``port`` e.g. ``/dev/ttyUSB1`` (iCEBreaker's second
    FTDI channel) or ``/dev/ttyUSB0`` (ULX3S). A missing port or pyserial raises
    :class:`~neuroxide.errors.ParameterError` naming the port (exit 2 at the CLI)."""

    def __init__(self, port, baud=115200):
        try:
            import serial
        except ImportError as error:
            raise ParameterError("port", port, "a serial port", why="pyserial is not installed: "
                                 "pip install pyserial") from error
        try:
            self.serial = serial.Serial(port, baud, bytesize=8, parity="N", stopbits=1, timeout=0.1)
        except (serial.SerialException, OSError, ValueError) as error:
            raise ParameterError("port", port, "an existing serial port such as /dev/ttyUSB1",
                                 why=str(error)) from error

    def write(self, data):
        self.serial.write(data)
        self.serial.flush()

    def read(self, n, timeout_s):
        self.serial.timeout = timeout_s
        return self.serial.read(n)

    def flush_input(self):
        self.serial.reset_input_buffer()

    def close(self):
        self.serial.close()


def open_serial(port, baud=115200, **options):
    """``HostLink(SerialTransport(port, baud), **options)``."""
    return HostLink(SerialTransport(port, baud), **options)
