# Hiện Trường — the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
REQS   := requirements.txt $(wildcard services/*/requirements.txt) gateway/requirements.txt

.PHONY: run test install system-packages tools web migrate seed bench bench-submit bench-cost bench-lookup bench-map bench-web soak fuzz token admin lint clean backup restore chaos

$(VENV)/.installed: $(REQS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip 'setuptools<81' wheel
	$(VENV)/bin/pip install -q -r requirements.txt
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed system-packages tools  ## virtualenv with every dependency, plus Debian packages

tools: $(VENV)/.installed  ## promtool (alert rule checks), from Debian's prometheus package: the binary only
	@bash scripts/promtool.sh $(VENV)/bin

system-packages:  ## Debian packages (ffmpeg, chromium, rabbitmq-server, postgresql), installed only when missing
	@bash scripts/system-packages.sh

# The web clients (web/): npm ci when the lockfile changes, a build when any source does (never committed).
WEB_SRC := $(shell find web -path web/node_modules -prune -o -path web/dist -prune -o -type f -print 2>/dev/null)

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web/dist/.built: web/node_modules/.installed $(WEB_SRC)
	cd web && node build.mjs
	touch $@

web: web/dist/.built  ## build the citizen app and the staff console into web/dist

run: install web  ## the whole system: broker and database (private ones if none), migrate, seed, S3, 6 services + gateway
	PYTHONWARNINGS='ignore::DeprecationWarning,ignore:pkg_resources is deprecated:UserWarning' \
	  exec $(PY) -m devtools.devrun

test: install web lint  ## the readability gate (make lint), then every test ring (unit, interface, end-to-end) against a real broker, database and S3
	$(VENV)/bin/pytest

migrate: install
	$(PY) -m libs.platform.migrate

seed: install
	$(PY) -m services.routing.seed

bench: install  ## with make run up: raw ceilings, public reads (ab), open-loop submissions at 35, 100/s and the highest sustained rate
	$(PY) bench/suite.py

bench-submit: install  ## closed loop: submit BENCH_N reports with BENCH_CONCURRENCY in flight (make run first)
	$(PY) bench/submit.py

bench-cost: install  ## with make run up: CPU ms, transactions and messages per report in each process over one open-loop step
	$(PY) bench/cost.py

chaos: install  ## fault suite: 2 replicas of every service, kills/broker/database faults for CHAOS_DURATION_S (1800), lost/duplicated checked
	PYTHONWARNINGS='ignore::DeprecationWarning' $(PY) -m tests.chaos

bench-lookup: install
	$(PY) bench/lookup.py

soak: install  ## with make run up: 30 min of steady load with the RSS of every process sampled; fails past the budget
	$(PY) bench/soak.py

fuzz: install  ## the long OpenAPI fuzz (schemathesis, coverage + fuzzing phases, FUZZ_EXAMPLES per operation, seeded)
	HT_FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),60) HT_FUZZ_SEED=$(or $(FUZZ_SEED),1) HT_FUZZ_PHASES=coverage,fuzzing \
	  $(VENV)/bin/pytest tests/e2e/test_fuzz_openapi.py -rA -s

bench-map: install  ## the map feed over 50 000 synthetic public reports in a scratch database (no make run needed)
	$(PY) bench/map50k.py

bench-web: install web  ## the citizen app in Chromium on a throttled network: bytes, time to interactive, map
	$(PY) bench/web.py

backup: install  ## every service schema and the bucket into BACKUP (default backups/<UTC time>)
	$(PY) -m libs.platform.backup create $(BACKUP)

restore: install  ## put BACKUP back (services stopped): schemas, bucket, unhandled events sent again
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/<time>"; exit 2; }
	$(PY) -m libs.platform.backup restore $(BACKUP)

token: install  ## a local staff token: make token ROLE=operator | ROLE=agency_officer AGENCY=UBND_18073
	@HT_JWT_SECRET=$$($(PY) -c 'import json;print(json.load(open(".run/secrets.json"))["HT_JWT_SECRET"])') \
	  $(PY) -m libs.auth.cli mint --role $(or $(ROLE),operator) $(if $(AGENCY),--agency $(AGENCY))

admin: install  ## an administrator account with a one-time password: make admin [USERNAME=admin] [RESET=1]
	@$(PY) -m services.accounts.bootstrap --username $(or $(USERNAME),admin) $(if $(RESET),--reset)

lint: install  ## the readability gate: ruff (lint and format, 110 columns) and mypy on libs/ and every service's domain/
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy libs $(wildcard services/*/domain)

clean:
	rm -rf $(VENV) .run web/dist web/node_modules
