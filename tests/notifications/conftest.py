"""Fixtures for notifications: local stand-ins for FCM (OAuth token + HTTP v1 send) and a Web Push service."""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from py_vapid import Vapid02, b64urlencode

from app.notifications import channels
from tests.live import JsonStandIn

FCM_PROJECT = "spotter-test"


@dataclass
class Recorder:
    """What a stand-in server received, and how it should answer."""

    requests: list[dict] = field(default_factory=list)
    token_requests: list[dict] = field(default_factory=list)
    dead_tokens: set[str] = field(default_factory=set)
    expire_next_access_token: bool = False
    issued: int = 0


def _serve(handler_cls) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class _Handler(JsonStandIn):
    recorder: Recorder


@dataclass
class FakeFcm:
    recorder: Recorder
    url: str
    credentials: str

    @property
    def messages(self) -> list[dict]:
        return [r["body"]["message"] for r in self.recorder.requests]


@pytest.fixture
def fcm(app):
    """FCM HTTP v1 on loopback: /token checks the service account's signed assertion; /v1/... sends or 404s."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    recorder = Recorder()

    class Handler(_Handler):
        def do_POST(self):  # noqa: N802 - http.server names its handlers so
            body = self._body()
            if self.path == "/token":
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                claims = jwt.decode(form["assertion"], key.public_key(), algorithms=["RS256"], audience=f"{base}/token")
                recorder.token_requests.append({"form": form, "claims": claims})
                recorder.issued += 1
                return self._reply(200, {"access_token": f"access-{recorder.issued}", "expires_in": 3600})
            expected = f"/v1/projects/{FCM_PROJECT}/messages:send"
            auth = self.headers.get("Authorization", "")
            if recorder.expire_next_access_token:
                recorder.expire_next_access_token = False
                return self._reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
            if self.path != expected or auth != f"Bearer access-{recorder.issued}":
                return self._reply(401 if self.path == expected else 404, {"error": {"code": 400}})
            message = json.loads(body)
            recorder.requests.append({"body": message, "auth": auth})
            if message["message"]["token"] in recorder.dead_tokens:
                return self._reply(
                    404,
                    {
                        "error": {
                            "code": 404,
                            "message": "Requested entity was not found.",
                            "status": "NOT_FOUND",
                            "details": [
                                {
                                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                    "errorCode": "UNREGISTERED",
                                }
                            ],
                        }
                    },
                )
            return self._reply(200, {"name": f"projects/{FCM_PROJECT}/messages/{len(recorder.requests)}"})

    server, base = _serve(Handler)
    credentials = json.dumps(
        {
            "type": "service_account",
            "project_id": FCM_PROJECT,
            "private_key_id": "test-key",
            "private_key": pem,
            "client_email": "push@spotter-test.iam.gserviceaccount.com",
            "token_uri": f"{base}/token",
        }
    )
    saved = {k: app.config[k] for k in ("FCM_CREDENTIALS", "FCM_API_URL", "FCM_TOKEN_URL", "FCM_PROJECT_ID")}
    app.config.update(FCM_CREDENTIALS=credentials, FCM_API_URL=base, FCM_TOKEN_URL="", FCM_PROJECT_ID="")
    channels._fcm_tokens._tokens.clear()
    try:
        yield FakeFcm(recorder, base, credentials)
    finally:
        app.config.update(saved)
        channels._fcm_tokens._tokens.clear()
        server.shutdown()


@dataclass
class Subscriber:
    """A browser's push subscription: its keys decrypt what the push service received."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def token(self) -> str:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return json.dumps(
            {"endpoint": self.endpoint, "keys": {"p256dh": b64urlencode(public), "auth": b64urlencode(self.auth)}}
        )

    def decrypt(self, body: bytes) -> dict:
        return json.loads(
            http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        )


@dataclass
class FakeWebPush:
    recorder: Recorder
    url: str
    vapid: Vapid02
    gone: set[str] = field(default_factory=set)

    def subscriber(self, name: str) -> Subscriber:
        return Subscriber(f"{self.url}/push/{name}", ec.generate_private_key(ec.SECP256R1()), os.urandom(16))


@pytest.fixture
def web_push(app):
    """A Web Push service on loopback: 201 for live subscriptions, 410 Gone for the ones in `gone`."""
    vapid = Vapid02()
    vapid.generate_keys()
    recorder = Recorder()
    state = FakeWebPush(recorder, "", vapid)

    class Handler(_Handler):
        def do_POST(self):  # noqa: N802 - http.server names its handlers so
            body = self._body()
            name = self.path.rsplit("/", 1)[-1]
            headers = {key.lower(): value for key, value in self.headers.items()}
            recorder.requests.append({"name": name, "headers": headers, "body": body})
            self._reply(410 if name in state.gone else 201)

    server, base = _serve(Handler)
    state.url = base
    raw = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    saved = {k: app.config[k] for k in ("VAPID_PRIVATE_KEY", "VAPID_SUBJECT")}
    app.config.update(VAPID_PRIVATE_KEY=b64urlencode(raw), VAPID_SUBJECT="mailto:ops@spotter.test")
    try:
        yield state
    finally:
        app.config.update(saved)
        server.shutdown()


def vapid_claims(headers: dict, vapid: Vapid02) -> dict:
    """Verify a push request's VAPID Authorization header with the server's public key; return its claims."""
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    public = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert base64.urlsafe_b64decode(values["k"] + "==") == public
    return jwt.decode(values["t"], vapid.public_key, algorithms=["ES256"], options={"verify_aud": False})
