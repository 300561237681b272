"""The UI of ``mltrail server --auth`` in Chromium: sign in, create an experiment through the
page's own script (its write carries the CSRF token), see only readable experiments, sign out."""

from __future__ import annotations


def test_sign_in_create_and_sign_out_in_the_browser(auth_server, browser, shot):
    server = auth_server(auth_default_permission="NO_PERMISSIONS")
    server.user("ana", "ana-password-1")
    server.call("POST", "experiments/create", server.admin, json={"name": "admins-hidden"}).raise_for_status()
    context = browser.new_context(viewport={"width": 1200, "height": 800}, base_url=server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/experiments")
        assert "/login?next=" in page.url
        page.fill("input[name=username]", "ana")
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit]")
        assert "Wrong user name or password" in page.content()
        page.fill("input[name=username]", "ana")
        page.fill("input[name=password]", "ana-password-1")
        page.click("button[type=submit]")
        page.wait_for_url("**/experiments")
        assert "admins-hidden" not in page.content() and "Sign out" in page.content()
        page.fill("#new-name", "ana-from-browser")
        with page.expect_response("**/ajax-api/ui/experiments/create") as answer:
            page.click("#create")
        assert answer.value.status == 200
        page.wait_for_selector("text=ana-from-browser")
        shot(page, "auth-experiments")
        created = server.app.state.tracking_store.get_experiment_by_name("ana-from-browser")
        user = server.store.get_user("ana")
        assert server.store.get_permission("experiment", created.experiment_id, user.id).name == "MANAGE"
        page.click("form.signout button")
        page.wait_for_url("**/login")
        page.goto("/experiments")
        assert "/login?next=" in page.url
        assert errors == []
    finally:
        context.close()
