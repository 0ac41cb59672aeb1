# Hiện Trường — the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
REQS   := requirements.txt $(wildcard services/*/requirements.txt) gateway/requirements.txt

.PHONY: run test install system-packages migrate seed bench bench-lookup token lint clean

$(VENV)/.installed: $(REQS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip 'setuptools<81' wheel
	$(VENV)/bin/pip install -q -r requirements.txt
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed system-packages  ## virtualenv with every dependency, plus Debian packages

system-packages:  ## Debian packages the services need (ffmpeg for video), installed only when missing
	@bash scripts/system-packages.sh

run: install  ## the whole system: migrate, seed, local S3 if none configured, 5 services + gateway
	PYTHONWARNINGS='ignore::DeprecationWarning,ignore:pkg_resources is deprecated:UserWarning' \
	  exec $(PY) -m libs.platform.devrun

test: install  ## every test ring (unit, interface, end-to-end) against the real broker, database and S3
	$(VENV)/bin/pytest

migrate: install
	$(PY) -m libs.platform.migrate

seed: install
	$(PY) -m services.routing.seed

bench: install  ## submit N reports through a running gateway (make run first): BENCH_N, BENCH_URL
	$(PY) bench/submit.py

bench-lookup: install
	$(PY) bench/lookup.py

token: install  ## a local staff token: make token ROLE=operator | ROLE=agency_officer AGENCY=UBND_18073
	@HT_JWT_SECRET=$$($(PY) -c 'import json;print(json.load(open(".run/secrets.json"))["HT_JWT_SECRET"])') \
	  $(PY) -m libs.auth.cli mint --role $(or $(ROLE),operator) $(if $(AGENCY),--agency $(AGENCY))

lint: install
	$(VENV)/bin/ruff check . || true

clean:
	rm -rf $(VENV) .run
