"""Local stand-ins for outside services the tests start: the providers' JWKS and Graph API, an S3 (moto)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

AUDIENCES = {"google": "google-client.apps", "apple": "com.spotter.app", "facebook": "1234567890"}
ISSUERS = {
    "google": "https://accounts.google.com",
    "apple": "https://appleid.apple.com",
    "facebook": "https://www.facebook.com",
}
FACEBOOK_SECRET = "facebook-app-secret"


def new_rsa_key() -> rsa.RSAPrivateKey:
    """An RSA key made for the test."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    """The PEM of a key's public half."""
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(header: dict, claims: dict, signature: bytes = b"") -> str:
    """A JWT put together by hand (for `alg: none` and HS256 forgeries)."""
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)])


def hs256_forgery(claims: dict, kid: str, secret: bytes) -> str:
    """An HS256 token whose secret is the provider's public key: the classic algorithm-confusion attack."""
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode())])
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


class ProviderStandIn:
    """One HTTP server for Google's, Apple's and Facebook's key sets and Facebook's Graph API."""

    def __init__(self, keys: dict[str, rsa.RSAPrivateKey]) -> None:
        self.keys: dict[str, dict[str, rsa.RSAPrivateKey]] = {p: {f"{p}-key-1": k} for p, k in keys.items()}
        self.fetches: Counter[str] = Counter()
        self.debug_tokens: dict[str, dict[str, Any]] = {}
        self.profiles: dict[str, dict[str, Any]] = {}
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                stand_in.fetches[url.path] += 1
                status, body = stand_in.answer(url.path, {k: v[0] for k, v in parse_qs(url.query).items()})
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def start(self) -> ProviderStandIn:
        """Serve in a thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def jwks_url(self, provider: str) -> str:
        """Where a provider's key set is served."""
        return f"{self.base}/{provider}/jwks"

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        """The response to one GET."""
        provider = path.strip("/").split("/")[0]
        if path.endswith("/jwks") and provider in self.keys:
            return 200, {"keys": [self.jwk(kid, key) for kid, key in self.keys[provider].items()]}
        if path == "/graph/debug_token":
            if query.get("access_token") != f"{AUDIENCES['facebook']}|{FACEBOOK_SECRET}":
                return 400, {"error": {"message": "bad app token"}}
            return 200, {"data": self.debug_tokens.get(query.get("input_token"), {"is_valid": False})}
        if path == "/graph/me":
            token = query.get("access_token", "")
            expected = hmac.new(FACEBOOK_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()
            if token not in self.profiles or query.get("appsecret_proof") != expected:
                return 400, {"error": {"message": "bad token"}}
            return 200, self.profiles[token]
        return 404, {"error": "not found"}

    @staticmethod
    def jwk(kid: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
        """The public JWK of a key."""
        numbers = key.public_key().public_numbers()
        as_bytes = lambda n: n.to_bytes((n.bit_length() + 7) // 8, "big")  # noqa: E731
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": kid,
            "n": _b64(as_bytes(numbers.n)),
            "e": _b64(as_bytes(numbers.e)),
        }

    def claims(self, provider: str, sub: str = "subject-1", email: str | None = None, **extra: Any) -> dict:
        """Valid claims of a provider's ID token, with `extra` overriding."""
        now = int(time.time())
        claims = {"iss": ISSUERS[provider], "aud": AUDIENCES[provider], "sub": sub, "iat": now, "exp": now + 600}
        if email is not None:
            claims["email"] = email
        claims.update(extra)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, provider: str, claims: dict, *, kid: str | None = None, key: rsa.RSAPrivateKey | None = None) -> str:
        """An RS256 token signed with the provider's key (or `key`), naming `kid` (default: the first)."""
        kid = kid or next(iter(self.keys[provider]))
        signer = key or self.keys[provider].get(kid) or next(iter(self.keys[provider].values()))
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": kid})

    def facebook_token(self, token: str, subject: str, email: str | None, **data: Any) -> str:
        """Make Graph know an access token for a user."""
        self.debug_tokens[token] = {
            "is_valid": True,
            "app_id": AUDIENCES["facebook"],
            "user_id": subject,
            "expires_at": int(time.time()) + 3600,
            **data,
        }
        self.profiles[token] = {"id": subject, "name": "Face Book", **({"email": email} if email else {})}
        return token

    def config(self) -> dict[str, Any]:
        """The app configuration that points every provider at this server."""
        return {
            "GOOGLE_CLIENT_IDS": f"other-client,{AUDIENCES['google']}",
            "GOOGLE_JWKS_URL": self.jwks_url("google"),
            "GOOGLE_ISSUERS": "https://accounts.google.com,accounts.google.com",
            "APPLE_CLIENT_IDS": AUDIENCES["apple"],
            "APPLE_JWKS_URL": self.jwks_url("apple"),
            "APPLE_ISSUER": ISSUERS["apple"],
            "FACEBOOK_APP_ID": AUDIENCES["facebook"],
            "FACEBOOK_APP_SECRET": FACEBOOK_SECRET,
            "FACEBOOK_GRAPH_URL": f"{self.base}/graph",
            "FACEBOOK_JWKS_URL": self.jwks_url("facebook"),
            "FACEBOOK_ISSUER": ISSUERS["facebook"],
        }
