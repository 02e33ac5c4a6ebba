# One entry point for the native stack and the checks. `make help` lists the targets.
SHELL := /bin/bash
STACK := ./deploy/native/stack.sh
PYTEST_ARGS ?=

.PHONY: help up down restart status test lint backup reset es-snapshot bench bench-etl bench-freshness bench-auth bench-api bench-relevance bench-load

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

up: ## install what is missing and start every service (a no-op when all are healthy)
	@$(STACK) up

down: ## stop every service (data stays in .state/)
	@$(STACK) down

restart: ## stop, then start every service
	@$(STACK) restart

status: ## show what runs and where it listens
	@$(STACK) status

test: up ## start the stack when needed, then run the whole test suite
	@$(STACK) run dev python -m pytest $(PYTEST_ARGS)

lint: ## ruff and mypy
	@$(STACK) run dev ruff check .
	@$(STACK) run dev ruff format --check .
	@$(STACK) run dev mypy api auth
	@$(STACK) run dev mypy -p cinema_etl -p catalogue -p es_mappings -p openapi30 -p http_errors -p request_ids -p service_metrics -p devtools
	@$(STACK) run dev mypy dags

backup: up ## regenerate restore/catalogue.dump from the seeded generator
	@$(STACK) run dev bash restore/make-postgres-backup.sh

es-snapshot: up ## regenerate restore/elasticsearch/ (the catalogue dump loaded by the ETL, then snapshotted)
	@$(STACK) run dev bash restore/make-elasticsearch-snapshot.sh

bench: up ## all five benchmarks, then one table (figure, baseline, ratio, target), also put into README.md
	@$(STACK) bench python -m bench.report --readme $(BENCH_ARGS)

bench-etl: up ## ETL benchmark: full-load rate vs a helpers.bulk baseline, incremental reads, peak memory
	@$(STACK) bench python -m bench.etl $(BENCH_ARGS)

bench-freshness: up ## freshness benchmark: commit-to-API seconds over 20 spaced changes (p50, p95, max) through Airflow
	@$(STACK) run dev python -m bench.freshness $(BENCH_ARGS)

bench-auth: up ## auth benchmark: logins/s vs the bcrypt-bound limit, /users/me p99 under login load, verifications/s
	@$(STACK) bench python -m bench.auth $(BENCH_ARGS)

bench-api: up ## content API benchmark with wrk: cached detail/list vs a bare Sanic handler, search vs direct ES
	@$(STACK) bench python -m bench.api $(BENCH_ARGS)

bench-relevance: up ## search relevance: MRR@10 and top-1 per query kind at 1,000 and 100,000 films, worst queries
	@$(STACK) bench python -m bench.relevance $(BENCH_ARGS)

bench-load: up ## 20,000 mixed content/auth requests at 64 connections through the gateway (wrk): statuses, p50/p99
	@$(STACK) bench python -m bench.load $(BENCH_ARGS)

reset: ## stop everything and delete all local state (data, logs, virtual environments)
	@$(STACK) reset
