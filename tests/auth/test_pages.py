"""The account pages through their real forms: register, log in, profile, log out."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from quart.typing import TestClientProtocol

from webapp.models import User

MakeUser = Callable[..., Awaitable[User]]
CsrfFor = Callable[[TestClientProtocol], Awaitable[str]]
Login = Callable[..., Awaitable[None]]
PASSWORD = "correct horse battery"


async def text(response: object) -> str:
    return (await response.get_data()).decode()  # type: ignore[attr-defined]


def field_error(html: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" id="e-{name}">([^<]*)</p>', html)
    return match.group(1) if match else None


async def test_register_login_profile_logout_in_the_browser(
    client: TestClientProtocol, csrf_token_for: CsrfFor
) -> None:
    page = await text(await client.get("/register"))
    assert 'name="email"' in page and 'name="username"' in page and 'name="password"' in page
    response = await client.post(
        "/register",
        form={
            "email": "Carol@Example.com",
            "username": "carol",
            "password": PASSWORD,
            "csrf_token": await csrf_token_for(client),
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    home = await text(await client.get("/"))
    assert ">carol</a>" in home and "Log out" in home

    await client.post("/logout", form={"csrf_token": await csrf_token_for(client)})
    assert (await client.get("/profile")).status_code == 303

    response = await client.post(
        "/login",
        form={
            "username": "carol@example.com",
            "password": PASSWORD,
            "next": "/profile",
            "csrf_token": await csrf_token_for(client),
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile"
    profile = await text(await client.get("/profile"))
    assert 'value="carol@example.com"' in profile

    response = await client.post(
        "/profile",
        form={
            "display_name": "Carol C",
            "email": "carol@example.com",
            "csrf_token": await csrf_token_for(client),
        },
    )
    assert response.headers["Location"] == "/profile?saved=1"
    saved = await text(await client.get("/profile?saved=1"))
    assert "Your changes are saved" in saved and 'value="Carol C"' in saved

    confirm = await text(await client.get("/logout"))
    assert "Log out" in confirm
    response = await client.post("/logout", form={"csrf_token": await csrf_token_for(client)})
    assert response.status_code == 303
    home = await text(await client.get("/"))
    assert "Log in" in home and "Log out" not in home
    assert (await client.get("/api/v1/users/me")).status_code == 401


async def test_logout_ends_the_session_even_for_a_copied_cookie(
    app: object, make_user: MakeUser, login: Login, csrf_token_for: CsrfFor
) -> None:
    alice = await make_user("alice")
    browser = app.test_client()  # type: ignore[attr-defined]
    await login(browser, alice)
    thief = app.test_client()  # type: ignore[attr-defined]
    for cookie in browser.cookie_jar:
        thief.cookie_jar.set_cookie(cookie)
    assert (await thief.get("/api/v1/users/me")).status_code == 200
    await browser.post("/logout", form={"csrf_token": await csrf_token_for(browser)})
    assert (await thief.get("/api/v1/users/me")).status_code == 401


async def test_register_errors_show_beside_their_fields(
    client: TestClientProtocol, make_user: MakeUser, csrf_token_for: CsrfFor
) -> None:
    await make_user("taken")
    response = await client.post(
        "/register",
        form={
            "email": "not-an-email",
            "username": "x",
            "password": "short",
            "csrf_token": await csrf_token_for(client),
        },
    )
    assert response.status_code == 422
    html = await text(response)
    assert "at least 10" in (field_error(html, "password") or "")
    assert "3 to 30" in (field_error(html, "username") or "")
    assert field_error(html, "email")
    assert 'value="not-an-email"' in html
    response = await client.post(
        "/register",
        form={
            "email": "new@example.com",
            "username": "TAKEN",
            "password": PASSWORD,
            "csrf_token": await csrf_token_for(client),
        },
    )
    assert response.status_code == 422
    assert field_error(await text(response), "username") == "This username is taken"
    assert await User.all().count() == 1


async def test_login_failure_says_the_same_for_unknown_and_wrong(
    client: TestClientProtocol, make_user: MakeUser, csrf_token_for: CsrfFor
) -> None:
    await make_user("alice")
    pages = []
    for name in ("alice", "nobody"):
        response = await client.post(
            "/login",
            form={
                "username": name,
                "password": "wrong pass!",
                "csrf_token": await csrf_token_for(client),
            },
        )
        assert response.status_code == 422
        html = await text(response)
        pages.append(re.search(r'role="alert">([^<]*)<', html).group(1))  # type: ignore[union-attr]
    assert pages[0] == pages[1] == "Wrong username, email or password"


async def test_login_goes_back_only_to_local_paths(
    client: TestClientProtocol, make_user: MakeUser, csrf_token_for: CsrfFor
) -> None:
    await make_user("alice")
    targets = {
        "/teams/new?x=1": "/teams/new?x=1",
        "https://evil.example/": "/",
        "//evil.example/": "/",
        "/\\evil.example": "/",
        "javascript:alert(1)": "/",
    }
    for next_url, expected in targets.items():
        response = await client.post(
            "/login",
            form={
                "username": "alice",
                "password": PASSWORD,
                "next": next_url,
                "csrf_token": await csrf_token_for(client),
            },
        )
        assert response.headers["Location"] == expected, next_url
        await client.post("/logout", form={"csrf_token": await csrf_token_for(client)})


async def test_login_page_carries_next_from_a_protected_page(client: TestClientProtocol) -> None:
    response = await client.get("/profile")
    page = await text(await client.get(response.headers["Location"]))
    assert 'name="next" value="/profile"' in page


async def test_profile_password_change_ends_other_sessions_only(
    app: object, make_user: MakeUser, login: Login, csrf_token_for: CsrfFor
) -> None:
    alice = await make_user("alice")
    laptop = app.test_client()  # type: ignore[attr-defined]
    phone = app.test_client()  # type: ignore[attr-defined]
    await login(laptop, alice)
    await login(phone, alice)
    wrong = await laptop.post(
        "/profile",
        form={
            "display_name": "alice",
            "email": "alice@example.com",
            "password": "a brand new secret",
            "current_password": "not it at all",
            "csrf_token": await csrf_token_for(laptop),
        },
    )
    assert wrong.status_code == 422
    assert field_error(await text(wrong), "current_password") == "Current password is wrong"
    response = await laptop.post(
        "/profile",
        form={
            "display_name": "alice",
            "email": "alice@example.com",
            "password": "a brand new secret",
            "current_password": PASSWORD,
            "csrf_token": await csrf_token_for(laptop),
        },
    )
    assert response.status_code == 303
    assert (await laptop.get("/api/v1/users/me")).status_code == 200
    assert (await phone.get("/api/v1/users/me")).status_code == 401
    assert (await phone.get("/profile")).status_code == 303


async def test_pages_fit_a_phone_and_load_no_inline_script(client: TestClientProtocol) -> None:
    for path in ("/register", "/login"):
        html = await text(await client.get(path))
        assert 'name="viewport" content="width=device-width' in html
        assert "<script>" not in html and "style=" not in html


async def test_session_cookie_is_secure_when_https_is_forced(
    migrated: object, db: None, redis: object, make_user: MakeUser
) -> None:
    from webapp.app import create_app

    await make_user("alice")
    app = create_app(migrated.model_copy(update={"force_https": True}))  # type: ignore[attr-defined]
    async with app.test_app():
        client = app.test_client()
        page = await text(await client.get("/login", scheme="https"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        response = await client.post(
            "/login",
            form={"username": "alice", "password": PASSWORD, "csrf_token": token},
            scheme="https",
        )
        assert response.status_code == 303
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
