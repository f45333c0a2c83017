from __future__ import annotations

from fastapi import APIRouter, Request, status

from serving.deps import CurrentUser, SessionDep, Viewer, VisiblePost
from serving.presenters import posts_public
from serving.schemas.posts import LikeState, PostCreate, PostPublic, SaveState
from social_core import engagement, posts

router = APIRouter(prefix="/v1/posts", tags=["posts"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_post(body: PostCreate, me: CurrentUser, session: SessionDep, request: Request) -> PostPublic:
    new = posts.NewPost(caption=body.caption, media_ids=body.media_ids, location=body.location)
    post = posts.create_post(session, me, new, min_media=request.app.state.settings.min_post_media)
    return posts_public(session, [post], me)[0]


@router.get("/{post_id}")
def get_post(post: VisiblePost, viewer: Viewer, session: SessionDep) -> PostPublic:
    return posts_public(session, [post], viewer)[0]


@router.delete("/{post_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_post(post: VisiblePost, me: CurrentUser, session: SessionDep) -> None:
    posts.delete_post(session, me, post)


@router.post("/{post_id}/like")
def like(post: VisiblePost, me: CurrentUser, session: SessionDep) -> LikeState:
    """Like; liking again changes nothing."""
    return LikeState(liked=True, like_count=engagement.like(session, me, post))


@router.delete("/{post_id}/like")
def unlike(post: VisiblePost, me: CurrentUser, session: SessionDep) -> LikeState:
    return LikeState(liked=False, like_count=engagement.unlike(session, me, post))


@router.post("/{post_id}/save")
def save(post: VisiblePost, me: CurrentUser, session: SessionDep) -> SaveState:
    return SaveState(saved=True, save_count=engagement.save(session, me, post))


@router.delete("/{post_id}/save")
def unsave(post: VisiblePost, me: CurrentUser, session: SessionDep) -> SaveState:
    return SaveState(saved=False, save_count=engagement.unsave(session, me, post))


@router.post("/{post_id}/hide", status_code=status.HTTP_204_NO_CONTENT)
def hide(post: VisiblePost, me: CurrentUser, session: SessionDep) -> None:
    """ "See less": hides this post from your feed and shows you less from its author."""
    engagement.hide(session, me, post)
