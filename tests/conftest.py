"""Shared fixtures. The store tests run against both SQLite and a real PostgreSQL server.

PostgreSQL comes from ``COMPANY_REVIEWER_TEST_PG_URL`` (``scripts/run-tests.sh`` starts one); each
test gets a fresh database of its own there, as it gets a fresh SQLite file.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from company_reviewer.config import shared_data_dir

PG_URL_ENV = "COMPANY_REVIEWER_TEST_PG_URL"


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_URL_ENV)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite'}"


@pytest.fixture
def postgres_url():
    admin_url = _pg_admin_url()
    if not admin_url:
        pytest.fail(f"{PG_URL_ENV} is not set: run the tests with `make test` (it starts PostgreSQL)")
    admin = sa.create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from company_reviewer.store.db import get_engine

    get_engine.cache_clear()
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Runs the test once per backend."""
    return request.getfixturevalue(f"{request.param}_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def engine(database_url):
    from company_reviewer.store.db import get_engine

    return get_engine(database_url)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not (path / "glassdoor" / "reviews.csv.gz").exists():
        pytest.fail(f"the shared review data is missing at {path}; set COMPANY_REVIEWER_SHARED_DATA")
    return path


@pytest.fixture(scope="session")
def demo_reviews_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("company_reviewer") / "demo" / "reviews.csv"))
