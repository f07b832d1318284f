"""schemathesis over the app's own OpenAPI document (ASGI, SQLite): for every operation, a
bounded number of generated requests; none may answer 5xx, and every answer must match its
declared status codes, content type and schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from memdash.app.db.engine import make_engine
from memdash.app.db.migrate import upgrade_to_head
from memdash.app.main import create_app
from memdash.app.settings import Settings

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 100
# No 5xx; status codes, content types and bodies as documented. (Not "schema-valid data is
# accepted": a schema cannot say that a launch needs a preset or shapes, which the app checks.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory):
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    config = Settings(data_dir=data_dir, worker_tokens="fuzz-worker-token", claim_wait_s=0)
    engine = make_engine(config.resolved_database_url)
    upgrade_to_head(engine)
    engine.dispose()
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(config))


def test_no_server_errors_and_answers_match_the_schema(api_schema) -> None:
    """Every operation in turn (the pytest plugin of schemathesis does not load under this
    pytest, so hypothesis drives each operation's strategy directly); all problems listed."""
    problems: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case) -> None:
            case.call_and_validate(
                headers={"Authorization": "Bearer fuzz-worker-token"}, checks=CHECKS
            )

        try:
            check()
        except BaseException as error:  # collect every operation's failure, report them all
            if isinstance(error, KeyboardInterrupt):
                raise
            first = [line for line in str(error).strip().splitlines() if line.strip()][:8]
            problems.append(f"{operation.label}: " + " | ".join(first))
    assert not problems, f"{len(problems)} operations failed:\n" + "\n".join(problems)
