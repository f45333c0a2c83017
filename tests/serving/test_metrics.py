from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from ranking.degraded import Degraded
from ranking.explain import NO_PHRASE
from ranking.result import ROW, PipelineResult, ServedBy, ServedList, StageStat
from serving.commands.server import _metrics_mode
from serving.metrics import Metrics
from serving.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }


def request_count(client: TestClient, route: str, status: str, method: str = "GET") -> float:
    key = (
        "pixelrank_http_request_duration_seconds_count",
        frozenset({"route": route, "method": method, "status": status}.items()),
    )
    return samples(client.get("/metrics").text).get(key, 0.0)


def test_metrics_endpoint_exposes_request_latency_by_route_template(client: TestClient) -> None:
    before = {
        key: request_count(client, *key)
        for key in [("/healthz", "2xx"), ("/v1/users/{username}", "4xx"), ("unmatched", "4xx")]
    }
    client.get("/healthz")
    client.get("/healthz")
    client.get("/v1/users/nobody")  # 404 from a templated route: counted under its template
    client.get("/no/such/path")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = {key: request_count(client, *key) for key in before}
    assert after[("/healthz", "2xx")] - before[("/healthz", "2xx")] == 2
    assert after[("/v1/users/{username}", "4xx")] - before[("/v1/users/{username}", "4xx")] == 1
    assert after[("unmatched", "4xx")] - before[("unmatched", "4xx")] == 1
    assert "/v1/users/nobody" not in response.text  # never a raw path as a label


def a_result(pipeline: str = "feed", version: str = "7", degraded: tuple[Degraded, ...] = ()) -> PipelineResult:
    stages = [
        StageStat("source", "following", 0.002, 0, 5),
        StageStat("source", "popular", 0.001, 0, 3),
        StageStat("hydrator", "post_facts", 0.0004, 8, 8),
        StageStat("filter", "seen", 0.0001, 8, 6),
        StageStat("filter", "blocked", 0.0001, 6, 6),
        StageStat("scorer", "lightgbm", 0.02, 6, 6),
    ]
    served_by = ServedBy(pipeline, "lightgbm", version, ("following", "popular"), (), degraded)
    rows = np.array([(1, 2, 0.5, 1, NO_PHRASE)], dtype=ROW)
    return PipelineResult(ServedList(("following",), rows), served_by, stages)


def test_observe_pipeline_increments_the_series_of_its_result() -> None:
    metrics = Metrics()
    # Deltas, not absolutes: should prometheus_client run in multiprocess mode (Feast can switch it on),
    # every Metrics of this process shares its values.
    series = [
        ("pixelrank_candidates_total", {"pipeline": "feed", "source": "following"}),
        ("pixelrank_candidates_total", {"pipeline": "feed", "source": "popular"}),
        ("pixelrank_filter_removed_total", {"pipeline": "feed", "filter": "seen"}),
        ("pixelrank_filter_removed_total", {"pipeline": "feed", "filter": "blocked"}),
        ("pixelrank_pipeline_stage_seconds_count", {"pipeline": "feed", "stage": "scorer:lightgbm"}),
        ("pixelrank_pipeline_stage_seconds_sum", {"pipeline": "feed", "stage": "scorer:lightgbm"}),
        ("pixelrank_fallbacks_total", {"kind": "source_failed"}),
        ("pixelrank_fallbacks_total", {"kind": "no_model_registered"}),
        ("pixelrank_candidates_total", {"pipeline": "explore", "source": "following"}),
    ]

    def snapshot() -> list[float]:
        return [metrics.registry.get_sample_value(name, labels) or 0.0 for name, labels in series]

    before = snapshot()
    degraded = (Degraded.SOURCE_FAILED, Degraded.NO_MODEL_REGISTERED)
    metrics.observe_pipeline(a_result(degraded=degraded))
    metrics.observe_pipeline(a_result())
    deltas = [after - b for after, b in zip(snapshot(), before, strict=True)]
    assert deltas == pytest.approx([10, 6, 4, 0, 2, 0.04, 1, 1, 0])
    assert metrics.registry.get_sample_value("pixelrank_model_info", {"role": "feed_ranker", "version": "7"}) == 1


def test_model_info_follows_the_version_in_use() -> None:
    metrics = Metrics()
    metrics.observe_pipeline(a_result(version="7"))
    metrics.observe_pipeline(a_result(version="8"))
    metrics.observe_pipeline(a_result(pipeline="explore", version="heuristic"))
    value = metrics.registry.get_sample_value
    assert value("pixelrank_model_info", {"role": "feed_ranker", "version": "7"}) == 0
    assert value("pixelrank_model_info", {"role": "feed_ranker", "version": "8"}) == 1
    assert value("pixelrank_model_info", {"role": "explore_ranker", "version": "heuristic"}) == 1


def test_cache_lookups_are_counted_by_result() -> None:
    metrics = Metrics()
    count = metrics.registry.get_sample_value
    hits, misses = (count("pixelrank_feed_cache_total", {"result": r}) or 0.0 for r in ("hit", "miss"))
    for hit in (True, False, False):
        metrics.observe_cache(hit)
    assert count("pixelrank_feed_cache_total", {"result": "miss"}) == misses + 2
    assert count("pixelrank_feed_cache_total", {"result": "hit"}) == hits + 1


def test_fallback_kinds_are_bounded_by_the_enum() -> None:
    assert Degraded.SOURCE_FAILED.kind == "source_failed"
    assert Degraded.ONLINE_STORE_UNREACHABLE.kind == "online_store_unreachable"
    assert len({d.kind for d in Degraded}) == len(Degraded)


def test_multiprocess_dir_without_the_environment_variable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=f"PROMETHEUS_MULTIPROC_DIR={tmp_path}"):
        Metrics(tmp_path)


WORKER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from serving.metrics import Metrics
    from tests.serving.test_metrics import a_result
    metrics = Metrics(Path(sys.argv[2]))
    if sys.argv[1] == "observe":
        metrics.observe_pipeline(a_result())
        metrics.observe_cache(True)
    else:
        sys.stdout.write(metrics.exposition().decode())
    """
)


def test_workers_metrics_are_summed_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}

    def run(mode: str) -> str:
        args = [sys.executable, "-c", WORKER, mode, str(tmp_path)]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("observe")
    run("observe")  # a second worker process
    exposed = samples(run("expose"))
    assert exposed[("pixelrank_candidates_total", frozenset({"pipeline": "feed", "source": "following"}.items()))] == 10
    assert exposed[("pixelrank_feed_cache_total", frozenset({"result": "hit"}.items()))] == 2


def test_serve_keeps_one_workers_metrics_in_process_and_gives_several_a_fresh_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One worker is the `serve` process itself, whose multiprocess files were opened when it imported the
    stack: emptying the folder under them hid every metric from /metrics. It keeps its own registry."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"an earlier run's")
    monkeypatch.setenv("PIXELRANK_METRICS_DIR", str(folder))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    _metrics_mode(Settings(), workers=1)
    assert Settings().metrics_dir is None and (folder / "counter_1.db").exists()
    monkeypatch.setenv("PIXELRANK_METRICS_DIR", str(folder))
    _metrics_mode(Settings(), workers=2)
    assert list(folder.iterdir()) == [] and os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(folder)
