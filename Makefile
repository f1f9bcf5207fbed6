# neuroxide: `make demo` runs the whole flow on defaults, `make test` runs the test suite.
# Both create .venv and install from PyPI on first use (no sudo, no system EDA tools needed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BOARD  ?= icebreaker
DESIGN ?= lif
# pytest workers (pytest-xdist): the suite itself is single-threaded; 2 = the cores of the dev and CI machines
WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile

.PHONY: install demo test test-slow test-boards formal verilog bitstream bench figures clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=69" wheel
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## the main job: NbOx neuron -> calibration -> Verilog -> cocotb proof -> iCEBreaker bitstream
demo: $(STAMP)
	$(BIN)/neuroxide demo

## default suite: models, RTL (Amaranth sim + hypothesis), cocotb on Icarus and Verilator, CLI, formal,
## the lif top placed and routed on both boards
test: $(STAMP)
	$(PYTEST) -m "not slow"

## long randomised campaigns (10,000 hypothesis examples per rule) and long cocotb runs
test-slow: $(STAMP)
	HYPOTHESIS_PROFILE=slow $(PYTEST) -m "slow or not slow"

## place-and-route tests only (the `board` marker: YoWASP yosys + nextpnr, minutes on first use)
test-boards: $(STAMP)
	$(PYTEST) -m board

## formal proofs (SymbiYosys k-induction, z3) of every property harness -> results/formal.json
formal: $(STAMP)
	$(BIN)/python -m neuroxide.testbench.formal --out results/formal.json

verilog: $(STAMP)
	$(BIN)/neuroxide verilog $(DESIGN) -o build/verilog/$(DESIGN).v

bitstream: $(STAMP)
	$(BIN)/neuroxide build $(DESIGN) --board $(BOARD) --report build/boards/$(DESIGN)-$(BOARD).json

## benchmarks -> results/bench.json: every part of neuroxide/benchmarks/ (about an hour on 2 cores:
## Verilator anneals and board builds dominate). One part or a few: make bench PARTS=model,digits-accuracy
## Its figures reach the README with: python -m neuroxide.figures --import-bench results/bench.json
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m neuroxide.bench --out results/bench.json $(if $(PARTS),--only $(PARTS))

## README figures: re-record the cheap sources (about 3 minutes; PARTS=a,b re-records those instead,
## e.g. PARTS=digits-faults,onn_maxcut) into docs/results/, then render README.md and docs/snn.md from them
figures: $(STAMP)
	$(BIN)/python -m neuroxide.figures --record $(or $(PARTS),cheap)

clean:
	rm -rf build sim_build results .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
