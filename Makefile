# The two entry points the README gives: `make demo` and `make test`. Both install what they
# need from a fresh clone (a virtual environment in .venv; Debian's chromium for the browser
# tests, when run as root or with sudo).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
AS_OF ?= 2024-06-30

.PHONY: demo test lint browser bench clean

# The demo needs the package alone; the tests need the dev and spark extras too.
$(BIN)/.demo-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,spark]"
	touch $@ $(BIN)/.demo-installed

demo: $(BIN)/.demo-installed
	mkdir -p out
	$(BIN)/alignscore validate examples/firms.csv
	$(BIN)/alignscore score examples/firms.csv -o out/scores.csv --as-of $(AS_OF)
	$(BIN)/alignscore report examples/firms.csv -o out/reports --as-of $(AS_OF)
	@echo "scores: out/scores.csv   reports: out/reports/index.html"

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(BIN)/.installed browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q -m ""  # -m "" overrides the default's -m 'not slow': run all

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_score.py --rows 1000000

clean:
	rm -rf $(VENV) out
