"""A minimal HTTP/1.1 keep-alive client for load generators: one connection, one request at a time.

Why not httpx here: on a 2-core machine the load generator shares the CPU with the server it measures.
httpx costs about 3 ms of CPU per request (its pool, anyio streams, the response models), a third of
what the server spends on a web-chat turn, so the bench would mostly measure itself. This client writes
the request and reads a Content-Length or chunked response: about a tenth of that. It speaks just enough
HTTP for ``mandat serve`` (uvicorn); anything else raises ``ProtocolError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class ProtocolError(Exception):
    """The connection broke or the answer was not HTTP this client understands."""


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class LeanConnection:
    def __init__(self, base_url: str, timeout_s: float = 60.0) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._host_header = parts.netloc.encode()
        self._timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> Response:
        """POST ``payload`` as JSON on the kept-alive connection (opened again after the server closed it)."""
        body = json.dumps(payload).encode()
        extra = b"".join(f"{name}: {value}\r\n".encode() for name, value in (headers or {}).items())
        head = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: " + self._host_header + b"\r\n" + extra +
                b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        return await asyncio.wait_for(self._exchange(head + body), self._timeout_s)

    async def _exchange(self, request: bytes) -> Response:
        try:
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
            assert self._reader is not None
            self._writer.write(request)
            status, headers = await self._read_head(self._reader)
            if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
                body = await self._read_chunked(self._reader)
            else:
                body = await self._reader.readexactly(int(headers.get(b"content-length", b"0")))
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await self.close()
            raise ProtocolError(type(exc).__name__) from exc
        if headers.get(b"connection", b"").lower() == b"close":
            await self.close()
        return Response(status, body)

    @staticmethod
    async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes]]:
        lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        version, code, *_ = lines[0].split(b" ", 2)
        if not version.startswith(b"HTTP/1."):
            raise ValueError("not HTTP/1.x")
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
        return int(code), headers

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")  # no trailers from uvicorn: the empty line after the last chunk
        return b"".join(chunks)

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
