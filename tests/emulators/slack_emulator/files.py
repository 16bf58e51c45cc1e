"""The files upload flow: files.getUploadURLExternal, the upload, files.completeUploadExternal."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.emulators.slack_emulator.limits import _ApiError, _parse_json_field
from tests.emulators.slack_emulator.records import UploadedFile


class FilesMixin:
    """The minimal files upload flow."""

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = params.get("filename")
        length = str(params.get("length") or "")
        if not filename or not length.isdigit() or int(length) <= 0:
            raise _ApiError("invalid_arguments")
        file_id = self._new_id("F")
        self.files[file_id] = UploadedFile(file_id, str(filename), int(length))
        return {"upload_url": f"{self.base_url}upload/{file_id}", "file_id": file_id}

    async def _handle_upload(self, request: web.Request) -> web.Response:
        uploaded = self.files.get(request.match_info["file_id"])
        if uploaded is None or uploaded.data is not None:
            return web.Response(status=404, text="invalid_upload")
        data = await request.read()
        if len(data) != uploaded.length:
            return web.Response(status=400, text="length_mismatch")
        uploaded.data = data
        return web.Response(status=200, text="OK - " + str(len(data)))

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = _parse_json_field(params.get("files"), "invalid_arguments")
        if not isinstance(entries, list) or not entries:
            raise _ApiError("invalid_arguments")
        uploads = []
        for entry in entries:
            uploaded = self.files.get(str((entry or {}).get("id")))
            if uploaded is None or uploaded.data is None:
                raise _ApiError("file_not_found")
            uploaded.title = entry.get("title") or uploaded.filename
            uploads.append(uploaded)
        shared = []
        if params.get("channel_id"):
            channel = self._resolve_channel(params.get("channel_id"))
            thread_ts = params.get("thread_ts") or None
            msg = self._store_bot_message(
                channel,
                text=str(params.get("initial_comment") or ""),
                thread_ts=thread_ts,
                subtype="file_share",
                files=[{"id": u.id, "name": u.filename, "title": u.title} for u in uploads],
            )
            for uploaded in uploads:
                uploaded.channel, uploaded.message_ts = channel, msg.ts
            shared = [channel]
        return {
            "files": [
                {"id": u.id, "name": u.filename, "title": u.title, "size": u.length, "channels": shared}
                for u in uploads
            ]
        }
