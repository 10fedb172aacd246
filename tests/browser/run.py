"""Browser test of examples/music (and of the docs UI of examples/full) in headless Chromium.

Run by .ci/browser, which installs Chromium, ChromeDriver and selenium. It starts both
examples on loopback with fresh SQLite databases (stopping them by process id at the end),
then, in a real browser:

1. music: sign up, see the profile, sign out, sign in, edit username and description, reload
   (still signed in through the MusicText cookie, edits kept), sign out, reload (signed out);
2. music: a form posted from another origin (same site on another port, and another site)
   to the logout and login routes is refused with 403, and the victim stays signed in;
3. full: /docs renders the login operation, and "Authorize" with email and password logs in
   through the bearer backend's OAuth2 password flow;
4. music: "Sign in with OpenID" at a real OpenID provider on loopback (tests/oidc/provider.mjs,
   Node.js), through the provider's sign-in page and back: signed in with the MusicText
   cookie, as a new user with a username made from the address.

Screenshots go to $SCREENSHOTS_DIR (default target/ci-artifacts/screenshots).
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "target" / "ci-artifacts" / "screenshots"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """An example binary on a free port with a fresh SQLite database, stopped by its pid."""

    def __init__(
        self, example: str, workdir: Path, env: dict[str, str] | None = None, port: int | None = None
    ):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / f"{example}.log", "wb")
        environment = dict(os.environ)
        environment.update(
            PORT=str(self.port),
            DATABASE_URL=f"sqlite://{workdir / example}.db?mode=rwc",
            JWT_SECRET="browser-test-secret-of-32-bytes!!",
            ARGON2_MEMORY_KIB="1024",
            ARGON2_ITERATIONS="1",
            ARGON2_PARALLELISM="1",
            RUST_LOG="warn",
        )
        environment.update(env or {})
        binary = ROOT / "target" / "debug" / "examples" / example
        self.process = subprocess.Popen([str(binary)], env=environment, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/openapi.json", timeout=1).read()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{example} did not start; see {self.log.name}")
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class OidcProvider:
    """The test OpenID provider (tests/oidc/provider.mjs) on a free port, stopped by its pid."""

    def __init__(self, workdir: Path, client_id: str, secret: str, redirect_uri: str, account: dict):
        config = {
            "port": 0,
            "clients": [
                {"client_id": client_id, "client_secret": secret, "redirect_uris": [redirect_uri]}
            ],
            "accounts": [account],
        }
        environment = dict(os.environ, OIDC_PROVIDER_CONFIG=json.dumps(config))
        self.log = open(workdir / "oidc-provider.log", "wb")
        self.process = subprocess.Popen(
            ["node", str(ROOT / "tests" / "oidc" / "provider.mjs")],
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        line = self.process.stdout.readline().decode().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"the OpenID provider did not start: {line!r}; see {self.log.name}")
        self.issuer = line.split(" ", 1)[1]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Attacker:
    """A page on another origin whose forms post to the victim site (`http.server`)."""

    def __init__(self, host: str, victim: str):
        page = f"""<!doctype html><title>Win a prize</title>
<form id="logout" method="post" action="{victim}/auth/jwt/logout"><button>Logout</button></form>
<form id="login" method="post" action="{victim}/auth/jwt/login">
<input name="username" value="attacker@example.com"><input name="password" value="attacker-password">
<button>Login</button></form>
<form id="patch" method="post" action="{victim}/users/me" enctype="text/plain">
<input name='{{"description":"pwned","x":"' value='"}}'><button>Patch</button></form>"""

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,900",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


class Steps:
    def __init__(self, driver: webdriver.Chrome):
        self.driver = driver
        self.count = 0

    def shot(self, name: str) -> None:
        self.count += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{self.count:02d}-{name}.png"))

    def wait_for(self, by: str, value: str):
        return WebDriverWait(self.driver, WAIT).until(EC.visibility_of_element_located((by, value)))

    def wait_url(self, suffix: str) -> None:
        try:
            WebDriverWait(self.driver, WAIT).until(lambda d: d.current_url.endswith(suffix))
        except TimeoutException:
            message = self.driver.find_elements(By.ID, "message")
            text = message[0].text if message else self.driver.page_source[:500]
            raise AssertionError(f"expected {suffix}, at {self.driver.current_url}: {text}") from None

    def fill(self, field: str, value: str) -> None:
        element = self.driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)

    def body_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text


def check(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)
    print(f"ok - {what}")


def music_flow(steps: Steps, music: Server) -> None:
    d = steps.driver
    email, password = "fan@example.com", "correct horse battery"

    d.get(f"{music.base}/signup")
    steps.wait_for(By.ID, "signup-form")
    steps.fill("email", email)
    steps.fill("username", "fan")
    steps.fill("password", password)
    steps.shot("music-signup")
    d.find_element(By.CSS_SELECTOR, "#signup-form button").click()
    steps.wait_url("/profile")
    check("fan" in steps.wait_for(By.ID, "current-username").text, "sign up lands on the profile, signed in")
    cookie = d.get_cookie("MusicText")
    check(cookie is not None and cookie.get("httpOnly") is True, "the MusicText cookie is set, HttpOnly")
    steps.shot("music-profile-after-signup")

    d.find_element(By.ID, "signout").click()
    steps.wait_url("/signin")
    check(d.get_cookie("MusicText") is None, "sign out clears the cookie")

    steps.wait_for(By.ID, "signin-form")
    steps.fill("email", email)
    steps.fill("password", "a wrong password")
    d.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    WebDriverWait(d, WAIT).until(lambda _: "LOGIN_BAD_CREDENTIALS" in d.find_element(By.ID, "message").text)
    check(True, "a wrong password shows LOGIN_BAD_CREDENTIALS")
    steps.shot("music-signin-refused")
    steps.fill("password", password)
    d.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    steps.wait_url("/profile")
    check(steps.wait_for(By.ID, "current-username").text == "fan", "sign in lands on the profile")

    steps.fill("username", "lyric-fan")
    steps.fill("description", "Loves <b>choruses</b> & bridges")
    d.find_element(By.CSS_SELECTOR, "#profile-form button").click()
    WebDriverWait(d, WAIT).until(lambda _: d.find_element(By.ID, "message").text == "Saved.")
    check(True, "the profile edit is saved")
    steps.shot("music-profile-saved")

    d.refresh()
    check(steps.wait_for(By.ID, "current-username").text == "lyric-fan", "after reload: still signed in, new username")
    check(
        d.find_element(By.ID, "description").get_attribute("value") == "Loves <b>choruses</b> & bridges",
        "after reload: the description is kept, as text",
    )
    steps.shot("music-profile-reloaded")

    cross_site_posts(steps, music)

    d.get(f"{music.base}/profile")
    steps.wait_for(By.ID, "signout").click()
    steps.wait_url("/signin")
    d.refresh()
    d.get(f"{music.base}/profile")
    steps.wait_url("/signin")
    d.get(f"{music.base}/")
    check("Not signed in" in steps.wait_for(By.ID, "greeting").text, "after sign out and reload: signed out")
    steps.shot("music-signed-out")


def cross_site_posts(steps: Steps, music: Server) -> None:
    d = steps.driver
    # Same site (127.0.0.1 on another port): the browser sends the SameSite=Lax cookie, so
    # only the origin check stands in the way. Another site (localhost): no cookie, still 403.
    for host, kind in (("127.0.0.1", "same-site"), ("localhost", "cross-site")):
        attacker = Attacker(host, music.base)
        try:
            for form in ("logout", "login", "patch"):
                d.get(attacker.url)
                steps.wait_for(By.ID, form)
                d.find_element(By.CSS_SELECTOR, f"#{form} button").click()
                WebDriverWait(d, WAIT).until(lambda _: d.current_url.startswith(music.base))
                text = steps.body_text()
                check('"detail":"Forbidden"' in text.replace(" ", ""), f"{kind} form post to {form} is refused: {text}")
                if form == "logout":
                    steps.shot(f"music-{kind}-post-refused")
        finally:
            attacker.stop()
    d.get(f"{music.base}/profile")
    check(steps.wait_for(By.ID, "current-username").text == "lyric-fan", "after the forged posts: still signed in, unchanged")
    check(
        d.find_element(By.ID, "description").get_attribute("value") != "pwned",
        "the forged PATCH changed nothing",
    )


def docs_flow(steps: Steps, full: Server, email: str, password: str) -> None:
    d = steps.driver
    d.get(f"{full.base}/docs")
    login = steps.wait_for(By.CSS_SELECTOR, "#operations-default-auth_jwt_login_auth_jwt_login_post, [id$='auth_jwt_login_auth_jwt_login_post']")
    check("/auth/jwt/login" in login.text, "the docs UI renders the login operation")
    steps.shot("full-docs")

    d.find_element(By.CSS_SELECTOR, "button.authorize").click()
    steps.wait_for(By.CSS_SELECTOR, ".modal-ux")
    # The bearer backend's scheme: an OAuth2 password flow whose token URL is the login route.
    username = steps.wait_for(By.CSS_SELECTOR, "input#oauth_username")
    scheme = username.find_element(By.XPATH, "./ancestor::div[contains(@class, 'auth-container')][1]")
    check("auth/jwt/login" in scheme.text, "the password flow's token URL is the bearer login route")
    username.send_keys(email)
    scheme.find_element(By.CSS_SELECTOR, "input#oauth_password").send_keys(password)
    d.execute_script("arguments[0].scrollIntoView()", username)
    steps.shot("full-docs-authorize")
    scheme.find_element(By.CSS_SELECTOR, "button.authorize").click()
    WebDriverWait(d, WAIT).until(
        lambda _: "Authorized" in d.find_element(By.CSS_SELECTOR, ".modal-ux").text
        or d.find_elements(By.CSS_SELECTOR, ".modal-ux .errors")
    )
    errors = d.find_elements(By.CSS_SELECTOR, ".modal-ux .errors")
    check(not errors, f"Authorize logs in through the password flow {errors[0].text if errors else ''}")
    steps.shot("full-docs-authorized")
    d.find_element(By.CSS_SELECTOR, ".modal-ux button.close-modal").click()

    # "Try it out" on GET /users/me now sends the bearer token the flow obtained.
    me = steps.wait_for(By.CSS_SELECTOR, "[id$='users_current_user_users_me_get']")
    me.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    steps.wait_for(By.CSS_SELECTOR, "[id$='users_current_user_users_me_get'] .try-out__btn").click()
    steps.wait_for(By.CSS_SELECTOR, "[id$='users_current_user_users_me_get'] .execute").click()
    WebDriverWait(d, WAIT).until(
        lambda _: email in " ".join(e.text for e in d.find_elements(By.CSS_SELECTOR, ".live-responses-table .response-col_description"))
    )
    check(True, "GET /users/me from the docs UI answers the signed-in user")
    steps.shot("full-docs-users-me")


def oidc_flow(steps: Steps, music: Server, provider: OidcProvider) -> None:
    """Sign in to music through the OpenID provider, in the browser, and back."""
    d = steps.driver
    d.get(f"{music.base}/signin")
    steps.wait_for(By.ID, "oidc-signin").click()
    WebDriverWait(d, WAIT).until(lambda _: d.current_url.startswith(provider.issuer))
    check(True, "Sign in with OpenID goes to the provider's sign-in page")
    steps.shot("oidc-provider-signin")
    steps.wait_for(By.NAME, "login").send_keys("reader@example.com")
    d.find_element(By.NAME, "password").send_keys("provider-password")
    d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    steps.wait_url("/profile")
    username = steps.wait_for(By.ID, "current-username").text
    check(username.startswith("reader-"), f"signed in as a new user named from the address ({username})")
    check("reader@example.com" in steps.body_text(), "the profile shows the provider's address")
    steps.shot("oidc-signed-in-profile")
    names = [c["name"] for c in d.get_cookies()]
    check("MusicText" in names, "the MusicText cookie is set")
    check("fastapiusersoauthcsrf" not in names, "the flow's CSRF cookie is cleared")
    steps.wait_for(By.ID, "signout").click()
    steps.wait_url("/signin")
    steps.shot("oidc-signed-out")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="axum-users-browser-"))
    admin_email, admin_password = "admin@example.com", "an admin password"
    servers: list[Server | OidcProvider] = []
    driver = None
    try:
        music = Server("music", work)
        servers.append(music)
        full = Server("full", work, {"ADMIN_EMAIL": admin_email, "ADMIN_PASSWORD": admin_password})
        servers.append(full)
        social_port = free_port()
        provider = OidcProvider(
            work,
            "music",
            "music-client-secret",
            f"http://127.0.0.1:{social_port}/oauth/callback",
            {
                "sub": "sub-reader",
                "email": "reader@example.com",
                "email_verified": True,
                "password": "provider-password",
            },
        )
        servers.append(provider)
        social_dir = work / "social"
        social_dir.mkdir()
        social = Server(
            "music",
            social_dir,
            {
                "OIDC_ISSUER": provider.issuer,
                "OIDC_CLIENT_ID": "music",
                "OIDC_CLIENT_SECRET": "music-client-secret",
            },
            port=social_port,
        )
        servers.append(social)
        driver = browser()
        steps = Steps(driver)
        music_flow(steps, music)
        docs_flow(steps, full, admin_email, admin_password)
        oidc_flow(steps, social, provider)
        print(f"browser test passed; screenshots in {SHOTS}")
        return 0
    except Exception:
        if driver is not None:
            try:
                Steps(driver).shot("failure")
            except Exception:  # noqa: BLE001 (best effort)
                pass
        for server in servers:
            server.log.flush()
            print(f"--- {server.log.name} ---", file=sys.stderr)
            print(Path(server.log.name).read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        if driver is not None:
            driver.quit()
        for server in servers:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
