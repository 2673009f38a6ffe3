# Two commands for people: `make run` and `make test`. Both install what is
# missing on a Debian machine (run as root), see scripts/.
.PHONY: run test lint lock bench

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy config facilities transfer notifications bench

# Regenerate the hashed lock from pyproject.toml.
lock:
	.venv/bin/pip-compile -q --extra dev --generate-hashes --strip-extras -o requirements.lock pyproject.toml
