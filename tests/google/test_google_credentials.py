"""Credential types other than oauth: a service account with delegation, and static tokens."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import service_account
from google_support import make_config
from oauth_server import token_endpoint

from adapters.google.credentials import user_credentials
from syncengine.config.model import Credentials, GoogleAccount, GoogleConfig, StudioConfig, UserConfig
from syncengine.errors import AuthError

WINDOW = (date(2026, 5, 1), date(2026, 7, 31))


def _key_file(tmp_path: Path, token_uri: str) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = tmp_path / "sa.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "studio", "private_key_id": "k1", "private_key": pem,
        "client_email": "sync@studio.iam.example", "client_id": "1", "token_uri": token_uri,
    }))
    return path


def test_service_account_impersonates_each_user(tmp_path, service, backend_for) -> None:  # type: ignore[no-untyped-def]
    with token_endpoint() as endpoint:
        base = make_config(tmp_path, service, {"amanda": "amanda@studio.example"})
        service.add_account("amanda@studio.example", token="sa-token-amanda")
        endpoint.subjects["amanda@studio.example"] = "sa-token-amanda"
        creds = Credentials(type="service_account", key_file=_key_file(tmp_path, endpoint.base + "token"))
        user = UserConfig("amanda", "Amanda", GoogleAccount("amanda@studio.example"))
        config = StudioConfig(base.path, base.studio, (), (user,),
                              google=GoogleConfig(endpoint=base.google.endpoint, credentials=creds))
        made = user_credentials(config, user)
        assert isinstance(made, service_account.Credentials)
        session = backend_for(config).open(user)
        assert session.calendar()["id"] == "amanda@studio.example"
        assert session.read(None, *WINDOW).full
        assert any(g["grant_type"].endswith("jwt-bearer") for g in endpoint.grants)


def test_static_token_from_the_environment(tmp_path, service, backend_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    base = make_config(tmp_path, service, {"amanda": "amanda@studio.example"})
    token = service.add_account("amanda@studio.example")
    user = UserConfig("amanda", "Amanda", GoogleAccount("amanda@studio.example", credentials=Credentials(
        type="static_token", token_env="STUDIO_TEST_TOKEN")))
    config = StudioConfig(base.path, base.studio, (), (user,), google=base.google)
    monkeypatch.delenv("STUDIO_TEST_TOKEN", raising=False)
    with pytest.raises(AuthError, match="STUDIO_TEST_TOKEN"):
        backend_for(config).open(user)
    monkeypatch.setenv("STUDIO_TEST_TOKEN", token)
    assert backend_for(config).open(user).read(None, *WINDOW).full


def test_oauth_without_a_token_file_asks_for_login(tmp_path, service, backend_for) -> None:  # type: ignore[no-untyped-def]
    base = make_config(tmp_path, service, {"amanda": "amanda@studio.example"})
    user = UserConfig("amanda", "Amanda", GoogleAccount("amanda@studio.example"))
    creds = Credentials(type="oauth", client_secrets=tmp_path / "c.json", token_dir=tmp_path / "tokens")
    config = StudioConfig(base.path, base.studio, (), (user,),
                          google=GoogleConfig(endpoint=base.google.endpoint, credentials=creds))
    with pytest.raises(AuthError) as caught:
        backend_for(config).open(user)
    assert "not signed in" in str(caught.value) and "auth login amanda" in caught.value.advice()
