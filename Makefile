# sohoa — two commands matter: `make run` (demo on the embedded default) and `make test`.
# Both install what is missing on a fresh Debian machine: system packages, a .venv with the project.

SHELL := /bin/bash
PY := .venv/bin/python
SOHOA := .venv/bin/sohoa
# docker-compose: Debian's Compose (v1) validates docker-compose.yml in the tests (tests/test_compose.py) on a
# machine without Docker's own repository, where the v2 plugin is not packaged
APT_PACKAGES := python3-venv python3-dev tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils qpdf \
	softhsm2 ghostscript unpaper pngquant fonts-liberation2 fonts-dejavu-core fonts-freefont-ttf \
	docker-compose chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO ?= var/demo-scans
DEMO_AGENCY ?= 000.00.12.H01

.PHONY: setup system venv services run test bench bench-ocr bench-understanding bench-signing bench-search bench-fixity bench-exchange bench-ingest lint clean

setup: system venv

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

venv: .venv/.installed

.venv/.installed: pyproject.toml
	@[ -x $(PY) ] || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	@touch $@

services:
	@bash .ci/services.sh

run: setup
	@if [ -z "$(SCANS)" ] && [ ! -d "$(DEMO)" ]; then \
		echo "Generating a demo batch of synthetic scans in $(DEMO)"; \
		$(PY) -m bench.synthetic $(DEMO) --count 6 --tier mixed; \
	fi
	$(SOHOA) digitize $(or $(SCANS),$(DEMO)) --out var/demo-pdfs || true
	@$(SOHOA) user bootstrap demo --agency $(DEMO_AGENCY) --role clerk --role signer --role van_thu --role agency_admin
	@echo ""
	@echo "Digitized. Searchable PDFs are in var/demo-pdfs; the store and catalog are in var/."
	@echo "Next, with the API running on http://127.0.0.1:8000 (log in as 'demo' with the password above):"
	@echo "  open http://127.0.0.1:8000/web/                       the pages, in Vietnamese (English as a second locale)"
	@echo "  open http://127.0.0.1:8000/docs                       the API: Authorize, then try it in the browser"
	@echo '  T=$$($(SOHOA) user token demo)                  an access token for curl'
	@echo '  curl -s -H "Authorization: Bearer $$T" "http://127.0.0.1:8000/api/v1/search?q=quyet+dinh"   search without diacritics'
	@echo '  curl -s -H "Authorization: Bearer $$T" -F files=@scan.jpg http://127.0.0.1:8000/api/v1/batches   upload more scans'
	@echo "  $(SOHOA) watch DROP_FOLDER                            digitize a scanner's drop folder"
	@echo ""
	$(SOHOA) serve

test: setup services
	@bash .ci/pytest.sh

bench: bench-ocr bench-understanding bench-signing bench-search bench-fixity bench-exchange bench-ingest

bench-ocr: setup
	$(PY) bench/ocr_throughput.py

bench-understanding: setup
	$(PY) bench/understanding.py

bench-signing: setup
	$(PY) bench/signing.py

bench-search: setup
	$(PY) bench/search.py

bench-fixity: setup
	$(PY) bench/fixity.py

bench-exchange: setup
	$(PY) bench/exchange.py

bench-ingest: setup services
	$(PY) bench/ingest_load.py

clean:
	rm -rf var .pytest_cache
