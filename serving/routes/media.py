"""Uploads (`POST /v1/media`) and the public, immutable variant URLs (`GET /media/{id}_{size}.{format}`)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Header, Request, Response, UploadFile, status
from fastapi.responses import FileResponse

from serving.attachments import media_attachment
from serving.deps import CurrentUser, SessionDep
from serving.schemas.attachments import MediaAttachment
from social_core import uploads
from social_core.errors import NotFound
from social_core.media import LocalStore, TooLarge
from social_core.media.storage import CACHE_CONTROL
from social_core.models import Media

router = APIRouter(tags=["media"])

VARIANT_NAME = re.compile(r"^(\d{1,20})_(thumbnail|small|medium|large)\.(jpeg|webp|avif)$")
CONTENT_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}


@router.post("/v1/media", status_code=status.HTTP_201_CREATED)
def upload_media(file: UploadFile, me: CurrentUser, session: SessionDep, request: Request) -> MediaAttachment:
    """Upload a photo (JPEG, PNG, WebP, GIF, HEIC) or a video (MP4, MOV) as multipart field `file`.

    The type is read from the content, not the file name. Returns the media id to attach to a post or
    story, with every variant's URL. 413 above the size limit; 422 for anything not a valid photo/video.
    """
    settings = request.app.state.settings
    cap = max(settings.max_image_bytes, settings.max_video_bytes)
    data = file.file.read(cap + 1)  # never read more than the cap from the spooled upload
    if len(data) > cap:
        raise TooLarge(len(data), cap)
    limits = uploads.UploadLimits(
        max_image_bytes=settings.max_image_bytes,
        max_video_bytes=settings.max_video_bytes,
        max_video_seconds=settings.max_video_seconds,
        avif=settings.media_avif,
    )
    media = uploads.upload(session, request.app.state.store, me, data, limits)
    return media_attachment(media)


@router.get("/media/{name}", include_in_schema=False)
def media_variant(
    name: str, session: SessionDep, request: Request, if_none_match: str | None = Header(None)
) -> Response:
    """One rendition's bytes; the URL never changes content, so caches may keep it for a year."""
    match = VARIANT_NAME.match(name)
    media = session.get(Media, int(match.group(1))) if match else None
    if match is None or media is None or media.deleted_at is not None:
        raise NotFound("media not found")
    key = uploads.variant_key(media, match.group(2), match.group(3))
    session.close()  # the bytes below need no database
    etag = f'"{key.rsplit("/", 1)[-1].split(".")[0]}"'  # the content hash is the key
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if if_none_match == etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    store = request.app.state.store
    if isinstance(store, LocalStore):
        return FileResponse(store.path(key), media_type=CONTENT_TYPES[match.group(3)], headers=headers)
    return Response(store.get(key), media_type=CONTENT_TYPES[match.group(3)], headers=headers)
