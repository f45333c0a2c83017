"""Domain errors → HTTP statuses, always as {"detail": message}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from social_core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Unauthenticated
from social_core.media import MediaRejected, TooLarge

STATUS: dict[type[DomainError], int] = {
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
}


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)


async def _media_rejected(request: Request, error: Exception) -> JSONResponse:
    status = 413 if isinstance(error, TooLarge) else 422
    return JSONResponse({"detail": str(error)}, status_code=status)


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    # FastAPI's default echoes each bad input back; a NaN or Infinity in a JSON body cannot be encoded
    # again and would turn a 422 into a 500. The location, message and type say enough.
    assert isinstance(error, RequestValidationError)
    detail = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in error.errors()]
    return JSONResponse({"detail": jsonable_encoder(detail)}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(MediaRejected, _media_rejected)
