# eapcase: `make run` to try it, `make test` for everything CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EAPCASE := $(BIN)/eapcase
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve test lint typecheck contracts migrations-check pytest bench demo clean vendor vendor-check vendor-axe

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-installs only when the lock or the project metadata changed. uv, itself pinned with its
# hashes in the lock (the venv's own pip installs it from those), installs the same hashed
# lock in seconds where pip takes about 40 s with a cold cache (docs/performance.md, "First
# run"); whenever uv cannot be installed or fails, pip, brought up to date, installs it all.
# Bytecode is compiled at install (pip does by default, uv when asked; our own sources by
# compileall): where PYTHONDONTWRITEBYTECODE is set, as on the CI machines, Python would
# otherwise compile every module it imports at every start (about 1.3 s of CPU a Django
# command, 0.8 s of `eapcase check`'s time in `holidays`).
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	@awk '/^uv==/{p=1} p{print} p&&!/\\$$/{exit}' requirements.lock > $(VENV)/uv-lock.txt
	if $(BIN)/pip install --quiet --require-hashes --no-deps -r $(VENV)/uv-lock.txt \
	  && $(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode --require-hashes -r requirements.lock \
	  && $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .; then :; else \
	  $(BIN)/pip install --quiet --upgrade pip \
	  && $(BIN)/pip install --quiet --require-hashes -r requirements.lock \
	  && $(BIN)/pip install --quiet --no-deps -e .; fi
	$(BIN)/python -m compileall -q -j 0 src >/dev/null
	touch $@

install: $(VENV)/.installed

# Without EMAIL_HOST, `make run` writes outgoing mail to var/mail/ (one file per message)
# instead of trying an SMTP server that a fresh machine does not have.
run: export EMAIL_BACKEND ?= $(if $(EMAIL_HOST),django.core.mail.backends.smtp.EmailBackend,django.core.mail.backends.filebased.EmailBackend)
# The demo logins have no authenticator app: the demo asks for no second factor. Everywhere
# else EAPCASE_REQUIRE_MFA is on unless turned off.
run: export EAPCASE_REQUIRE_MFA = false
run: install
	$(EAPCASE) migrate --noinput
	$(EAPCASE) demo --if-empty
	$(EAPCASE) collectstatic --noinput --verbosity 0
	$(EAPCASE) demo --logins --url http://$(HOST):$(PORT)/
	@echo "Serving on http://$(HOST):$(PORT)/ with the background worker  (Ctrl-C stops both)"
	@echo "Outgoing mail: $(if $(EMAIL_HOST),SMTP $(EMAIL_HOST),files in var/mail/)"
	@echo "Two-step verification is OFF for this demo (EAPCASE_REQUIRE_MFA=false); it is on by default everywhere else"
	@$(EAPCASE) worker & worker=$$!; \
	  trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	  trap 'exit 130' INT TERM; \
	  $(EAPCASE) runserver --insecure $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

migrations-check: install
	$(EAPCASE) makemigrations --check --dry-run

pytest: install
	$(BIN)/pytest -p no:cacheprovider -n 2

test: lint typecheck contracts migrations-check vendor-check pytest

# Generates the data it needs (or reuses it), measures, prints the table (docs/performance.md).
# BENCH_ARGS="--pg" adds PostgreSQL, "--cases 1000000" the target size, "--quick" for CI.
bench: install
	nice -n 10 $(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Front-end assets come from the npm registry once and are committed (no CDN at run time).
BOOTSTRAP_VERSION := 5.3.9
CHARTJS_VERSION := 4.6.2
VENDOR := src/eapcase/web/static/vendor
vendor:
	rm -rf /tmp/eapcase-vendor && mkdir -p /tmp/eapcase-vendor $(VENDOR)/bootstrap $(VENDOR)/chartjs
	cd /tmp/eapcase-vendor && npm pack --silent bootstrap@$(BOOTSTRAP_VERSION) && tar xzf bootstrap-$(BOOTSTRAP_VERSION).tgz
	cp /tmp/eapcase-vendor/package/dist/css/bootstrap.min.css /tmp/eapcase-vendor/package/dist/js/bootstrap.bundle.min.js /tmp/eapcase-vendor/package/LICENSE $(VENDOR)/bootstrap/
	sed -i 's|/\*# sourceMappingURL=.*\*/||' $(VENDOR)/bootstrap/bootstrap.min.css
	sed -i 's|//# sourceMappingURL=.*||' $(VENDOR)/bootstrap/bootstrap.bundle.min.js
	mkdir -p /tmp/eapcase-vendor/chartjs && cd /tmp/eapcase-vendor/chartjs && npm pack --silent chart.js@$(CHARTJS_VERSION) && tar xzf chart.js-$(CHARTJS_VERSION).tgz
	cp /tmp/eapcase-vendor/chartjs/package/dist/chart.umd.min.js $(VENDOR)/chartjs/
	cp /tmp/eapcase-vendor/chartjs/package/LICENSE.md $(VENDOR)/chartjs/LICENSE.md
	sed -i 's|//# sourceMappingURL=.*||' $(VENDOR)/chartjs/chart.umd.min.js
	cd $(VENDOR) && sha256sum bootstrap/bootstrap.min.css bootstrap/bootstrap.bundle.min.js chartjs/chart.umd.min.js > SHA256SUMS

# axe-core runs only in the browser tests (tests/browser/test_accessibility.py): it is kept
# under the tests, never served to users. `make vendor-axe` takes it again.
AXE_VERSION := 4.14.1
AXE_VENDOR := tests/browser/vendor/axe-core
vendor-axe:
	rm -rf /tmp/eapcase-vendor-axe && mkdir -p /tmp/eapcase-vendor-axe $(AXE_VENDOR)
	cd /tmp/eapcase-vendor-axe && npm pack --silent axe-core@$(AXE_VERSION) && tar xzf axe-core-$(AXE_VERSION).tgz
	cp /tmp/eapcase-vendor-axe/package/axe.min.js /tmp/eapcase-vendor-axe/package/LICENSE $(AXE_VENDOR)/
	cd $(AXE_VENDOR) && sha256sum axe.min.js LICENSE > SHA256SUMS

vendor-check:
	cd $(VENDOR) && sha256sum --check --quiet SHA256SUMS
	cd $(AXE_VENDOR) && sha256sum --check --quiet SHA256SUMS
