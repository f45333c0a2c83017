from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer

# Snowflake ids exceed JavaScript's 2^53: sent as strings, accepted as either.
IdStr = Annotated[int, PlainSerializer(str, return_type=str, when_used="json")]

T = TypeVar("T")


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
