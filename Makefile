# Two commands for everything: `make book` builds the site, `make test` runs the tests.
# Both create or refresh the local virtual environment from the pinned requirements.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help env book test page lint linkcheck student-copies verify-data clean

help:
	@echo "make book     build the site at full settings into _build/html"
	@echo "make test     run the test suite (pages run in fast mode)"
	@echo "make page PAGE=book/exercises/x.ipynb   run one page in fast mode"
	@echo "make student-copies   write exercise notebooks without solutions"
	@echo "make verify-data      check shipped data files against the manifest"
	@echo "make linkcheck        check the external links of the site"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

env: $(STAMP)

# Student copies of the exercise notebooks are written into the site's sources
# (ignored by git) so that each exercise page links its copy as a download.
book: $(STAMP)
	$(BIN)/python -m lessons_code.student_copies --out book/_static/student
	$(BIN)/jupyter-book build . -W --keep-going
	@echo "The site is at $(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest

page: $(STAMP)
	LESSONS_FAST=1 $(BIN)/python -m pytest tests/test_pages_run.py --page=$(PAGE)

linkcheck: $(STAMP)
	$(BIN)/python -m lessons_code.student_copies --out book/_static/student
	$(BIN)/jupyter-book build . --builder linkcheck

lint: $(STAMP)
	$(BIN)/ruff check lessons_code tests
	$(BIN)/codespell book lessons_code README.md CONTRIBUTING.md

student-copies: $(STAMP)
	$(BIN)/python -m lessons_code.student_copies --out student_copies

verify-data: $(STAMP)
	$(BIN)/python -m lessons_code.data verify

clean:
	rm -rf _build
