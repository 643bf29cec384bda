"""REST endpoints for registration, login, tokens, users, trainers and coaching."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.views import MethodView

from app.accounts import avatars, identities, schemas
from app.accounts import services as svc
from app.core import oauth
from app.core.api import Blueprint, parse_id
from app.core.auth import auth_required, current_claims, current_user
from app.core.errors import NotFound
from app.core.pagination import paginate
from app.extensions import db, limiter

blp = Blueprint("accounts", __name__, url_prefix="/api", description="Accounts, authentication and coaching.")

PUBLIC = {"security": []}


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_PER_IP"]


def _register_limit() -> str:
    return current_app.config["RATELIMIT_REGISTER_PER_IP"]


def _forgot_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_FORGOT_PER_IP"]


@blp.route("/register")
class Register(MethodView):
    @blp.doc(**PUBLIC)
    @limiter.limit(_register_limit)
    @blp.rate_limited()
    @blp.arguments(schemas.RegisterSchema)
    @blp.response(201, schemas.UserSchema)
    def post(self, data):
        """Create an account (role User or Trainer)."""
        return svc.register(data["email"], data["username"], data["password"], data["role"])


@blp.route("/login")
class Login(MethodView):
    @blp.doc(**PUBLIC)
    @limiter.limit(_login_limit)
    @blp.rate_limited()
    @blp.alt_response(401, response="UNAUTHORIZED", description="Wrong email or password.")
    @blp.arguments(schemas.LoginSchema)
    @blp.response(200, schemas.TokenSchema)
    def post(self, data):
        """Exchange email and password for an access and a refresh token."""
        return svc.issue_tokens(svc.authenticate(data["email"], data["password"]))


@blp.route("/token/refresh")
class TokenRefresh(MethodView):
    @blp.doc(security=[{"bearerAuth": []}], description="Send the refresh token as the Bearer token.")
    @auth_required(refresh=True)
    @blp.response(200, schemas.TokenSchema)
    def post(self):
        """Trade a refresh token for a new pair; the old refresh token is spent."""
        try:
            return svc.refresh_tokens(current_claims())
        except svc.RefreshReuse:
            db.session.commit()  # keep the revocation although the answer is an error
            raise


@blp.route("/logout")
class Logout(MethodView):
    @auth_required()
    @blp.response(204)
    def post(self):
        """Revoke this login: its access and refresh tokens stop working."""
        svc.logout(current_claims())


@blp.route("/password/forgot")
class PasswordForgot(MethodView):
    @blp.doc(**PUBLIC)
    @limiter.limit(_forgot_limit)
    @blp.rate_limited()
    @blp.arguments(schemas.PasswordForgotSchema)
    @blp.response(202)
    def post(self, data):
        """Email a reset link if the account exists (the answer is the same either way)."""
        svc.request_password_reset(data["email"])


@blp.route("/password/reset")
class PasswordReset(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(schemas.PasswordResetSchema)
    @blp.response(204)
    def post(self, data):
        """Set a new password with a reset token; every login of the account is revoked."""
        svc.reset_password(data["token"], data["password"])


def _nonce_limit() -> str:
    return current_app.config["RATELIMIT_OAUTH_NONCE_PER_IP"]


@blp.route("/email/verify")
class EmailVerify(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(schemas.EmailVerifySchema)
    @blp.response(204)
    def post(self, data):
        """Confirm an email address with the token mailed to it (single use, valid 24 hours)."""
        svc.verify_email(data["token"])


@blp.route("/email/verification")
class EmailVerification(MethodView):
    @auth_required()
    @blp.response(202)
    def post(self):
        """Mail a new verification token to my address (rate limited; 409 when already verified)."""
        svc.resend_email_verification(current_user())


@blp.route("/oauth/nonce")
class OAuthNonce(MethodView):
    @blp.doc(**PUBLIC)
    @limiter.limit(_nonce_limit)
    @blp.response(200, schemas.NonceSchema)
    def get(self):
        """Issue a nonce to put in the provider's ID token (usable once, for 10 minutes)."""
        return {"nonce": oauth.issue_nonce()}


@blp.route("/oauth/<provider>")
class OAuthSignIn(MethodView):
    @blp.doc(**PUBLIC)
    @limiter.limit(_login_limit)
    @blp.arguments(schemas.OAuthSignInSchema)
    @blp.response(200, schemas.TokenSchema)
    @blp.alt_response(201, schema=schemas.TokenSchema, description="The account was created by this sign-in")
    @blp.needs_configuration("Sign-in with this provider is not configured on this server.")
    def post(self, data, provider):
        """Sign in with a Google, Apple or Facebook token (an unseen identity may create the account)."""
        claims = identities.verify(identities.provider_named(provider), **_tokens(data))
        user, created = identities.sign_in(claims)
        return svc.issue_tokens(user), 201 if created else 200


def _tokens(data: dict) -> dict:
    return {key: data.get(key) for key in ("id_token", "access_token", "nonce")}


@blp.route("/users/me/identities")
class MyIdentities(MethodView):
    @auth_required()
    @blp.response(200, schemas.IdentitySchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """List the providers I can sign in with."""
        return paginate(identities.list_identities(current_user()), pagination_parameters)

    @auth_required()
    @blp.arguments(schemas.IdentityLinkSchema)
    @blp.response(201, schemas.IdentitySchema)
    @blp.needs_configuration("Sign-in with this provider is not configured on this server.")
    def post(self, data):
        """Link a provider's identity to my account (proved by its token)."""
        claims = identities.verify(data["provider"], **_tokens(data))
        return identities.link(current_user(), claims)


@blp.route("/users/me/identities/<provider>")
class MyIdentityByProvider(MethodView):
    @auth_required()
    @blp.response(204)
    def delete(self, provider):
        """Unlink a provider (409 when it is my last way to sign in)."""
        identities.unlink(current_user(), identities.provider_named(provider))


def _user_for(user_id: str):
    me = current_user()
    return me if user_id == "me" else svc.get_user(_int_id(user_id))


def _int_id(value: str) -> int:
    user_id = parse_id(value)
    if user_id is None:
        raise NotFound("No such user.")
    return user_id


@blp.route("/users/<user_ref:user_id>")
class UserById(MethodView):
    @auth_required()
    @blp.response(
        200,
        schemas.UserSchema,
        description="The whole user for self, Owners and their active trainer; for everyone else the public part "
        "(`id, username, role, profile_image, profile: {bio}, trainer`), the same shape with the rest left out.",
    )
    def get(self, user_id):
        """Read a user (`me` for yourself); others see the public part."""
        user = _user_for(user_id)
        if svc.sees_full_profile(current_user(), user):
            return user
        return jsonify(schemas.PublicUserSchema().dump(user))

    @auth_required()
    @blp.arguments(schemas.UserUpdateSchema)
    @blp.response(200, schemas.UserSchema)
    def put(self, data, user_id):
        """Update a user (self or Owner; only an Owner sets `role`)."""
        return svc.update_user(current_user(), _user_for(user_id), data)

    patch = put


@blp.route("/users/<user_id>/avatar")
class UserAvatar(MethodView):
    @auth_required()
    @blp.arguments(schemas.AvatarUploadSchema, location="files")
    @blp.response(200, schemas.UserSchema)
    def put(self, data, user_id):
        """Upload an avatar (self or Owner): a worker makes its variants, `profile_image.status` says when."""
        return avatars.upload(current_user(), _user_for(user_id), data["file"])

    @auth_required()
    @blp.response(204)
    def delete(self, user_id):
        """Remove the avatar and every stored variant of it (self or Owner)."""
        avatars.remove(current_user(), _user_for(user_id))


@blp.route("/users")
class Users(MethodView):
    @auth_required("Owner")
    @blp.arguments(schemas.UserQueryArgsSchema, location="query")
    @blp.response(200, schemas.UserSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List and search users (Owners)."""
        return paginate(svc.search_users(**args), pagination_parameters)


@blp.route("/trainers")
class Trainers(MethodView):
    @auth_required()
    @blp.arguments(schemas.TrainerQueryArgsSchema, location="query")
    @blp.response(200, schemas.PublicUserSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Find trainers by name, specialization and whether they accept clients."""
        return paginate(svc.search_trainers(**args), pagination_parameters)


@blp.route("/coaching")
class Coaching(MethodView):
    @auth_required("Trainer", "User")
    @blp.arguments(schemas.CoachingCreateSchema)
    @blp.response(201, schemas.CoachingSchema)
    def post(self, data):
        """Ask a trainer to coach you (`trainer_id`) or invite a client (`client_id`)."""
        return svc.request_coaching(current_user(), **data)

    @auth_required()
    @blp.arguments(schemas.CoachingQueryArgsSchema, location="query")
    @blp.response(200, schemas.CoachingSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List my coaching relationships, as trainer or client."""
        return paginate(svc.list_relationships(current_user(), **args), pagination_parameters)


@blp.route("/coaching/<id:relationship_id>")
class CoachingById(MethodView):
    @auth_required()
    @blp.response(200, schemas.CoachingSchema)
    def get(self, relationship_id):
        """Read one of my coaching relationships."""
        return svc.get_relationship(current_user(), relationship_id)

    @auth_required()
    @blp.response(204)
    def delete(self, relationship_id):
        """End a relationship (kept for history)."""
        svc.end_coaching(current_user(), relationship_id)


@blp.route("/coaching/<id:relationship_id>/accept")
class CoachingAccept(MethodView):
    @auth_required()
    @blp.response(200, schemas.CoachingSchema)
    def post(self, relationship_id):
        """Accept a pending request addressed to you."""
        return svc.respond_to_coaching(current_user(), relationship_id, accept=True)


@blp.route("/coaching/<id:relationship_id>/decline")
class CoachingDecline(MethodView):
    @auth_required()
    @blp.response(200, schemas.CoachingSchema)
    def post(self, relationship_id):
        """Decline a pending request addressed to you."""
        return svc.respond_to_coaching(current_user(), relationship_id, accept=False)
