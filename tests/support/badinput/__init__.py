"""The bad-input catalogue: every subcommand and file reader tried with input it must refuse.

One list of :class:`Case` values (:func:`catalogue`) is the single source of truth for
``tests/test_bad_inputs.py`` and for ``docs/robustness.md``. A case names its target (a
subcommand such as ``verilog``, or a reader such as ``G-set reader``), its category (malformed,
empty, huge, out-of-range, missing-file, unknown-name), the input (``argv`` for the CLI, or a
reader call), the files it needs (written into a fresh temporary folder, which is also the working
folder of the run, so default outputs such as ``build/`` would show up there), and the field the
error message must name.

What a case must show (:func:`run_case`), the CLI contract for bad input:

* exit code 2 (a reader raises :class:`~neuroxide.errors.ParameterError`, which the CLI turns
  into exit 2; the host-link frame decoder raises ``ProtocolError`` with the status the device
  answers instead);
* an ``error:`` line on stderr naming the field and what is allowed;
* no traceback;
* nothing written: the temporary folder holds exactly the input files afterwards (no output file,
  no half-written temporary file, no ``build/``).

Where the cases live: :mod:`.flow_cases` (top level, list, boards, verilog, simulate, build, demo,
device), :mod:`.experiment_cases` (digits, hh, hopfield, izhikevich, link), :mod:`.reader_cases`
(maxcut and the G-set reader, preset lookup, host-link frames), :mod:`.file_cases` (core
configuration JSON, NIR files), :mod:`.nir_cases` (the NIR paper's files, reader refusals, event counts, --max-count,
--weight-scale), :mod:`.device_file_cases` (device preset files, measurement CSVs of
``device fit``), :mod:`.variability_cases` (digits' device spreads), :mod:`.ts_neuron_cases` (the
two-phase TS neuron), :mod:`.sweep_cases` (sweep files, executors), :mod:`.snn_capacity_cases` (networks that do not fit
a board's memory), :mod:`.deploy_cases` (program, emulate, boards without a UART), :mod:`.snn_core2_cases` (lanes and
neuron lanes of the SNN core), :mod:`.onn_lanes_cases` (ONN lanes, coupling widths), :mod:`.mnist_cases`
(``digits --dataset``), :mod:`.learn_cases` (``neuroxide learn``), :mod:`.plasticity_cases` (learning
rules, rates, the plastic-layer design), :mod:`.conv_cases` (convolution layers of the SNN core) and :mod:`.generated` (every ``-p`` of every design and every
device preset field), all built with the helpers of :mod:`.case`.

Run ``python -m tests.support.badinput --doc docs/robustness.md`` from the repository root to try
every case and write the tables (observed exit codes and messages, not hard-coded ones).
"""

from .case import CATEGORIES, Case, Outcome
from .cases import catalogue, hand_cases
from .file_cases import config_cases, nir_cases
from .generated import device_cases, int_bounds, param_cases
from .report import main, markdown
from .runner import run_all, run_case

__all__ = ["Case", "Outcome", "CATEGORIES", "catalogue", "hand_cases", "param_cases", "device_cases",
           "config_cases", "nir_cases", "int_bounds", "run_case", "run_all", "markdown", "main"]
