"""Sealed streams: a file encrypted and opened message by message with libsodium's secretstream
(XChaCha20-Poly1305), never whole in memory, for files made on the fly (an export of a million rows).

Stored form: a version byte (0x03, beside crypto's 0x01 and 0x02 envelopes), secretstream's header, then
messages of one size, the last tagged final. Each message is bound to its file (crypto's associated data),
carries a 4-byte count of its data, and is padded with zeros; padding messages bring the count up to the
size bucket of the whole plaintext (crypto.padded_length), so a stored stream's size says what a sealed
blob's does. A stream cut short at a message, cut inside one, reordered, extended or moved fails to open."""

import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import TypeAlias

import nacl.exceptions
from nacl.bindings import crypto_secretstream as _stream

from ferry.vault.crypto import Context, _associated_data, _check_key, padded_length, random_key
from ferry.vault.errors import BadFormat, DecryptionFailed

_VERSION_STREAM = 0x03
_STREAM_AD = b"stream"

# Messages all have one size, so a reader finds them without lengths in clear.
STREAM_BLOCK = 64 * 1024
_STREAM_CARRY = STREAM_BLOCK - 4
_STREAM_MESSAGE = STREAM_BLOCK + _stream.crypto_secretstream_xchacha20poly1305_ABYTES
_STREAM_HEAD = 1 + _stream.crypto_secretstream_xchacha20poly1305_HEADERBYTES


_StreamState: TypeAlias = _stream.crypto_secretstream_xchacha20poly1305_state


def _stream_message(state: _StreamState, data: bytes, ad: bytes, tag: int) -> bytes:
    framed = len(data).to_bytes(4, "big") + data + bytes(_STREAM_CARRY - len(data))
    return _stream.crypto_secretstream_xchacha20poly1305_push(state, framed, ad, tag)


def seal_stream(key: bytes, chunks: Iterable[bytes], context: Context) -> Iterator[bytes]:
    """Encrypt chunks as they come, bound to ``context``: version + header, then messages of STREAM_BLOCK bytes,
    the last one tagged final (a stream cut short at any message fails to open). Holds one message at a time.
    Padding messages (carrying no data) bring the count up to the size bucket of the whole plaintext, as
    :func:`seal_padded` does for a blob."""
    _check_key(key)
    ad = _associated_data(context) + _STREAM_AD
    state = _stream.crypto_secretstream_xchacha20poly1305_state()
    header = _stream.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    yield bytes([_VERSION_STREAM]) + header
    buffer = bytearray()
    held: bytes | None = None  # the last full block: only the end says whether it is the final message
    total = sent = 0
    tag_message = _stream.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
    for chunk in chunks:
        total += len(chunk)
        buffer += chunk
        start = 0
        while len(buffer) - start >= _STREAM_CARRY:
            if held is not None:
                yield _stream_message(state, held, ad, tag_message)
                sent += 1
            held = bytes(buffer[start : start + _STREAM_CARRY])
            start += _STREAM_CARRY
        del buffer[:start]
    tail = [] if held is None else [held]
    if buffer or not tail:
        tail.append(bytes(buffer))
    wanted = max(sent + len(tail), -(-padded_length(total) // _STREAM_CARRY))
    tail += [b""] * (wanted - sent - len(tail))
    for position, data in enumerate(tail):
        last = position == len(tail) - 1
        tag = _stream.crypto_secretstream_xchacha20poly1305_TAG_FINAL if last else tag_message
        yield _stream_message(state, data, ad, tag)


def is_stream(head: bytes) -> bool:
    """Whether a stored blob, by its first byte, is a stream from :func:`seal_stream`."""
    return head[:1] == bytes([_VERSION_STREAM])


def _read_exactly(read: Callable[[int], bytes], size: int) -> bytes:
    parts, wanted = [], size
    while wanted:
        part = read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def open_stream(key: bytes, read: Callable[[int], bytes], context: Context) -> Iterator[bytes]:
    """Decrypt a stream from :func:`seal_stream`, read through ``read(n)``, yielding its data message by message.
    Raises DecryptionFailed (wrong key, altered, moved or reordered) or BadFormat (cut short: no final message,
    or anything after it) — possibly after some data was yielded, so a caller that must not hand out a partial
    file reads it through once first."""
    _check_key(key)
    head = _read_exactly(read, _STREAM_HEAD)
    if len(head) != _STREAM_HEAD or not is_stream(head):
        raise BadFormat("not a sealed stream")
    ad = _associated_data(context) + _STREAM_AD
    state = _stream.crypto_secretstream_xchacha20poly1305_state()
    try:
        _stream.crypto_secretstream_xchacha20poly1305_init_pull(state, head[1:], key)
    except nacl.exceptions.CryptoError:
        raise DecryptionFailed("decryption failed") from None
    final = False
    while message := _read_exactly(read, _STREAM_MESSAGE):
        if final:
            raise BadFormat("sealed stream goes on after its final message")
        if len(message) != _STREAM_MESSAGE:
            raise BadFormat("sealed stream is truncated")
        try:
            plain, tag = _stream.crypto_secretstream_xchacha20poly1305_pull(state, message, ad)
        except nacl.exceptions.CryptoError:
            raise DecryptionFailed("decryption failed") from None
        used = int.from_bytes(plain[:4], "big")
        if used > _STREAM_CARRY:
            raise BadFormat("sealed stream's message is malformed")
        if used:
            yield plain[4 : 4 + used]
        final = tag == _stream.crypto_secretstream_xchacha20poly1305_TAG_FINAL
    if not final:
        raise BadFormat("sealed stream is truncated: no final message")


def stream_shape_ok(blob: bytes) -> bool:
    """Whether a blob has the shape :func:`seal_stream` gives (a check that needs no key)."""
    body = len(blob) - _STREAM_HEAD
    return is_stream(blob) and body >= _STREAM_MESSAGE and body % _STREAM_MESSAGE == 0


_SPOOL: Context = ("spool", "-", "content")


def spool(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Consume the chunks now, sealed as they come under a throwaway key into an anonymous temporary file
    (no name on disk, gone with the process), and return them read back, opened piece by piece. For output
    made slowly that a short transaction then stores: the making happens before the transaction, never
    whole in memory, and no plaintext touches the disk. If the chunks raise, so does this, and nothing stays."""
    key = random_key()
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the reader below, or here on failure
    try:
        for piece in seal_stream(key, chunks, _SPOOL):
            handle.write(piece)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise

    def read_back() -> Iterator[bytes]:
        with handle:
            yield from open_stream(key, handle.read, _SPOOL)

    return read_back()
