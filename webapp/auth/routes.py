"""Accounts JSON API: register, log in, refresh, log out, the caller's profile, user search."""

from __future__ import annotations

from pydantic import ConfigDict, Field
from quart import Blueprint, Response
from quart_schema import validate_querystring, validate_request, validate_response

from webapp.auth import tokens, users
from webapp.auth.current import app_settings, client_ip, require_user, signing_secret
from webapp.auth.limits import limit_login, limit_register
from webapp.models import User
from webapp.schemas import ApiModel, Page, UtcDatetime

api = Blueprint("auth_api", __name__)


class RegisterIn(ApiModel):
    email: str = Field(max_length=254)
    username: str = Field(max_length=30)
    password: str = Field(max_length=128)


class RegisteredOut(ApiModel):
    id: int
    email: str
    username: str
    display_name: str


class LoginIn(ApiModel):
    username: str = Field(min_length=1, max_length=254, description="Username or email")
    password: str = Field(max_length=1024)


class TokenPairOut(ApiModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class RefreshIn(ApiModel):
    # No length rule: any string that is not a live refresh token is a 401, and the
    # body size limit already bounds it.
    refresh_token: str


class MeOut(ApiModel):
    id: int
    email: str
    username: str
    display_name: str
    is_admin: bool
    created_at: UtcDatetime


class MePatch(ApiModel):
    # Unknown fields (username, is_admin, id…) are refused rather than silently ignored.
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = None
    email: str | None = None
    password: str | None = None
    current_password: str | None = None


class UserQuery(Page):
    q: str = Field(min_length=1, max_length=30, description="Username prefix, any case")


class UserItem(ApiModel):
    id: int
    username: str
    display_name: str


class UserList(ApiModel):
    items: list[UserItem]
    total: int


def pair_out(pair: tokens.TokenPair) -> TokenPairOut:
    """Shape a token pair for the API."""
    return TokenPairOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
    )


def me_out(user: User) -> MeOut:
    """Shape the caller's own account for the API."""
    return MeOut.model_validate(user)


@api.post("/auth/register")
@validate_request(RegisterIn)
@validate_response(RegisteredOut, 201)
async def register(data: RegisterIn) -> tuple[RegisteredOut, int]:
    """Create an account (public)."""
    await limit_register(ip=client_ip())
    user = await users.register(email=data.email, username=data.username, password=data.password)
    return RegisteredOut.model_validate(user), 201


@api.post("/auth/login")
@validate_request(LoginIn)
@validate_response(TokenPairOut)
async def login(data: LoginIn) -> TokenPairOut:
    """Trade a username or email and password for an access and a refresh token (public)."""
    await limit_login(ip=client_ip(), login=data.username)
    user = await users.authenticate(login=data.username, password=data.password)
    settings = app_settings()
    pair = await tokens.issue_pair(
        user=user,
        secret=signing_secret(),
        access_minutes=settings.access_token_expire_minutes,
        refresh_days=settings.refresh_token_expire_days,
    )
    return pair_out(pair)


@api.post("/auth/refresh")
@validate_request(RefreshIn)
@validate_response(TokenPairOut)
async def refresh(data: RefreshIn) -> TokenPairOut:
    """Trade a refresh token for a new pair; the old one stops working (public)."""
    settings = app_settings()
    pair = await tokens.rotate_refresh_token(
        raw=data.refresh_token,
        secret=signing_secret(),
        access_minutes=settings.access_token_expire_minutes,
        refresh_days=settings.refresh_token_expire_days,
    )
    return pair_out(pair)


@api.post("/auth/logout")
@validate_request(RefreshIn)
async def logout(data: RefreshIn) -> Response:
    """Revoke a refresh token and its family (public)."""
    await tokens.revoke_refresh_token(
        raw=data.refresh_token, access_minutes=app_settings().access_token_expire_minutes
    )
    return Response(status=204)


@api.get("/users/me")
@validate_response(MeOut)
async def me() -> MeOut:
    """Return the caller's account."""
    return me_out(await require_user())


@api.patch("/users/me")
@validate_request(MePatch)
@validate_response(MeOut)
async def update_me(data: MePatch) -> MeOut:
    """Change the caller's display name, email or password."""
    user = await users.update_profile(user=await require_user(), **data.model_dump())
    return me_out(user)


@api.get("/users")
@validate_querystring(UserQuery)
@validate_response(UserList)
async def search(query_args: UserQuery) -> UserList:
    """Find users by username prefix, for inviting friends."""
    await require_user()
    rows, total = await users.search_users(
        prefix=query_args.q, limit=query_args.clamped, offset=query_args.offset
    )
    return UserList(items=[UserItem.model_validate(u) for u in rows], total=total)
