from __future__ import annotations

from fastapi import APIRouter, status

from serving.deps import CurrentUser, Cursor, Limit, SessionDep, VisibleUser
from serving.schemas.common import Page
from serving.schemas.users import FollowRequestPublic, FollowState, UserSummary
from serving.tray_cache import TrayCacheDep
from social_core import accounts, graph

router = APIRouter(prefix="/v1", tags=["graph"])


@router.post("/users/{username}/follow")
def follow(user: VisibleUser, me: CurrentUser, session: SessionDep, trays: TrayCacheDep) -> FollowState:
    """Follow; for a private account this sends a request (`status: requested`). Idempotent."""
    state = graph.follow(session, me, user)
    trays.invalidate(me.id)
    return FollowState(status=state.value)


@router.delete("/users/{username}/follow")
def unfollow(user: VisibleUser, me: CurrentUser, session: SessionDep, trays: TrayCacheDep) -> FollowState:
    """Unfollow, or withdraw a pending request. Idempotent."""
    graph.unfollow(session, me, user)
    trays.invalidate(me.id)
    return FollowState(status="none")


@router.get("/follow-requests")
def follow_requests(
    me: CurrentUser, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> Page[FollowRequestPublic]:
    """Pending requests to follow you, newest first."""
    page = graph.pending_requests(session, me, limit=limit, cursor=cursor)
    items = [
        FollowRequestPublic(id=req.id, requester=UserSummary.model_validate(user), created_at=req.created_at)
        for req, user in page.items
    ]
    return Page(items=items, next_cursor=page.next_cursor)


@router.post("/follow-requests/{request_id}/approve", status_code=status.HTTP_204_NO_CONTENT)
def approve(request_id: int, me: CurrentUser, session: SessionDep) -> None:
    graph.answer_request(session, me, request_id, approve=True)


@router.post("/follow-requests/{request_id}/deny", status_code=status.HTTP_204_NO_CONTENT)
def deny(request_id: int, me: CurrentUser, session: SessionDep) -> None:
    graph.answer_request(session, me, request_id, approve=False)


@router.post("/users/{username}/block", status_code=status.HTTP_204_NO_CONTENT)
def block(user: VisibleUser, me: CurrentUser, session: SessionDep, trays: TrayCacheDep) -> None:
    """Block: removes follows both ways; neither can see, follow, like, comment on or message the other."""
    graph.block(session, me, user)
    trays.invalidate(me.id, user.id)


@router.delete("/users/{username}/block", status_code=status.HTTP_204_NO_CONTENT)
def unblock(username: str, me: CurrentUser, session: SessionDep) -> None:
    # Not VisibleUser: a blocked account is invisible to its blocker, who must still reach it here.
    graph.unblock(session, me, accounts.get_by_username(session, username))
