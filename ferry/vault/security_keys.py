"""WebAuthn security keys: registration and assertion checks (signature verification lives in the vault)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ferry.vault.errors import VaultError


class SecurityKeyRejected(VaultError):
    """The browser's answer did not prove possession of a registered key (or was malformed)."""


@dataclass(frozen=True)
class Challenge:
    options_json: str  # for the browser
    challenge: bytes  # for the server to keep until the answer comes


@dataclass(frozen=True)
class NewKey:
    credential_id: bytes
    public_key: bytes
    sign_count: int


def registration_challenge(
    *, rp_id: str, rp_name: str, user_id: bytes, user_name: str, existing: Sequence[bytes]
) -> Challenge:
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_name,
        user_id=user_id,
        user_name=user_name,
        exclude_credentials=[PublicKeyCredentialDescriptor(id=cid) for cid in existing],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return Challenge(options_to_json(options), options.challenge)


def registration_check(*, answer: str, challenge: bytes, rp_id: str, origin: str) -> NewKey:
    try:
        verified = verify_registration_response(
            credential=answer, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise SecurityKeyRejected("registration not verified") from None
    return NewKey(verified.credential_id, verified.credential_public_key, verified.sign_count)


def assertion_challenge(*, rp_id: str, credential_ids: Sequence[bytes]) -> Challenge:
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[PublicKeyCredentialDescriptor(id=cid) for cid in credential_ids],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return Challenge(options_to_json(options), options.challenge)


def answer_credential_id(answer: str) -> bytes:
    """The credential id the browser says it used (checked against the stored key by assertion_check)."""
    try:
        raw = json.loads(answer)["rawId"]
        return base64url_to_bytes(raw)
    except (ValueError, KeyError, TypeError):
        raise SecurityKeyRejected("malformed answer") from None


def assertion_check(
    *, answer: str, challenge: bytes, rp_id: str, origin: str, public_key: bytes, sign_count: int
) -> int:
    """Verify the signature; returns the new signature counter (a counter that went back means a cloned key)."""
    try:
        verified = verify_authentication_response(
            credential=answer,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise SecurityKeyRejected("assertion not verified") from None
    return int(verified.new_sign_count)
