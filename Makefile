# The two commands of the README's quick start: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test test-stress fuzz system-deps test-deps clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

system-deps:
	tools/system-deps.sh

test-deps:
	NEED_BROWSER=1 tools/system-deps.sh

test: test-deps $(VENV)/.installed
	tools/run-tests.sh

# The timing-sensitive tests, three times with both cores busy (tools/stress-tests.sh).
test-stress: test-deps $(VENV)/.installed
	tools/stress-tests.sh $(ARGS)

# The property tests, random and longer than in `make test` (which runs them derandomized).
fuzz: test-deps $(VENV)/.installed
	HYPOTHESIS_PROFILE=explore tools/run-tests.sh \
		tests/test_fuzz.py tests/test_iin.py tests/test_mrz.py tests/test_absence.py tests/test_codecs.py

demo: system-deps $(VENV)/.installed
	$(PY) -m demo

clean:
	rm -rf $(VENV) var .pytest_cache test-artifacts
