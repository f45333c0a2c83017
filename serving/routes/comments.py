from __future__ import annotations

from fastapi import APIRouter, status

from serving.deps import CurrentUser, Cursor, Limit, SessionDep, VisiblePost
from serving.schemas.common import Page
from serving.schemas.posts import CommentCreate, CommentPublic
from serving.schemas.users import UserSummary
from social_core import engagement
from social_core.models import Comment, User

router = APIRouter(prefix="/v1/posts/{post_id}/comments", tags=["comments"])


def _public(comment: Comment, author: User) -> CommentPublic:
    return CommentPublic(
        id=comment.id,
        post_id=comment.post_id,
        author=UserSummary.model_validate(author),
        text=comment.text,
        created_at=comment.created_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def add_comment(body: CommentCreate, post: VisiblePost, me: CurrentUser, session: SessionDep) -> CommentPublic:
    return _public(engagement.add_comment(session, me, post, body.text), me)


@router.get("")
def list_comments(
    post: VisiblePost, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> Page[CommentPublic]:
    """Oldest first."""
    page = engagement.comments(session, post, limit=limit, cursor=cursor)
    return Page(items=[_public(comment, author) for comment, author in page.items], next_cursor=page.next_cursor)


@router.delete("/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_comment(comment_id: int, post: VisiblePost, me: CurrentUser, session: SessionDep) -> None:
    """The comment's author or the post's owner may delete it."""
    engagement.delete_comment(session, me, post, comment_id)
