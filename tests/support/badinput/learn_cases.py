"""Bad input to ``neuroxide learn``: the demo, the back end, the synapse preset, the budgets, the
learning rate, the weight width. Each is refused before any data is read, anything
is trained or a plot folder is created."""

from .case import TMP, subcommand

__all__ = ["learn_cases"]


def learn_cases():
    """One case per kind of bad ``learn`` input (``--plot-dir`` given: it must not be created)."""
    T = TMP
    ln = subcommand("learn", "learn", tail=("--plot-dir", f"{T}/plots"), outputs=("plots",))
    return [
        ln("unknown-name", "DEMO cifar10", "DEMO", "cifar10"),
        ln("empty", "DEMO ''", "DEMO", ""),
        ln("huge", "--backend rtl on digits (6,400 synapses; the rtl bench takes up to 4,096)", "--backend",
           "digits", "--backend", "rtl"),
        ln("huge", "--backend rtl --epochs 100 on letters (over 20 M simulated clocks)", "--train",
           "letters", "--backend", "rtl", "--epochs", "100"),
        ln("unknown-name", "--device unobtainium", "--device", "digits", "--device", "unobtainium"),
        ln("out-of-range", "--learning-rate 5 (STDP eta above 1)", "--learning-rate", "digits", "--learning-rate", "5"),
        ln("out-of-range", "--learning-rate 0", "--learning-rate", "sdsp-mnist", "--learning-rate", "0"),
        ln("out-of-range", "--learning-rate nan", "--learning-rate", "mnist", "--learning-rate", "nan"),
        ln("out-of-range", "--weight-bits 9", "--weight-bits", "digits", "--weight-bits", "9"),
        ln("out-of-range", "--epochs 0", "--epochs", "letters", "--epochs", "0"),
        ln("huge", "--epochs 1000000", "--epochs", "letters", "--epochs", "1000000"),
        ln("out-of-range", "--train 4001 (MNIST has 4,000 training images)", "--train", "mnist", "--train", "4001"),
        ln("out-of-range", "--test 541 (digits has 540 test images)", "--test", "digits", "--test", "541"),
        ln("out-of-range", "--steps 2", "--steps", "letters", "--steps", "2"),
        ln("out-of-range", "--seed -1", "--seed", "letters", "--seed", "-1"),
        ln("malformed", "--epochs two", "--epochs", "letters", "--epochs", "two"),
    ]
