"""Voice messages, read from their content (no external tool, no decoding).

- ``audio_only``: whether a WebM or MP4 container holds sound only (a voice message) or
  video, from its track headers, so the category of an upload does not rest on the type
  the client claims.
- ``audio_duration_ms``: the length of a WebM, Ogg/Opus or MP4 recording (LINE's audio
  message needs it; the clients show it).
- ``webm_with_duration``: browsers' MediaRecorder writes WebM as a live stream, without
  the Duration header, so players show no length (and no seek bar) until the end has
  played. The stored copy gets its Duration written in.
- ``webm_opus_to_ogg``: the same Opus packets in an Ogg container (WhatsApp plays Ogg/Opus
  as a voice note but not WebM), a remux: nothing is decoded or encoded again.
"""

from __future__ import annotations

import dataclasses
import struct
import zlib
from collections.abc import Iterator

# Matroska / WebM element IDs (with their marker bits, as written).
_EBML = 0x1A45DFA3
_SEGMENT = 0x18538067
_SEEK_HEAD = 0x114D9B74
_INFO = 0x1549A966
_TIMECODE_SCALE = 0x2AD7B1
_DURATION = 0x4489
_TRACKS = 0x1654AE6B
_TRACK_ENTRY = 0xAE
_TRACK_NUMBER = 0xD7
_TRACK_TYPE = 0x83
_CODEC_ID = 0x86
_CODEC_PRIVATE = 0x63A2
_CLUSTER = 0x1F43B675
_CLUSTER_TIMECODE = 0xE7
_SIMPLE_BLOCK = 0xA3
_BLOCK_GROUP = 0xA0
_BLOCK = 0xA1
_CUES = 0x1C53BB6B
# Masters walked into (their children are read in turn); every other element is skipped.
_MASTERS = {_SEGMENT, _INFO, _TRACKS, _TRACK_ENTRY, _CLUSTER, _BLOCK_GROUP}
_TRACK_VIDEO, _TRACK_AUDIO = 1, 2
_OPUS_RATE = 48_000


class _Truncated(Exception):
    pass


def _vint(data: bytes, at: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """A variable-size integer at ``at``: (value, its length, all value bits set = unknown size)."""
    if at >= len(data):
        raise _Truncated
    first = data[at]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or at + length > len(data):
        raise _Truncated
    value = first if keep_marker else first & ((0x80 >> (length - 1)) - 1)
    for byte in data[at + 1 : at + length]:
        value = (value << 8) | byte
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, length, unknown


@dataclasses.dataclass
class _Element:
    id: int
    start: int  # of its header
    data: int  # of its payload
    size: int | None  # None: unknown (a live stream's Segment or Cluster)

    @property
    def end(self) -> int | None:
        return None if self.size is None else self.data + self.size


def _elements(data: bytes) -> Iterator[_Element]:
    """Every element in file order, walking into the masters above (so unknown sizes, as
    MediaRecorder writes them, are no obstacle). Stops quietly at a cut-off end."""
    at = 0
    try:
        while at < len(data):
            element_id, id_len, _ = _vint(data, at, keep_marker=True)
            size, size_len, unknown = _vint(data, at + id_len, keep_marker=False)
            element = _Element(element_id, at, at + id_len + size_len, None if unknown else size)
            yield element
            if element_id in _MASTERS:
                at = element.data
            elif element.end is None:
                return
            else:
                at = element.end
    except _Truncated:
        return


def _uint(data: bytes, element: _Element) -> int:
    return int.from_bytes(data[element.data : element.end], "big") if element.size else 0


@dataclasses.dataclass
class _Track:
    number: int = 0
    type: int = 0
    codec: str = ""
    private: bytes = b""


@dataclasses.dataclass
class _WebM:
    scale_ns: int = 1_000_000
    info: _Element | None = None
    segment: _Element | None = None
    has_duration: bool = False
    has_index: bool = False  # a SeekHead or Cues: byte positions that an insert would break
    tracks: list[_Track] = dataclasses.field(default_factory=list)
    # (time in TimecodeScale units, track number, frames (None: laced), flags)
    blocks: list[tuple[int, int, bytes | None]] = dataclasses.field(default_factory=list)


def _parse_webm(data: bytes) -> _WebM | None:
    if not data.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    webm = _WebM()
    cluster_time = 0
    for element in _elements(data):
        eid = element.id
        if eid == _SEGMENT and webm.segment is None:
            webm.segment = element
        elif eid == _INFO and webm.info is None:
            webm.info = element
        elif eid == _TIMECODE_SCALE:
            webm.scale_ns = _uint(data, element) or 1_000_000
        elif eid == _DURATION:
            webm.has_duration = True
        elif eid in (_SEEK_HEAD, _CUES):
            webm.has_index = True
        elif eid == _TRACK_ENTRY:
            webm.tracks.append(_Track())
        elif eid == _TRACK_NUMBER and webm.tracks:
            webm.tracks[-1].number = _uint(data, element)
        elif eid == _TRACK_TYPE and webm.tracks:
            webm.tracks[-1].type = _uint(data, element)
        elif eid == _CODEC_ID and webm.tracks:
            webm.tracks[-1].codec = data[element.data : element.end].decode("ascii", "replace")
        elif eid == _CODEC_PRIVATE and webm.tracks:
            webm.tracks[-1].private = data[element.data : element.end]
        elif eid == _CLUSTER_TIMECODE:
            cluster_time = _uint(data, element)
        elif eid in (_SIMPLE_BLOCK, _BLOCK) and element.end is not None and element.end <= len(data):
            block = data[element.data : element.end]
            try:
                track, track_len, _ = _vint(block, 0, keep_marker=False)
            except _Truncated:
                continue
            if len(block) < track_len + 3:
                continue
            (relative,) = struct.unpack(">h", block[track_len : track_len + 2])
            laced = block[track_len + 2] & 0x06
            webm.blocks.append((cluster_time + relative, track, None if laced else block[track_len + 3 :]))
    return webm


def _mp4_handlers(data: bytes) -> set[bytes]:
    """The handler types (b"soun", b"vide"...) of an MP4's tracks found in ``data``."""
    found = set()
    at = data.find(b"hdlr")
    while at >= 4:
        found.add(data[at + 12 : at + 16])
        at = data.find(b"hdlr", at + 4)
    return found


def audio_only(head: bytes, mime: str) -> bool | None:
    """Whether a WebM ("video/webm") or MP4 ("video/mp4") holds sound only: True, False
    when it has a video track, None when the headers in ``head`` do not tell."""
    if mime == "video/webm":
        webm = _parse_webm(head)
        types = {t.type for t in webm.tracks} if webm else set()
        if _TRACK_VIDEO in types:
            return False
        return True if _TRACK_AUDIO in types else None
    if mime == "video/mp4":
        handlers = _mp4_handlers(head)
        if b"vide" in handlers:
            return False
        return True if b"soun" in handlers else None
    return None


def opus_samples(packet: bytes) -> int:
    """The number of 48 kHz samples an Opus packet decodes to (RFC 6716, 3.1); 0 if empty."""
    if not packet:
        return 0
    config = packet[0] >> 3
    if config < 12:
        frame = (480, 960, 1920, 2880)[config % 4]
    elif config < 16:
        frame = (480, 960)[config % 2]
    else:
        frame = (120, 240, 480, 960)[config % 4]
    count = packet[0] & 3
    frames = 1 if count == 0 else 2 if count in (1, 2) else (packet[1] & 0x3F if len(packet) > 1 else 0)
    return frame * frames


def _audio_track(webm: _WebM) -> _Track | None:
    return next((t for t in webm.tracks if t.type == _TRACK_AUDIO), None)


def _webm_duration_ms(data: bytes) -> int:
    webm = _parse_webm(data)
    if webm is None or not webm.blocks:
        return 0
    track = _audio_track(webm)
    time, number, frames = max(webm.blocks, key=lambda b: b[0])
    last_ms = 0.0
    if track is not None and track.codec == "A_OPUS" and number == track.number and frames:
        last_ms = opus_samples(frames) * 1000 / _OPUS_RATE
    return round(time * webm.scale_ns / 1_000_000 + last_ms)


def _ogg_pages(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(granule position, header type, body) of each Ogg page."""
    at = data.find(b"OggS")
    while at >= 0 and at + 27 <= len(data):
        count = data[at + 26]
        table = data[at + 27 : at + 27 + count]
        body_len = sum(table)
        body = data[at + 27 + count : at + 27 + count + body_len]
        (granule,) = struct.unpack("<q", data[at + 6 : at + 14])
        yield granule, data[at + 5], body
        at = data.find(b"OggS", at + 27 + count + body_len)


def _ogg_duration_ms(data: bytes) -> int:
    rate, skip, last = 0, 0, 0
    for granule, _, body in _ogg_pages(data):
        if body.startswith(b"OpusHead") and len(body) >= 12:
            rate, skip = _OPUS_RATE, struct.unpack("<H", body[10:12])[0]
        elif body.startswith(b"\x01vorbis") and len(body) >= 16:
            rate = struct.unpack("<I", body[12:16])[0]
        if granule > 0:
            last = granule
    return round(max(0, last - skip) * 1000 / rate) if rate else 0


def _mp4_duration_ms(data: bytes) -> int:
    """From the ``mvhd`` box, or else (a fragmented MP4, as MediaRecorder writes it, says
    none there) from the sample durations of its fragments; 0 when neither tells."""
    at = data.find(b"mvhd")
    if at >= 4:
        try:
            if data[at + 4] == 1:  # version 1: 64-bit times
                timescale, duration = struct.unpack(">IQ", data[at + 24 : at + 36])
            else:
                timescale, duration = struct.unpack(">II", data[at + 16 : at + 24])
        except (struct.error, IndexError):
            timescale, duration = 0, 0
        if timescale and duration not in (0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
            return round(duration * 1000 / timescale)
    try:
        return _fragments_duration_ms(data)
    except (struct.error, IndexError):
        return 0


_MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"mvex", b"moof", b"traf"}


def _mp4_boxes(data: bytes, start: int, end: int, depth: int = 0) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of every box, walking into the containers above
    (moof > traf is as deep as they go: deeper nesting is not walked)."""
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[at + 8 : at + 16])
            header = 16
        elif size == 0:
            size = end - at
        if size < header:
            return
        box_end = min(at + size, end)
        yield kind, at + header, box_end
        if kind in _MP4_CONTAINERS and depth < 4:
            yield from _mp4_boxes(data, at + header, box_end, depth + 1)
        at += size


def _fragments_duration_ms(data: bytes) -> int:
    timescales: dict[int, int] = {}  # track id -> its media timescale
    defaults: dict[int, int] = {}  # track id -> default sample duration (trex)
    totals: dict[int, int] = {}
    track = default = 0
    for kind, at, _end in _mp4_boxes(data, 0, len(data)):
        version = data[at] if at < len(data) else 0
        if kind == b"tkhd":
            (track,) = struct.unpack(">I", data[at + (20 if version == 1 else 12) : at + (24 if version == 1 else 16)])
        elif kind == b"mdhd":
            offset = 20 if version == 1 else 12
            timescales[track] = struct.unpack(">I", data[at + offset : at + offset + 4])[0]
        elif kind == b"trex":
            track_id, _, duration = struct.unpack(">III", data[at + 4 : at + 16])
            defaults[track_id] = duration
        elif kind == b"tfhd":
            flags = int.from_bytes(data[at + 1 : at + 4], "big")
            (track,) = struct.unpack(">I", data[at + 4 : at + 8])
            offset = at + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
            default = struct.unpack(">I", data[offset : offset + 4])[0] if flags & 0x08 else defaults.get(track, 0)
        elif kind == b"trun":
            flags = int.from_bytes(data[at + 1 : at + 4], "big")
            (count,) = struct.unpack(">I", data[at + 4 : at + 8])
            offset = at + 8 + (4 if flags & 0x01 else 0) + (4 if flags & 0x04 else 0)
            if flags & 0x100:
                step = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
                total = sum(struct.unpack(">I", data[o : o + 4])[0] for o in range(offset, offset + count * step, step))
            else:
                total = count * default
            totals[track] = totals.get(track, 0) + total
    lengths = [total * 1000 / timescales[t] for t, total in totals.items() if timescales.get(t)]
    return round(max(lengths)) if lengths else 0


def audio_duration_ms(data: bytes, content_type: str) -> int:
    """The length of a recording in milliseconds; 0 when its content does not tell."""
    content_type = content_type.partition(";")[0].strip().lower()
    if content_type == "audio/webm":
        return _webm_duration_ms(data)
    if content_type == "audio/ogg":
        return _ogg_duration_ms(data)
    if content_type == "audio/mp4":
        return _mp4_duration_ms(data)
    return 0


def _size_vint8(size: int) -> bytes:
    return bytes([0x01]) + size.to_bytes(7, "big")


def webm_with_duration(data: bytes, duration_ms: int) -> bytes | None:
    """The WebM with a Duration in its Info; None when it has one already, or when it
    cannot be written in safely (an index of byte positions that the insert would shift)."""
    webm = _parse_webm(data)
    if webm is None or webm.has_duration or webm.has_index or duration_ms <= 0:
        return None
    info, segment = webm.info, webm.segment
    if info is None or info.end is None or segment is None or segment.start > info.start:
        return None
    units = duration_ms * 1_000_000 / webm.scale_ns
    duration = b"\x44\x89\x88" + struct.pack(">d", units)
    info_id = data[info.start : info.start + 4]
    new_info = info_id + _size_vint8(info.size + len(duration)) + data[info.data : info.end] + duration  # type: ignore[operator]
    grown = len(new_info) - (info.end - info.start)
    if segment.size is None:
        segment_header = data[segment.start : segment.data]
    else:
        segment_header = data[segment.start : segment.start + 4] + _size_vint8(segment.size + grown)
    return data[: segment.start] + segment_header + data[segment.data : info.start] + new_info + data[info.end :]


# Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, no initial or final XOR.
def _ogg_crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


_CRC_TABLE = _ogg_crc_table()


def ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) & 0xFF) ^ byte]
    return crc


def _ogg_page(packets: list[bytes], *, granule: int, serial: int, sequence: int, flags: int) -> bytes:
    lacing = bytearray()
    for packet in packets:
        lacing += b"\xff" * (len(packet) // 255) + bytes([len(packet) % 255])
    header = struct.pack("<4sBBqIII", b"OggS", 0, flags, granule, serial, sequence, 0) + bytes([len(lacing)]) + lacing
    page = header + b"".join(packets)
    crc = ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def webm_opus_to_ogg(data: bytes) -> bytes | None:
    """The Opus packets of a WebM's audio track in an Ogg container (RFC 7845), or None
    when the WebM holds no unlaced Opus track."""
    webm = _parse_webm(data)
    if webm is None:
        return None
    track = _audio_track(webm)
    if track is None or track.codec != "A_OPUS":
        return None
    packets = [frames for _, number, frames in webm.blocks if number == track.number]
    if not packets or any(p is None for p in packets):
        return None
    head = track.private if track.private.startswith(b"OpusHead") else None
    if head is None:  # mono, 312 samples of pre-skip (libopus' default), 48 kHz, no gain
        head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, _OPUS_RATE, 0, 0)
    vendor = b"contactcenter"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    serial = zlib.crc32(data[:4096]) & 0x7FFFFFFF
    pages = [
        _ogg_page([head], granule=0, serial=serial, sequence=0, flags=0x02),
        _ogg_page([tags], granule=0, serial=serial, sequence=1, flags=0),
    ]
    granule = 0
    group: list[bytes] = []
    lacing = 0
    audio = [p for p in packets if p]
    for index, packet in enumerate(audio):
        group.append(packet)
        granule += opus_samples(packet)
        lacing += len(packet) // 255 + 1
        last = index == len(audio) - 1
        if last or len(group) >= 50 or lacing + len(audio[index + 1]) // 255 + 1 > 255:
            pages.append(
                _ogg_page(group, granule=granule, serial=serial, sequence=len(pages), flags=0x04 if last else 0)
            )
            group, lacing = [], 0
    return b"".join(pages)
