# Two commands: `make run` starts the all-in-one, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
STATE ?= state
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)

.PHONY: run test lint unit functional real bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(VENV)/bin/cirrus all-in-one --state-dir $(STATE)

test: lint unit functional real

lint: $(STAMP)
	$(VENV)/bin/ruff check cirrus tests bench
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/unit

functional: $(STAMP)
	$(VENV)/bin/pytest -q -p no:cacheprovider -n 2 --dist loadfile tests/functional

real: $(STAMP)
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/real

bench: $(STAMP)
	$(VENV)/bin/python bench/boot.py
	$(VENV)/bin/python bench/resize.py
	$(VENV)/bin/python bench/cross_cell.py

clean:
	rm -rf $(VENV) $(STATE)
