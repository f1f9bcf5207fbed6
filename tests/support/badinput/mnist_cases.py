"""Bad input to ``neuroxide digits --dataset``: the data-set name and the limits that depend on it."""

from .case import TMP, subcommand

__all__ = ["mnist_cases"]


def mnist_cases():
    """One case per kind of bad ``--dataset`` input (refused before any data is read or run)."""
    T = TMP
    dg = subcommand("digits", "digits", tail=("--plot", f"{T}/m.png"), outputs=("m.png",))
    return [
        dg("unknown-name", "--dataset cifar10", "--dataset", "--dataset", "cifar10"),
        dg("unknown-name", "--dataset MNIST (case matters)", "--dataset", "--dataset", "MNIST"),
        dg("empty", "--dataset ''", "--dataset", "--dataset", ""),
        dg("out-of-range", "--dataset mnist --limit 1001", "--limit", "--dataset", "mnist", "--limit", "1001"),
        dg("out-of-range", "--dataset mnist --limit 0", "--limit", "--dataset", "mnist", "--limit", "0"),
        dg("out-of-range", "--dataset digits --limit 541", "--limit", "--dataset", "digits", "--limit", "541"),
        dg("out-of-range", "--dataset mnist --weight-bits 9", "--weight-bits", "--dataset", "mnist",
           "--weight-bits", "9"),
    ]
