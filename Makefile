# regshare — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
VENDOR := src/regshare/static/vendor

.PHONY: run test test-dates install install-test assets fonts browser bench-tools lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e ".[test,bench]"
	touch $@

install: $(STAMP) assets

install-test: $(TEST_STAMP) assets

node_modules/.package-lock.json: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# htmx, ECharts and Swagger UI (the API docs page) come from the npm registry and are served by the
# platform itself (no CDN: an intranet cannot reach one).
assets: node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/

# A CJK font so that PDFs and screenshots show Chinese instead of empty boxes.
fonts:
	@fc-list 2>/dev/null | grep -qiE "wqy|noto.*cjk" || \
	  (command -v apt-get >/dev/null && (apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei >/dev/null) \
	   || echo "提示: 未能安装中文字体 fonts-wqy-microhei,PDF 与截图中的中文可能无法显示")

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline).
browser:
	@command -v chromium >/dev/null || (command -v apt-get >/dev/null && apt-get update -qq && \
	  apt-get install -y -qq chromium >/dev/null) || echo "提示: 未能安装 chromium,浏览器测试将无法运行"

# wrk, the load generator of bench/access.py and bench/credit_check.py (C, so that it leaves the
# cores to the server under test).
bench-tools: install-test
	@command -v wrk >/dev/null || (command -v apt-get >/dev/null && apt-get update -qq && \
	  apt-get install -y -qq wrk >/dev/null) || echo "提示: 未能安装 wrk,基准测试将改用 Python 客户端"

run: install fonts
	$(BIN)/regshare migrate
	$(BIN)/regshare demo --seed 1
	@echo ""
	@echo "平台已启动 / serving on http://127.0.0.1:8000  (Ctrl+C 退出)"
	REGSHARE_DEBUG=1 $(BIN)/regshare serve --host 127.0.0.1 --port 8000

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

# Two test processes by default (the machines have two cores); `make test PYTEST_WORKERS=0` runs in one.
PYTEST_WORKERS ?= 2

test: install-test fonts browser lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The tests marked date_sensitive again, with the clock moved to a month start, a month end, the year end
# and the National Day week, so a rule that only breaks on some days of the year breaks here first.
TEST_DATES ?= 2027-03-01,2026-11-30,2026-12-31,2026-10-02
test-dates: install-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m date_sensitive --today=$(TEST_DATES) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
