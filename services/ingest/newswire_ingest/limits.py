"""Request guards that must run before FastAPI reads the body: size and content type."""

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_TYPES = ("application/json",)
BATCH_TYPES = ("application/json", "application/x-ndjson", "application/jsonl")


def _error(status: int, msg: str, type_: str, loc: list[str]) -> tuple[int, bytes]:
    return status, orjson.dumps({"detail": [{"loc": loc, "msg": msg, "type": type_}]})


class BodyGuard:
    """413 for bodies over `max_bytes` (also when streamed without Content-Length), 415 for
    article posts that are not JSON/NDJSON."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path: str = scope["path"]
        if path.startswith("/v1/articles"):
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            allowed = BATCH_TYPES if path.endswith("/batch") else JSON_TYPES
            if content_type not in allowed:
                await self._reply(send, *_error(
                    415, f"content type must be one of {', '.join(allowed)}, not "
                         f"{content_type or 'missing'}", "unsupported_media_type",
                    ["header", "content-type"]))
                return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._reply(send, *self._too_large())
            return

        # Read the body ourselves (at most max_bytes are ever held), so an oversized stream is
        # refused before any parser sees it, then hand the buffered body to the app.
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._reply(send, *self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> tuple[int, bytes]:
        return _error(413, f"body larger than {self.max_bytes} bytes", "too_large", ["body"])

    @staticmethod
    async def _reply(send: Send, status: int, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
