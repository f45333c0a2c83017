"""Entities: user, post, author; the user×author pair is the feature view keyed by both."""

from feast import Entity, ValueType

user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64, description="A viewer.")
post = Entity(name="post", join_keys=["post_id"], value_type=ValueType.INT64, description="A post.")
author = Entity(name="author", join_keys=["author_id"], value_type=ValueType.INT64, description="A post's author.")

ENTITIES = {"user_id": user, "post_id": post, "author_id": author}
