"""The model registry's champion gate: a new version becomes `champion` only when it beats the champion.

"Beats" means a strictly better holdout metric *measured on the same holdout*: each version carries its
metric name, value and holdout id as tags, so the comparison needs no access to the old run. A version
that does not beat the champion (equal counts as not better: no churn for noise), or whose champion was
measured on another holdout, becomes `challenger` for a reviewer to look at. Serving follows the
`champion` alias, so moving it is a deploy; `promote` and `rollback` are the manual controls.

Each version promoted to champion remembers the one it replaced (tag `previous_champion`): `rollback`
walks that chain back, so it restores exactly what served before, not merely an older version number.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import mlflow.artifacts
import numpy as np
from mlflow import MlflowClient
from mlflow.entities import Run
from mlflow.entities.model_registry import ModelVersion, RegisteredModel
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

from training.tracking import FEATURE_SERVICE_TAG

RANKER = "pixelrank-ranker"
TWO_TOWER = "pixelrank-two-tower"
IMAGE_ENCODER = "pixelrank-image-encoder"
MODEL_NAMES = (RANKER, TWO_TOWER, IMAGE_ENCODER)
CHAMPION, CHALLENGER = "champion", "challenger"
METRIC_NAME, METRIC, HOLDOUT, HIGHER_IS_BETTER = "metric_name", "metric", "holdout_id", "higher_is_better"
PREVIOUS = "previous_champion"
log = logging.getLogger(__name__)


class RegistryError(ValueError):
    """A registry request that cannot be met (unknown model or version, nothing to roll back to...)."""


@dataclass(frozen=True)
class VersionInfo:
    name: str
    version: str
    aliases: tuple[str, ...]
    metric_name: str | None
    metric: float | None
    holdout_id: str | None
    higher_is_better: bool
    created: datetime
    run_id: str | None
    feature_service: str | None


@dataclass(frozen=True)
class Decision:
    version: VersionInfo
    alias: str  # CHAMPION or CHALLENGER
    champion: VersionInfo | None  # the champion it was compared with
    reason: str

    @property
    def promoted(self) -> bool:
        return self.alias == CHAMPION


def register(
    run_id: str,
    name: str,
    metric: str,
    holdout_id: str,
    higher_is_better: bool = True,
    *,
    client: MlflowClient | None = None,
    artifact_path: str = "model",
    remeasure_champion: Callable[[VersionInfo], float] | None = None,
    second_opinion: Callable[[], tuple[bool, str]] | None = None,
) -> Decision:
    """Register the run's model as a new version of `name` and gate it against the champion.

    `metric` names a metric the run logged (e.g. "test_ndcg_at_10"); `holdout_id` identifies the
    holdout it was measured on (`fingerprint()` of its rows, say). `client` defaults to the current
    tracking URI (the one the training job opened). When the champion was measured on another holdout,
    `remeasure_champion(champion)` (if given) measures it on this run's holdout so the two compare;
    if it fails, the champion stays and the new version becomes challenger. A version that beats the
    champion becomes champion only if `second_opinion()` (if given; e.g. off-policy evaluation) agrees too.
    """
    client = client or MlflowClient()
    run = client.get_run(run_id)
    if metric not in run.data.metrics:
        raise RegistryError(f"run {run_id} logged no metric {metric!r} (it has: {sorted(run.data.metrics)})")
    source, model_id = _model_source(client, run, artifact_path)
    _ensure_registered(client, name)
    tags = {
        METRIC_NAME: metric,
        METRIC: repr(run.data.metrics[metric]),
        HOLDOUT: holdout_id,
        HIGHER_IS_BETTER: str(higher_is_better).lower(),
    }
    if FEATURE_SERVICE_TAG in run.data.tags:
        tags[FEATURE_SERVICE_TAG] = run.data.tags[FEATURE_SERVICE_TAG]
    created = version_info(client.create_model_version(name, source, run_id=run_id, tags=tags, model_id=model_id))
    champion = champion_of(client, name)
    if champion is not None and remeasure_champion is not None and not _comparable(created, champion):
        champion = _remeasured(champion, created, remeasure_champion)
    better, reason = _beats(created, champion)
    if better and champion is not None and second_opinion is not None:
        agrees, why = second_opinion()
        better, reason = agrees, f"{reason}, {'and' if agrees else 'but'} {why}"
    if better:
        _make_champion(client, created, champion)
        return Decision(version_info(client.get_model_version(name, created.version)), CHAMPION, champion, reason)
    client.set_registered_model_alias(name, CHALLENGER, created.version)
    return Decision(version_info(client.get_model_version(name, created.version)), CHALLENGER, champion, reason)


def promote(name: str, version: str, *, client: MlflowClient | None = None) -> VersionInfo:
    """Make `version` the champion by hand (a reviewer's call, whatever its metric)."""
    client = client or MlflowClient()
    target = _version(client, name, version)
    champion = champion_of(client, name)
    if champion is not None and champion.version == target.version:
        raise RegistryError(f"{name} version {version} is already the champion")
    _make_champion(client, target, champion)
    return version_info(client.get_model_version(name, target.version))


def rollback(name: str, *, client: MlflowClient | None = None) -> VersionInfo:
    """Give `champion` back to the version it replaced; the new champion."""
    client = client or MlflowClient()
    _registered(client, name)
    champion = champion_of(client, name)
    if champion is None:
        raise RegistryError(f"{name} has no champion to roll back")
    previous = client.get_model_version(name, champion.version).tags.get(PREVIOUS)
    if not previous:
        raise RegistryError(f"{name} version {champion.version} replaced no earlier champion: nothing to roll back to")
    client.set_registered_model_alias(name, CHAMPION, previous)
    return version_info(client.get_model_version(name, previous))


def list_versions(name: str, *, client: MlflowClient | None = None) -> list[VersionInfo]:
    """Every version of `name`, newest first."""
    client = client or MlflowClient()
    by_version: dict[str, list[str]] = {}
    for alias, version in _registered(client, name).aliases.items():  # search results may omit aliases
        by_version.setdefault(str(version), []).append(alias)
    versions = [version_info(v) for v in client.search_model_versions(f"name = '{name}'")]
    versions = [replace(v, aliases=tuple(sorted(by_version.get(v.version, ())))) for v in versions]
    return sorted(versions, key=lambda v: int(v.version), reverse=True)


def champion_of(client: MlflowClient, name: str) -> VersionInfo | None:
    try:
        return version_info(client.get_model_version_by_alias(name, CHAMPION))
    except MlflowException as error:
        if is_missing(error):  # no such alias, or no such model
            return None
        raise


def is_missing(error: MlflowException) -> bool:
    """The store answered "no such model / version / alias" (as opposed to failing)."""
    return error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND")


def version_info(version: ModelVersion) -> VersionInfo:
    tags = version.tags or {}
    metric = tags.get(METRIC)
    return VersionInfo(
        name=version.name,
        version=str(version.version),
        aliases=tuple(version.aliases or ()),
        metric_name=tags.get(METRIC_NAME),
        metric=float(metric) if metric is not None else None,
        holdout_id=tags.get(HOLDOUT),
        higher_is_better=tags.get(HIGHER_IS_BETTER, "true") == "true",
        created=datetime.fromtimestamp(int(version.creation_timestamp) / 1000, UTC),
        run_id=version.run_id or None,
        feature_service=tags.get(FEATURE_SERVICE_TAG),
    )


def _beats(new: VersionInfo, champion: VersionInfo | None) -> tuple[bool, str]:
    if champion is None:
        return True, "no champion yet"
    if not _comparable(new, champion):
        return False, (
            f"champion v{champion.version} was measured as {champion.metric_name} on holdout "
            f"{champion.holdout_id!r}, not {new.metric_name} on {new.holdout_id!r}: not comparable"
        )
    assert new.metric is not None and champion.metric is not None  # both carry METRIC with METRIC_NAME
    better = new.metric > champion.metric if new.higher_is_better else new.metric < champion.metric
    relation = "beats" if better else "does not beat"
    return better, f"{new.metric_name} {new.metric:.6g} {relation} champion v{champion.version}'s {champion.metric:.6g}"


def _comparable(new: VersionInfo, champion: VersionInfo) -> bool:
    return champion.holdout_id == new.holdout_id and champion.metric_name == new.metric_name


def _remeasured(champion: VersionInfo, new: VersionInfo, measure: Callable[[VersionInfo], float]) -> VersionInfo:
    """The champion as measured on the new version's holdout (unchanged when measuring fails)."""
    try:
        value = float(measure(champion))
    except Exception:  # the gate then sees "not comparable": the champion stays, safely
        log.exception("could not measure champion v%s on holdout %s", champion.version, new.holdout_id)
        return champion
    return replace(champion, metric=value, metric_name=new.metric_name, holdout_id=new.holdout_id)


def fingerprint(*arrays: np.ndarray) -> str:
    """A short content hash of the holdout's defining arrays: the same rows give the same holdout id."""
    digest = hashlib.sha256()
    for array in arrays:
        contiguous = np.ascontiguousarray(array)
        digest.update(f"{contiguous.dtype.str}{contiguous.shape}".encode())
        digest.update(contiguous.tobytes())
    return digest.hexdigest()[:16]


def _make_champion(client: MlflowClient, target: VersionInfo, champion: VersionInfo | None) -> None:
    if champion is not None:
        client.set_model_version_tag(target.name, target.version, PREVIOUS, champion.version)
    elif PREVIOUS in (client.get_model_version(target.name, target.version).tags or {}):
        client.delete_model_version_tag(target.name, target.version, PREVIOUS)  # a stale link from an old reign
    client.set_registered_model_alias(target.name, CHAMPION, target.version)
    if CHALLENGER in target.aliases:
        client.delete_registered_model_alias(target.name, CHALLENGER)


def _model_source(client: MlflowClient, run: Run, artifact_path: str) -> tuple[str, str | None]:
    """The run's logged model named `artifact_path`, else its plain artifact folder of that name."""
    run_id = run.info.run_id
    logged = [
        model
        for model in client.search_logged_models(
            experiment_ids=[run.info.experiment_id], filter_string=f"name = '{artifact_path}'"
        )
        if model.source_run_id == run_id
    ]
    if logged:
        newest = max(logged, key=lambda model: model.creation_timestamp)
        return f"models:/{newest.model_id}", newest.model_id
    if any(item.path == artifact_path for item in client.list_artifacts(run_id)):
        return f"{run.info.artifact_uri.rstrip('/')}/{artifact_path}", None
    raise RegistryError(f"run {run_id} has no model named {artifact_path!r} (neither logged model nor artifacts)")


def _ensure_registered(client: MlflowClient, name: str) -> None:
    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if error.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise


def _registered(client: MlflowClient, name: str) -> RegisteredModel:
    try:
        return client.get_registered_model(name)
    except MlflowException as error:
        if not is_missing(error):
            raise
        raise RegistryError(f"no registered model named {name!r}") from None


def version_of(name: str, version: str, *, client: MlflowClient | None = None) -> VersionInfo:
    """One version's info (`RegistryError` when the model or the version is unknown)."""
    return _version(client or MlflowClient(), name, version)


def _version(client: MlflowClient, name: str, version: str) -> VersionInfo:
    _registered(client, name)
    try:
        return version_info(client.get_model_version(name, version))
    except MlflowException as error:
        if not is_missing(error):
            raise
        raise RegistryError(f"{name} has no version {version!r}") from None


def download_version(client: MlflowClient, name: str, version: str, dst: Path) -> Path:
    """The files of one registered version, downloaded under ``dst`` from the client's own store.

    Through the version's storage location, not "models:/name/version": MLflow resolves that through
    the process-wide registry URI, ignoring the client's (with none set, a ./mlflow.db in the working
    directory, where the model is "not found").
    """
    source = client.get_model_version_download_uri(name, version)
    return Path(
        mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=str(dst), tracking_uri=client.tracking_uri)
    )
