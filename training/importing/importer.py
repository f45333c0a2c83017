"""`import_dataset`: a real interaction log into the product's tables, all or nothing.

Steps: read and validate every file (`sources`), map it onto accounts, posts, likes and follows in
memory (`plan`), then write it all in one transaction (`writer`), together with a mapping file
`{home}/imports/{dataset}/mapping.parquet` from external ids to database ids:

| column | meaning |
|---|---|
| kind | "user" or "item" |
| external_id | the id in the files, as a string (integral numbers without a decimal point) |
| id | `users.id` for a user, `posts.id` for an item |
| username | the account's username (users); the catalogue account's (items) |

The mapping can also be rebuilt from the database: usernames are a pure function of the external
user id (`plan.username_for`), and a post's caption starts with the item's title. The file is
moved into place only once the transaction has committed; an import that fails leaves no rows, no
events and no mapping file. A later import of the same dataset into the same database is refused
(its catalogue account `catalog.{dataset}` exists); into a fresh database it replaces the file.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from social_core import accounts
from training.evaluation.data import DataFormat
from training.importing.plan import ImportPlan, plan_import
from training.importing.sources import load_dataset
from training.importing.writer import Progress, Written, write_plan


@dataclass(frozen=True)
class ImportSummary:
    """What one import wrote. `users` counts the dataset's users; the database also gains the
    catalogue account (`catalog_username`) that authors every post."""

    dataset: str
    users: int
    posts: int
    likes: int
    views: int
    follows: int
    hashtags: int
    events: int
    seconds: float
    catalog_username: str
    mapping_path: Path


def import_dataset(
    engine: Engine,
    home: Path,
    interactions_path: Path,
    follows_path: Path | None = None,
    items_path: Path | None = None,
    fmt: DataFormat = "csv",
    progress: Progress | None = None,
    *,
    name: str | None = None,
    like_threshold: float = 4.0,
) -> ImportSummary:
    """Import the files into `engine`'s (migrated) database; raise `DatasetError` on bad input.

    `name` names the dataset (default: the MovieLens folder, or the interactions file's stem);
    a rating ≥ `like_threshold` is a like (where the file has ratings).
    """
    started = time.perf_counter()
    report = progress or _silent
    dataset = load_dataset(interactions_path, follows_path, items_path, fmt, name=name, like_threshold=like_threshold)
    plan = plan_import(dataset)
    password_hash = accounts.hasher.hash(secrets.token_urlsafe(32))  # nobody knows it: no one can log in
    final = mapping_path(home, plan.dataset)
    staged = final.with_name(final.name + ".partial")
    try:
        with engine.begin() as conn:
            written = write_plan(conn, plan, password_hash, report)
            write_mapping(plan, written, staged)
        os.replace(staged, final)
    finally:
        staged.unlink(missing_ok=True)
        _remove_if_empty(final.parent)
    return _summary(plan, written, final, time.perf_counter() - started)


def mapping_path(home: Path, dataset: str) -> Path:
    return home / "imports" / dataset / "mapping.parquet"


def write_mapping(plan: ImportPlan, written: Written, path: Path) -> None:
    users = pd.DataFrame(
        {"kind": "user", "external_id": plan.users["key"], "id": written.user_ids, "username": plan.users["username"]}
    )
    items = pd.DataFrame(
        {
            "kind": "item",
            "external_id": plan.posts["key"],
            "id": plan.posts["post_id"],
            "username": plan.catalog_username,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.concat([users, items], ignore_index=True).to_parquet(path, index=False)


def _summary(plan: ImportPlan, written: Written, path: Path, seconds: float) -> ImportSummary:
    rows = written.rows
    return ImportSummary(
        dataset=plan.dataset,
        users=len(plan.users),
        posts=rows["posts"],
        likes=rows["likes"],
        views=len(plan.views),
        follows=rows["follows"],
        hashtags=rows["post_hashtags"],
        events=rows["events"],
        seconds=seconds,
        catalog_username=plan.catalog_username,
        mapping_path=path,
    )


def _remove_if_empty(folder: Path) -> None:
    for path in (folder, folder.parent):  # {home}/imports/{dataset}, then {home}/imports
        try:
            path.rmdir()
        except OSError:  # not empty, or not there
            return


def _silent(stage: str, done: int, total: int) -> None:
    """The default progress: report nothing."""
