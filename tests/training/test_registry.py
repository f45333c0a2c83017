"""The champion gate, promote and rollback, on a real `mlflow server` and on the SQLite store."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest
from matplotlib.patches import Rectangle
from mlflow import MlflowClient

from tests.mlflow_stores import STORE_KINDS, example, load_toy, log_toy_run, save_toy, store_uri, unique_name
from training import registry
from training.figures import calibration_bins, calibration_figure, feature_importance_figure, recall_at_k_figure
from training.pyfunc import model_folder
from training.registry import CHALLENGER, CHAMPION, PREVIOUS, RegistryError
from training.tracking import local_artifact_root, log_figures, open_experiment


@pytest.fixture(params=STORE_KINDS)
def tracking_uri(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return store_uri(request.param, request, tmp_path_factory)


def gate(
    uri: str, name: str, folder: Path, value: float, holdout: str = "h1", higher_is_better: bool = True
) -> registry.Decision:
    run_id = log_toy_run(uri, folder, value, pyfunc=False)
    return registry.register(run_id, name, "holdout_ndcg_at_10", holdout, higher_is_better, client=MlflowClient(uri))


def aliases(uri: str, name: str) -> dict[str, str]:
    versions = registry.list_versions(name, client=MlflowClient(uri))
    return {alias: v.version for v in versions for alias in v.aliases}


def test_gate_champion_only_when_strictly_better_on_the_same_holdout(tracking_uri: str, tmp_path: Path) -> None:
    name, folder = unique_name(), save_toy(tmp_path / "toy", (1.0, 0.0, 0.0))
    first = gate(tracking_uri, name, folder, 0.30)
    assert first.promoted and first.champion is None and first.version.version == "1"
    better = gate(tracking_uri, name, folder, 0.35)
    assert better.alias == CHAMPION and better.champion is not None and better.champion.version == "1"
    assert aliases(tracking_uri, name) == {CHAMPION: "2"}
    worse = gate(tracking_uri, name, folder, 0.20)
    assert worse.alias == CHALLENGER and not worse.promoted
    equal = gate(tracking_uri, name, folder, 0.35)
    assert equal.alias == CHALLENGER, "a tie must not move the champion"
    assert aliases(tracking_uri, name) == {CHAMPION: "2", CHALLENGER: "4"}
    other_holdout = gate(tracking_uri, name, folder, 0.99, holdout="h2")
    assert other_holdout.alias == CHALLENGER and "not comparable" in other_holdout.reason
    listed = registry.list_versions(name, client=MlflowClient(tracking_uri))
    assert [v.version for v in listed] == ["5", "4", "3", "2", "1"]
    assert (listed[3].metric, listed[3].holdout_id, listed[3].metric_name) == (0.35, "h1", "holdout_ndcg_at_10")


def test_gate_when_lower_is_better(tracking_uri: str, tmp_path: Path) -> None:
    name, folder = unique_name(), save_toy(tmp_path / "toy", (1.0, 0.0, 0.0))
    gate(tracking_uri, name, folder, 0.50, higher_is_better=False)
    assert gate(tracking_uri, name, folder, 0.60, higher_is_better=False).alias == CHALLENGER
    assert gate(tracking_uri, name, folder, 0.40, higher_is_better=False).alias == CHAMPION


def test_promote_and_rollback_follow_the_champion_history(tracking_uri: str, tmp_path: Path) -> None:
    name, folder, client = unique_name(), save_toy(tmp_path / "toy", (1.0, 0.0, 0.0)), MlflowClient(tracking_uri)
    for value in (0.30, 0.40, 0.10):  # v1 champion, v2 champion, v3 challenger
        gate(tracking_uri, name, folder, value)
    assert registry.promote(name, "3", client=client).aliases == (CHAMPION,)
    assert aliases(tracking_uri, name) == {CHAMPION: "3"}, "the promoted challenger loses the challenger alias"
    assert client.get_model_version(name, "3").tags[PREVIOUS] == "2"
    assert registry.rollback(name, client=client).version == "2"
    assert registry.rollback(name, client=client).version == "1"
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback(name, client=client)
    assert aliases(tracking_uri, name) == {CHAMPION: "1"}
    with pytest.raises(RegistryError, match="already the champion"):
        registry.promote(name, "1", client=client)


def test_clear_errors_for_unknown_models_versions_and_metrics(tracking_uri: str, tmp_path: Path) -> None:
    name, client = unique_name(), MlflowClient(tracking_uri)
    with pytest.raises(RegistryError, match="no registered model named"):
        registry.rollback(name, client=client)
    with pytest.raises(RegistryError, match="no registered model named"):
        registry.list_versions(name, client=client)
    run_id = log_toy_run(tracking_uri, save_toy(tmp_path / "toy", (1.0, 0.0, 0.0)), 0.3, pyfunc=False)
    with pytest.raises(RegistryError, match="logged no metric 'auc'"):
        registry.register(run_id, name, "auc", "h1", client=client)
    with pytest.raises(RegistryError, match="no model named 'ranker'"):
        registry.register(run_id, name, "holdout_ndcg_at_10", "h1", client=client, artifact_path="ranker")
    registry.register(run_id, name, "holdout_ndcg_at_10", "h1", client=client)
    for version in ("7", "x"):
        with pytest.raises(RegistryError, match=f"has no version '{version}'"):
            registry.promote(name, version, client=client)


@pytest.mark.parametrize("pyfunc", [True, False], ids=["pyfunc", "plain-folder"])
def test_a_registered_version_downloads_to_a_loadable_folder(tracking_uri: str, tmp_path: Path, pyfunc: bool) -> None:
    name, client = unique_name(), MlflowClient(tracking_uri)
    run_id = log_toy_run(tracking_uri, save_toy(tmp_path / "toy", (0.5, -1.0, 2.0)), 0.3, pyfunc=pyfunc)
    decision = registry.register(run_id, name, "holdout_ndcg_at_10", "h1", client=client)
    assert decision.version.feature_service == ("ranker_v1" if pyfunc else None)
    downloaded = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{name}@{CHAMPION}", dst_path=str(tmp_path / "dl"), tracking_uri=tracking_uri
    )
    assert load_toy(model_folder(Path(downloaded))).weights == (0.5, -1.0, 2.0)
    if pyfunc:  # the MLflow-native path works too: signature, input example, predict
        model = mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}")
        assert model.metadata.get_input_schema().input_names() == ["f0", "f1", "f2"]
        predicted = model.predict(example())["like"].to_numpy()
        np.testing.assert_allclose(predicted, 1 / (1 + np.exp(-np.array([0.5, -1.0, 2.0]))), rtol=1e-6)


def test_sqlite_artifacts_live_beside_the_database_not_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path / 'home' / 'mlflow.db'}"
    assert local_artifact_root(uri) == tmp_path / "home" / "mlartifacts"
    assert local_artifact_root("http://127.0.0.1:5000") is None
    monkeypatch.chdir(tmp_path)
    experiment_id = open_experiment(uri, "pictures")
    assert open_experiment(uri, "pictures") == experiment_id
    with mlflow.start_run() as run:
        log_figures({"importance": feature_importance_figure(["a", "b"], [1.0, 3.0])})
    assert (tmp_path / "home" / "mlartifacts" / "pictures" / run.info.run_id / "artifacts" / "importance.png").is_file()
    assert not (tmp_path / "mlruns").exists()


def test_figures_from_plain_arrays() -> None:
    predicted = np.array([0.05, 0.08, 0.55, 0.95, 0.91])
    labels = np.array([0, 0, 1, 1, 0])
    mean_predicted, observed = calibration_bins(predicted, labels, bins=10)
    np.testing.assert_allclose(mean_predicted, [0.065, 0.55, 0.93])
    np.testing.assert_allclose(observed, [0.0, 1.0, 0.5])
    assert len(calibration_figure(predicted, labels, head="like").axes[0].lines) == 2
    assert len(recall_at_k_figure([10, 100], [0.1, 0.4]).axes[0].lines) == 1
    bars = feature_importance_figure(["a", "b", "c"], [2.0, 5.0, 1.0], top=2).axes[0].patches
    assert [bar.get_width() for bar in bars if isinstance(bar, Rectangle)] == [
        2.0,
        5.0,
    ]  # largest drawn last, at the top
    with pytest.raises(ValueError, match="differ in shape"):
        calibration_bins(predicted, labels[:2])


def test_a_champion_from_another_holdout_is_remeasured_on_the_new_one(tracking_uri: str, tmp_path: Path) -> None:
    name, folder = unique_name(), save_toy(tmp_path / "toy", (1.0, 0.0, 0.0))
    gate(tracking_uri, name, folder, 0.50, holdout="2026-01")
    run_id = log_toy_run(tracking_uri, folder, 0.40, pyfunc=False)
    client = MlflowClient(tracking_uri)
    measured: list[str] = []

    def on_new_holdout(champion: registry.VersionInfo) -> float:
        measured.append(champion.version)
        return 0.35  # the champion scores lower on the newer, harder holdout

    decision = registry.register(
        run_id, name, "holdout_ndcg_at_10", "2026-02", client=client, remeasure_champion=on_new_holdout
    )
    assert measured == ["1"] and decision.promoted and decision.champion is not None
    assert (decision.champion.metric, decision.champion.holdout_id) == (0.35, "2026-02")

    def broken(champion: registry.VersionInfo) -> float:
        raise RuntimeError("champion artifacts unreadable")

    run_id = log_toy_run(tracking_uri, folder, 0.99, pyfunc=False)
    kept = registry.register(run_id, name, "holdout_ndcg_at_10", "2026-03", client=client, remeasure_champion=broken)
    assert kept.alias == CHALLENGER and "not comparable" in kept.reason


def test_fingerprint_names_the_same_rows_the_same() -> None:
    rows = np.arange(10)
    assert registry.fingerprint(rows, rows * 2.0) == registry.fingerprint(np.arange(10), np.arange(10) * 2.0)
    assert registry.fingerprint(rows) != registry.fingerprint(rows[:-1])
    assert registry.fingerprint(rows) != registry.fingerprint(rows.astype(np.int32))


def test_a_better_holdout_metric_needs_the_second_opinion_too(tracking_uri: str, tmp_path: Path) -> None:
    name, folder = unique_name(), save_toy(tmp_path / "toy", (1.0, 0.0, 0.0))
    client = MlflowClient(tracking_uri)
    asked: list[str] = []

    def gated(value: float, agrees: bool) -> registry.Decision:
        def opinion() -> tuple[bool, str]:
            asked.append("asked")
            return agrees, "OPE snips lower bound 0.9 is below the champion's 1.0"

        run_id = log_toy_run(tracking_uri, folder, value, pyfunc=False)
        return registry.register(run_id, name, "holdout_ndcg_at_10", "h1", client=client, second_opinion=opinion)

    first = gated(0.30, agrees=False)
    assert first.promoted and asked == []  # no champion yet: nothing to compare with
    vetoed = gated(0.40, agrees=False)
    assert vetoed.alias == CHALLENGER and "but OPE snips lower bound" in vetoed.reason and asked == ["asked"]
    worse = gated(0.20, agrees=True)
    assert worse.alias == CHALLENGER and asked == ["asked"]  # the holdout already said no
    agreed = gated(0.45, agrees=True)
    assert agreed.promoted and "and OPE" in agreed.reason
