"""The stages' batch parser: entries decoded once, and the message FastStream would build."""

import asyncio
from typing import Any

import orjson
from faststream.redis.parser import RedisBatchStreamParser
from faststream.redis.parser.binary import BinaryMessageFormatV1
from faststream.redis.parser.parsers import SimpleParserConfig

from newswire_common.broker import (
    POISON_KEY,
    _payload_of,
    article_headers,
    batch_decoder,
    batch_parser,
    encode_entry,
)


def batch_of(entries: list[bytes]) -> dict[str, Any]:
    """What FastStream's stream subscriber hands its parser for one XREADGROUP batch."""
    return {"type": "bstream", "channel": "articles.clean",
            "data": [{b"__data__": e} for e in entries],
            "message_ids": [f"1-{i}".encode() for i in range(len(entries))]}


async def entries() -> list[bytes]:
    bodies = [{"article_id": f"a{i}", "text": "Prime Minister — ünïcode ✓ " * 20, "n": i}
              for i in range(5)]
    return [await encode_entry(body, article_headers(body["article_id"], f"t{i}"),
                               correlation_id=f"t{i}") for i, body in enumerate(bodies)]


def faststream_parser() -> RedisBatchStreamParser:
    return RedisBatchStreamParser(SimpleParserConfig(message_format=BinaryMessageFormatV1))


def test_batch_message_matches_faststreams_own_and_decodes_without_a_json_round_trip():
    async def run() -> None:
        raw = batch_of(await entries())
        theirs_parser = faststream_parser()
        theirs = await theirs_parser.parse_message(raw)
        theirs_body = await theirs_parser.decode_message(theirs)

        ours = await batch_parser(raw, faststream_parser().parse_message)
        decoded = await batch_decoder(ours, faststream_parser().decode_message)

        assert decoded == theirs_body
        assert decoded is ours.body  # handed on as parsed, not encoded and parsed again
        assert ours.headers == theirs.headers
        assert ours.batch_headers == theirs.batch_headers
        assert ours.correlation_id == theirs.correlation_id == "t0"
        assert ours.message_id  # FastStream makes up a random one too when no entry has one
        assert ours.raw_message["message_ids"] == raw["message_ids"]  # what XACK acknowledges
        assert ours.raw_message["channel"] == raw["channel"]
        assert len(ours.raw_message["data"]) == len(raw["data"])
        assert all(entry == {} for entry in ours.raw_message["data"])  # the bytes are let go
        assert type(ours) is type(theirs)
        assert _payload_of(ours) == decoded  # what a dead letter of the whole batch records

    asyncio.run(run())


def test_an_undecodable_entry_becomes_a_marker_and_the_others_go_on():
    async def run() -> None:
        good = await entries()
        not_json = await encode_entry(b"{not json", correlation_id="x")
        raw = batch_of([good[0], b"\x00garbage", not_json, good[1]])
        message = await batch_parser(raw, faststream_parser().parse_message)
        body = await batch_decoder(message, faststream_parser().decode_message)
        assert [item.get("article_id") for item in body] == ["a0", None, None, "a1"]
        assert POISON_KEY in body[1] and "undecodable message" in body[1]["error"]
        assert POISON_KEY in body[2] and "JSONDecodeError" in body[2]["error"]
        assert body[0] == orjson.loads(BinaryMessageFormatV1.parse(good[0])[0])

    asyncio.run(run())


def test_an_empty_batch_is_an_empty_list():
    async def run() -> None:
        message = await batch_parser(batch_of([]), faststream_parser().parse_message)
        assert await batch_decoder(message, faststream_parser().decode_message) == []

    asyncio.run(run())
