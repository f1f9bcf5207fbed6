"""Experiments: what the subcommands compute, as plain functions returning dataclasses.

Each module holds one experiment (``digits``, ``maxcut``, ``hopfield``, ``izhikevich``, ``hh``,
``nir``, ``device``): a frozen *setup* dataclass whose construction validates every field (a
:class:`~neuroxide.errors.ParameterError` names the field by the setup's own name, never by a
command-line flag), a ``run_*`` function taking the setup and returning a *result* dataclass with a
``to_dict()`` for JSON, and the figure of the result. (``nir`` runs arrays of spikes:
``import_nir(NIRImportSetup)`` maps a file onto the core, ``run_nir(net, mapping, spikes, backend)``
takes them as typed arguments.) Where an experiment runs on several back ends it declares which in
``BACKENDS``, from the one registry :mod:`neuroxide.experiments.backends`.

Commands (``neuroxide/commands/``) parse arguments, build the setup, call the run function and
print; benchmarks (``neuroxide/benchmarks/``) choose setups and record their results. Nothing here
prints, parses command lines or changes global state.
"""
