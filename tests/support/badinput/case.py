"""What a bad-input case is, what running one found, and the helpers every case list builds with."""

from dataclasses import dataclass, field

__all__ = ["CATEGORIES", "ALLOWED_MARKERS", "TMP", "Case", "Outcome", "cli_case", "subcommand", "write_repeated"]

CATEGORIES = ("malformed", "empty", "huge", "out-of-range", "missing-file", "unknown-name")

# an error line says what is allowed: ParameterError's "allowed: ...", or argparse's own wording
ALLOWED_MARKERS = ("allowed:", "choose from", "invalid int value", "invalid float value", "required",
                   "unrecognized arguments", "expected one argument")

TMP = "{tmp}"   # in argv: the case's temporary folder (also its working folder)


@dataclass(frozen=True)
class Case:
    """One bad input. ``{tmp}`` in ``argv`` is the case's temporary folder (also its working folder).

    ``files``: ``(name, content)`` pairs written before the run; content is bytes, or a callable
    ``f(path)`` that writes the file (huge files). ``outputs``: names in the folder that must not
    exist afterwards (beyond the general "nothing new" check). ``call(tmp)``: a reader call instead
    of ``argv``. ``expect``: ``"exit 2"``, or ``"ProtocolError"`` with ``status`` (a Status name or
    None for "not a frame at all"). ``subprocess``: run the real ``python -m neuroxide.cli``.
    """

    target: str
    category: str
    what: str
    field: str
    argv: tuple = ()
    files: tuple = ()
    outputs: tuple = ()
    call: object = None
    expect: str = "exit 2"
    status: str | None = None
    subprocess: bool = False
    group: str | None = None   # generated -p sweeps: the design (compact table in the docs)
    param: str | None = None   # generated -p sweeps: the parameter

    @property
    def id(self):
        return f"{self.target}: {self.what}"


@dataclass
class Outcome:
    case: Case
    code: object              # exit code, "traceback", or "ProtocolError(STATUS)"
    message: str              # the first error line
    problems: list = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def passed(self):
        return not self.problems


def cli_case(target, category, what, fld, *argv, **kw):
    """A case that runs ``neuroxide ARGV...`` and must name ``fld`` in its error line."""
    return Case(target, category, what, fld, argv=tuple(argv), **kw)


def subcommand(target, *head, tail=(), outputs=()):
    """A case builder for one subcommand: ``neuroxide HEAD... ARGS... TAIL...``, where ``outputs``
    (what the command would write, named in ``tail``) must not exist afterwards."""
    def case(category, what, fld, *args, **kw):
        return cli_case(target, category, what, fld, *head, *args, *tail, outputs=outputs, **kw)
    return case


def write_repeated(line, count, head=b""):
    """A file writer for huge inputs: ``head`` then ``line`` ``count`` times, in 64 Ki-line chunks."""
    def write(path):
        with open(path, "wb") as f:
            f.write(head)
            chunk = line * 65536
            for _ in range(count // 65536):
                f.write(chunk)
            f.write(line * (count % 65536))
    return write
