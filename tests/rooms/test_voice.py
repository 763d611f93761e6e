"""Voice messages (issue 12, item 17): a recording's kind, length and Duration header read
from its content (rooms.audio), the upload that keeps them, and the WebM/Opus to Ogg/Opus
remux the platforms get."""

from __future__ import annotations

import struct

import pytest

from rooms import audio
from tests.api.conftest import error, ok

from .test_files import OGG, agent, handled, media, post_file, visitor_of  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

# ---------------------------------------------------------------------------- samples

OPUS_20MS = b"\xfc" + b"\x11" * 40  # TOC: CELT full band, 20 ms, one frame


def vint_size(n: int) -> bytes:
    """The shortest size vint (as muxers write them; filetype looks for "\\x42\\x82\\x84webm")."""
    length = next(k for k in range(1, 9) if n < (1 << (7 * k)) - 1)
    return (n | (1 << (7 * length))).to_bytes(length, "big")


def el(element_id: bytes, payload: bytes) -> bytes:
    return element_id + vint_size(len(payload)) + payload


UNKNOWN = b"\x01\xff\xff\xff\xff\xff\xff\xff"
OPUS_HEAD = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)


def webm(*, packets: int = 50, track_type: int = 2, codec: bytes = b"A_OPUS", with_duration: bool = False) -> bytes:
    """A WebM as Chromium's MediaRecorder writes it: Segment and Clusters of unknown size,
    no Duration, no SeekHead or Cues; ``packets`` Opus packets of 20 ms, one a block."""
    header = el(b"\x1a\x45\xdf\xa3", el(b"\x42\x82", b"webm"))
    info_children = el(b"\x2a\xd7\xb1", (1_000_000).to_bytes(3, "big")) + el(b"\x4d\x80", b"Chrome")
    if with_duration:
        info_children += el(b"\x44\x89", struct.pack(">d", 999.0))
    info = el(b"\x15\x49\xa9\x66", info_children)
    entry = el(b"\xd7", b"\x01") + el(b"\x83", bytes([track_type])) + el(b"\x86", codec) + el(b"\x63\xa2", OPUS_HEAD)
    tracks = el(b"\x16\x54\xae\x6b", el(b"\xae", entry))
    clusters = b""
    for start in range(0, packets, 25):  # a cluster per half second
        body = el(b"\xe7", (start * 20).to_bytes(2, "big"))
        for i in range(start, min(packets, start + 25)):
            block = b"\x81" + struct.pack(">h", (i - start) * 20) + b"\x80" + OPUS_20MS
            body += el(b"\xa3", block)
        clusters += b"\x1f\x43\xb6\x75" + UNKNOWN + body
    return header + b"\x18\x53\x80\x67" + UNKNOWN + info + tracks + clusters


def ogg_pages(data: bytes) -> list[tuple[int, int, int, bytes]]:
    """(flags, granule, sequence, body) of each page, each page's CRC checked."""
    pages, at = [], 0
    while at < len(data):
        assert data[at : at + 4] == b"OggS"
        count = data[at + 26]
        table = data[at + 27 : at + 27 + count]
        end = at + 27 + count + sum(table)
        page = data[at:end]
        (crc,) = struct.unpack("<I", page[22:26])
        assert crc == audio.ogg_crc(page[:22] + b"\0\0\0\0" + page[26:])
        (granule,) = struct.unpack("<q", page[6:14])
        (sequence,) = struct.unpack("<I", page[18:22])
        pages.append((page[5], granule, sequence, page[27 + count :]))
        at = end
    return pages


# ---------------------------------------------------------------------------- reading


def test_opus_packet_lengths():
    assert audio.opus_samples(OPUS_20MS) == 960
    assert audio.opus_samples(b"\x00") == 480  # SILK 10 ms
    assert audio.opus_samples(b"\x19") == 2880 * 2  # SILK 60 ms, two frames (code 1)
    assert audio.opus_samples(b"\xfb\x03") == 960 * 3  # CELT 20 ms, three frames (code 3)
    assert audio.opus_samples(b"") == 0


def test_webm_kind_and_length_from_content():
    assert audio.audio_only(webm(), "video/webm") is True
    assert audio.audio_only(webm(track_type=1, codec=b"V_VP8"), "video/webm") is False
    assert audio.audio_only(b"\x1a\x45\xdf\xa3\x80", "video/webm") is None  # no tracks to tell
    assert audio.audio_duration_ms(webm(packets=50), "audio/webm") == 1000
    assert audio.audio_duration_ms(webm(packets=130), "audio/webm;codecs=opus") == 2600
    assert audio.audio_duration_ms(b"not a webm", "audio/webm") == 0


def test_mp4_kind_from_its_handlers():
    sound = b"\x00\x00\x00\x21hdlr\x00\x00\x00\x00\x00\x00\x00\x00soun" + b"\x00" * 12
    video = sound.replace(b"soun", b"vide")
    assert audio.audio_only(sound, "video/mp4") is True
    assert audio.audio_only(sound + video, "video/mp4") is False
    assert audio.audio_only(b"\x00" * 40, "video/mp4") is None


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload) + 8) + kind + payload


def fragmented_mp4() -> bytes:
    """An audio MP4 as MediaRecorder writes it: no duration in ``mvhd``, samples in fragments
    (durations from trex's default, from tfhd's, and one by one in trun)."""
    full = b"\x00\x00\x00\x00"
    mvhd = box(b"mvhd", full + struct.pack(">IIII", 0, 0, 1000, 0) + b"\x00" * 80)
    tkhd = box(b"tkhd", full + struct.pack(">III", 0, 0, 1) + b"\x00" * 68)
    mdhd = box(b"mdhd", full + struct.pack(">IIII", 0, 0, 48000, 0) + b"\x00" * 4)
    hdlr = box(b"hdlr", full + b"\x00" * 4 + b"soun" + b"\x00" * 13)
    trak = box(b"trak", tkhd + box(b"mdia", mdhd + hdlr))
    mvex = box(b"mvex", box(b"trex", full + struct.pack(">IIIII", 1, 1, 1024, 0, 0)))
    moov = box(b"moov", mvhd + trak + mvex)

    def moof(tfhd_flags: int, default: int | None, trun_flags: int, count: int, durations: list[int]) -> bytes:
        tfhd = box(
            b"tfhd",
            bytes([0])
            + tfhd_flags.to_bytes(3, "big")
            + struct.pack(">I", 1)
            + (struct.pack(">I", default) if default is not None else b""),
        )
        samples = b"".join(struct.pack(">II", d, 100) for d in durations)
        trun = box(b"trun", bytes([0]) + trun_flags.to_bytes(3, "big") + struct.pack(">I", count) + samples)
        return box(b"moof", box(b"traf", tfhd + trun)) + box(b"mdat", b"\x00" * 16)

    fragments = (
        moof(0, None, 0, 47, [])  # 47 x 1024 (trex)
        + moof(0x08, 960, 0, 50, [])  # 50 x 960 (tfhd)
        + moof(0, None, 0x300, 3, [960, 960, 1920])  # durations and sizes per sample
    )
    return box(b"ftyp", b"isom\x00\x00\x02\x00isomiso6") + moov + fragments


def test_fragmented_mp4_length_from_its_fragments():
    expected = round((47 * 1024 + 50 * 960 + 3840) * 1000 / 48000)
    assert audio.audio_duration_ms(fragmented_mp4(), "audio/mp4") == expected
    assert audio.audio_only(fragmented_mp4(), "video/mp4") is True
    assert audio.audio_duration_ms(fragmented_mp4()[:300], "audio/mp4") == 0  # no fragment yet


def test_duration_is_written_into_a_recorded_webm():
    recorded = webm(packets=75)
    fixed = audio.webm_with_duration(recorded, 1500)
    assert (
        fixed is not None and len(fixed) == len(recorded) + 11 + 7
    )  # the Duration element; Info's size in 8 bytes, not 1
    at = fixed.index(b"\x44\x89\x88")
    assert struct.unpack(">d", fixed[at + 3 : at + 11]) == (1500.0,)
    # Still the same recording: its tracks, blocks and length read as before.
    assert audio.audio_duration_ms(fixed, "audio/webm") == 1500
    assert audio.audio_only(fixed, "video/webm") is True
    assert audio.webm_with_duration(fixed, 1500) is None  # has one now
    assert audio.webm_with_duration(webm(with_duration=True), 1500) is None


def test_webm_opus_remuxed_to_ogg_opus():
    ogg = audio.webm_opus_to_ogg(webm(packets=130))
    assert ogg is not None
    pages = ogg_pages(ogg)
    (flags, granule, _, head), (_, _, _, tags) = pages[0], pages[1]
    assert flags == 0x02 and granule == 0 and head == OPUS_HEAD
    assert tags.startswith(b"OpusTags")
    assert [p[2] for p in pages] == list(range(len(pages)))
    assert pages[-1][0] == 0x04 and pages[-1][1] == 130 * 960
    assert b"".join(p[3] for p in pages[2:]) == OPUS_20MS * 130
    # Its length reads the same (minus the pre-skip) as the WebM's.
    assert audio.audio_duration_ms(ogg, "audio/ogg") == round((130 * 960 - 312) / 48)
    assert audio.webm_opus_to_ogg(webm(codec=b"A_VORBIS")) is None
    assert audio.webm_opus_to_ogg(b"RIFF") is None


def test_damaged_recordings_read_as_unknown_without_errors():
    samples = [webm(packets=60), fragmented_mp4(), audio.webm_opus_to_ogg(webm()) or b""]
    nested = b"".join(struct.pack(">I", 8 + 8 * (5000 - i)) + b"moov" for i in range(5000))  # deep nesting
    for sample in samples:
        for cut in range(0, len(sample), 29):
            damaged = sample[:cut] + bytes(b ^ 0x5A for b in sample[cut : cut + 9]) + sample[cut + 9 :]
            for content in (sample[:cut], damaged):
                for content_type in ("audio/webm", "audio/ogg", "audio/mp4"):
                    assert audio.audio_duration_ms(content, content_type) >= 0
                audio.audio_only(content[:8192], "video/webm")
                audio.audio_only(content[:8192], "video/mp4")
                audio.webm_with_duration(content, 1000)
                audio.webm_opus_to_ogg(content)
    assert audio.audio_duration_ms(nested, "audio/mp4") == 0


# ---------------------------------------------------------------------------- upload


def test_recorded_voice_is_stored_with_its_length(handled, media):  # noqa: F811
    body = ok(post_file(visitor_of(handled), handled, "voice.webm", webm(packets=100), "audio/webm;codecs=opus"), 201)
    public = body["data"]["file"]
    assert (public["category"], public["content_type"], public["duration_ms"]) == ("voice", "audio/webm", 2000)
    stored = next(p for p in media.rglob("*.webm"))
    assert public["size"] == stored.stat().st_size == len(webm(packets=100)) + 18
    assert audio.webm_with_duration(stored.read_bytes(), 2000) is None  # the Duration is in


def test_voice_kind_is_judged_by_content_not_by_the_claim(handled, media):  # noqa: F811
    # A recording claimed as a video is still a voice message; a video claimed as audio is a video.
    claimed_video = ok(post_file(visitor_of(handled), handled, "clip.webm", webm(), "video/webm"), 201)
    assert claimed_video["data"]["file"]["category"] == "voice"
    video = webm(track_type=1, codec=b"V_VP8")
    claimed_audio = ok(post_file(visitor_of(handled), handled, "voice.webm", video, "audio/webm"), 201)
    assert (claimed_audio["data"]["file"]["category"], claimed_audio["data"]["file"]["content_type"]) == (
        "video",
        "video/webm",
    )
    assert "duration_ms" not in claimed_audio["data"]["file"]
    # Not audio at all, whatever the client says: refused.
    refused = error(post_file(visitor_of(handled), handled, "voice.webm", b"MZ\x90\x00" * 50, "audio/webm"), 400)
    assert "not allowed" in str(refused)


def test_voice_without_a_readable_length(handled, media):  # noqa: F811
    body = ok(post_file(visitor_of(handled), handled, "voice.ogg", OGG, "audio/ogg"), 201)
    assert body["data"]["file"]["duration_ms"] is None
