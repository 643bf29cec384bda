"""REST endpoints of chat (API.md §5): conversations, history, sending, read receipts, unread counts, blocks."""

from __future__ import annotations

from flask.views import MethodView

from app.chat import schemas
from app.chat import services as svc
from app.core.api import Blueprint
from app.core.auth import auth_required, current_user, current_viewer

blp = Blueprint("chat", __name__, url_prefix="/api", description="Direct messages between users.")


@blp.route("/conversations")
class Conversations(MethodView):
    @auth_required()
    @blp.arguments(schemas.ConversationQueryArgsSchema, location="query")
    @blp.response(200, schemas.ConversationSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List your conversations: one per peer, with the last message and your unread count, newest first."""
        return svc.conversations(current_viewer(), pagination_parameters)


@blp.route("/messages")
class Messages(MethodView):
    @auth_required()
    @blp.arguments(schemas.MessageQueryArgsSchema, location="query")
    @blp.response(200, schemas.MessageSchema(many=True))
    def get(self, args):
        """Read a conversation: newest first (`before`), or what came after an id, oldest first (`after`)."""
        return svc.history(current_user(), args.pop("peer_id"), **args)

    @auth_required()
    @blp.rate_limited()
    @blp.arguments(schemas.MessageCreateSchema)
    @blp.response(201, schemas.MessageSchema)
    @blp.alt_response(200, schema=schemas.MessageSchema, description="A retry: the message already stored.")
    def post(self, data):
        """Send a message (also delivered over Socket.IO); a repeated `client_msg_id` returns the stored one (200)."""
        message, created = svc.send_message(current_user(), **data)
        return message, 201 if created else 200


@blp.route("/messages/read")
class MessagesRead(MethodView):
    @auth_required()
    @blp.arguments(schemas.MarkReadSchema)
    @blp.response(204)
    def post(self, data):
        """Mark a peer's messages to you as read, up to an id; the peer gets `messages_read`."""
        svc.mark_read(current_user(), data["peer_id"], data["up_to"])


@blp.route("/messages/unread")
class MessagesUnread(MethodView):
    @auth_required()
    @blp.response(200, schemas.UnreadSchema)
    def get(self):
        """Count your unread messages, in total and per sender."""
        return svc.unread_counts(current_user())


@blp.route("/users/<id:user_id>/block")
class UserBlock(MethodView):
    @auth_required()
    @blp.response(204)
    def post(self, user_id):
        """Block a user: no messages either way."""
        svc.block(current_user(), user_id)

    @auth_required()
    @blp.response(204)
    def delete(self, user_id):
        """Unblock a user."""
        svc.unblock(current_user(), user_id)
