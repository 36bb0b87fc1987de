# The two commands the README names: `make site` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEB_PACKAGES := graphviz nftables libnftables1 iproute2 ethtool iptables bpftool chromium git util-linux fonts-dejavu-core openssh-server openssh-client openvswitch-switch nodejs openssl ipset

.PHONY: site test lint deps pyodide venv serve bench clean

deps:
	@./scripts/install-debian-packages $(DEB_PACKAGES)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The Pyodide runtime for the browser trace (/trace/), fetched from npm into the package (not in git).
pyodide: deps
	@./scripts/fetch-pyodide

venv: deps pyodide $(STAMP)

site: venv
	$(VENV)/bin/netstack-docs build --snapshots snapshots --site site

serve: venv
	$(VENV)/bin/netstack-docs serve

lint: venv
	$(VENV)/bin/ruff check netstack_docs tests bench lab
	$(VENV)/bin/mypy

test: venv lint
	$(VENV)/bin/pytest

bench: venv
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf site .build .cache
