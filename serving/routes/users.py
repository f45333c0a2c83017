from __future__ import annotations

from fastapi import APIRouter

from serving.deps import ContentOwner, CurrentUser, Cursor, Limit, SessionDep, Viewer, VisibleUser
from serving.presenters import posts_public, user_public
from serving.schemas.common import Page
from serving.schemas.posts import PostPublic
from serving.schemas.users import UserPublic, UserSummary, UserUpdate
from social_core import accounts, graph, posts
from social_core.errors import Forbidden

router = APIRouter(prefix="/v1/users", tags=["users"])


@router.get("/{username}")
def get_user(user: VisibleUser, viewer: Viewer, session: SessionDep) -> UserPublic:
    return user_public(session, user, viewer)


@router.patch("/{username}")
def update_user(body: UserUpdate, user: VisibleUser, me: CurrentUser, session: SessionDep) -> UserPublic:
    if user.id != me.id:
        raise Forbidden("you can only edit your own profile")
    changes = accounts.ProfileUpdate(**body.model_dump(exclude_unset=True))
    return user_public(session, accounts.update_profile(session, me, changes), me)


@router.get("/{username}/posts")
def list_posts(
    owner: ContentOwner, viewer: Viewer, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> Page[PostPublic]:
    page = posts.user_posts(session, owner, limit=limit, cursor=cursor)
    return Page(items=posts_public(session, page.items, viewer), next_cursor=page.next_cursor)


@router.get("/{username}/followers")
def list_followers(
    owner: ContentOwner, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> Page[UserSummary]:
    page = graph.followers(session, owner, limit=limit, cursor=cursor)
    return Page(items=[UserSummary.model_validate(u) for u in page.items], next_cursor=page.next_cursor)


@router.get("/{username}/following")
def list_following(
    owner: ContentOwner, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> Page[UserSummary]:
    page = graph.following(session, owner, limit=limit, cursor=cursor)
    return Page(items=[UserSummary.model_validate(u) for u in page.items], next_cursor=page.next_cursor)
