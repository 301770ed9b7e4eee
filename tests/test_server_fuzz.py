"""Property-based fuzz of the OpenAPI schema (schemathesis strategies): no input may give a 5xx."""

import pytest
from conftest import SEEDS, FakeEmbedder, FakeGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, openapi

from qa.build import build_index
from qa.pipeline import Pipeline
from qa.server import create_app
from qa.settings import Settings


@pytest.fixture(scope="module")
def fuzz_schema(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    docs = base / "docs"
    docs.mkdir()
    for f in SEEDS.glob("*.txt"):
        (docs / f.name).write_bytes(f.read_bytes())
    s = Settings(docs=docs, index_dir=base / "index", min_score=0.0)
    emb = FakeEmbedder()
    store, _ = build_index(s, emb)
    app = create_app(s, Pipeline(s, store, emb, FakeGenerator()))
    return openapi.from_asgi("/openapi.json", app)


def operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


def test_every_route_is_fuzzed(fuzz_schema):
    paths = {op.path for op in operations(fuzz_schema)}
    assert {"/ask", "/search", "/sources/{file}", "/health", "/articles"} <= paths


def test_no_5xx_for_generated_inputs(fuzz_schema):
    strategy = st.one_of(
        *[op.as_strategy() for op in operations(fuzz_schema)],
        *[
            op.as_strategy(generation_mode=GenerationMode.NEGATIVE)
            for op in operations(fuzz_schema)
        ],
    )

    @given(case=strategy)
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case):
        response = case.call()
        assert response.status_code < 500, (case.method, case.path, response.text[:200])

    check()
