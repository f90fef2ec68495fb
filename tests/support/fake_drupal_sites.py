"""Ready-made fake sites that answer as real Drupal does (INTEGRATIONS.md §4.1, §4.5b).

* :func:`drupal7` — 7.103 under Apache: ``Drupal 7 (http://drupal.org)``, the 1978
  ``Expires``, ``Drupal.settings``, ``/CHANGELOG.txt``, "already installed", 403s,
  ``settings.php`` as 200 with an empty body; ``clean_urls=False`` makes unknown paths
  answer the front page (routes then live at ``/?q=…``).
* :func:`drupal10` — aggregation off (``?v=10.2.3`` on core JS) or on (hashed files,
  version unknown); ``ajaxPageState.libraries`` compressed from 10.3 on.
* :func:`drupal8` — 8.3.7 whose ``/core/CHANGELOG.txt`` still names the version.
* :func:`hardened` and :func:`careless` — every check passing, every check failing.
* :func:`plain` — a site that is not Drupal; :func:`broken` answers 5xx everywhere.

Each returns a fresh :class:`~tests.support.fake_drupal.FakeSite` to adjust freely.
"""

from __future__ import annotations

import base64
import json
import zlib

from tests.support.fake_drupal import FakeSite, Page

EXPIRES_1978 = "Sun, 19 Nov 1978 05:00:00 GMT"
TEXT = "text/plain; charset=UTF-8"
LIBRARIES = "core/drupal,core/once,olivero/global-styling,system/base,views/views.module"
HARDENING = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'self'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
TWIG_DEBUG = """
<!-- THEME DEBUG -->
<!-- THEME HOOK: 'html' -->
<!-- FILE NAME SUGGESTIONS:
   * html--front.html.twig
   x html.html.twig
-->
<!-- BEGIN OUTPUT from 'core/themes/olivero/templates/layout/html.html.twig' -->"""
SETTINGS_SOURCE = """<?php
$databases['default']['default'] = [
  'database' => 'drupal', 'username' => 'drupal', 'password' => 'hunter2',
  'host' => 'localhost', 'driver' => 'mysql',
];
$settings['hash_salt'] = 'n0t-so-secret';
"""
PHP_FILE = "<?php\n\n/**\n * @file\n */\n"
HTACCESS = "# Apache/PHP/Drupal settings:\nOptions -Indexes\nRewriteEngine on\n"
SQLITE = b"SQLite format 3\x00" + b"\x10\x00\x01\x01" + bytes(80)
LISTING = """<html><head><title>Index of /{path}</title></head><body>
<h1>Index of /{path}</h1><hr><pre><a href="../">../</a>
<a href="styles/">styles/</a>      01-Mar-2025 10:12       -
</pre><hr></body></html>"""
UPDATE_PAGE = """<!DOCTYPE html><html><head><title>Drupal database update | Example</title>
</head><body><h1>Drupal database update</h1><p>Use this utility to update your database
whenever a new release of Drupal or a module is installed.</p>
<a href="/update.php/selection" class="button button--primary">Continue</a></body></html>"""
INSTALL_FORM = """<!DOCTYPE html><html><head><title>Choose language | Drupal</title></head>
<body><h1>Choose language</h1><form class="install-select-language-form"
data-drupal-selector="install-select-language-form" action="/core/install.php"
method="post" id="install-select-language-form"><select name="langcode"></select>
<input type="submit" value="Save and continue"></form></body></html>"""
ALREADY_INSTALLED = """<!DOCTYPE html><html><head><title>Drupal already installed | Drupal</title>
</head><body><h1>Drupal already installed</h1><ul><li>To start over, you must empty your
existing database and copy <em>default.settings.php</em> over <em>settings.php</em>.</li>
<li>To upgrade an existing installation, proceed to the <a href="/update.php">update
script</a>.</li></ul></body></html>"""
ACCESS_DENIED = (
    "<html><head><title>Access denied | Example</title></head><body>Access denied</body></html>"
)
REGISTER_FORM = """<html><head><title>Create new account | Example</title></head><body>
<form class="user-register-form user-form" data-drupal-selector="user-register-form"
action="/user/register" method="post" id="user-register-form" accept-charset="UTF-8">
<input type="email" name="mail"><input type="text" name="name"></form></body></html>"""
PROFILE = """<html><head><title>admin | Example</title></head><body><h1><span>admin</span></h1>
<article typeof="schema:Person" about="/user/1" class="profile">Member for 3 years</article>
</body></html>"""
STATUS_REPORT = """<html><head><title>Status report | Example</title></head><body>
<h1>Status report</h1><div class="system-status-general-info">Drupal Version 10.2.3</div>
</body></html>"""


def compress(text: str) -> str:
    """Drupal 10.3+'s ``UrlHelper::compressQueryParameter()``: base64url(zlib(text))."""
    return base64.urlsafe_b64encode(zlib.compress(text.encode())).decode().rstrip("=")


def _at_least(version: str, major: int, minor: int) -> bool:
    parts = [int(p) for p in version.split("-")[0].split(".")[:2]]
    return parts >= [major, minor]


def _d10_home(version: str, aggregation: bool, title: str, extra: str = "") -> str:
    libraries = compress(LIBRARIES) if _at_least(version, 10, 3) else LIBRARIES
    settings = {
        "path": {"baseUrl": "/", "currentPath": "node", "isFront": True},
        "ajaxPageState": {"libraries": libraries, "theme": "olivero", "theme_token": None},
        "user": {"uid": 0},
    }
    major = version.split(".")[0]
    if aggregation:
        include = compress(LIBRARIES)
        scripts = (
            '<script src="/sites/default/files/js/js_QnR2bW3x.js?scope=footer&amp;delta=0'
            f'&amp;language=en&amp;theme=olivero&amp;include={include}"></script>'
        )
        styles = '<link rel="stylesheet" href="/sites/default/files/css/css_Xy9Qa.css?delta=0">'
    else:
        scripts = "\n".join(
            f'<script src="{src}"></script>'
            for src in (
                "/core/assets/vendor/jquery/jquery.min.js?v=3.7.1",
                "/core/assets/vendor/once/once.min.js?v=1.0.1",
                f"/core/misc/drupalSettingsLoader.js?v={version}",
                f"/core/misc/drupal.js?v={version}",
                f"/core/misc/drupal.init.js?v={version}",
            )
        )
        styles = '<link rel="stylesheet" href="/core/themes/olivero/css/base/base.css?sabc12">'
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr"><head><meta charset="utf-8" />
<meta name="Generator" content="Drupal {major} (https://www.drupal.org)" />
<title>{title}</title>{styles}</head>
<body>{extra}<div class="dialog-off-canvas-main-canvas"><h1>Welcome!</h1></div>
<script type="application/json" data-drupal-selector="drupal-settings-json">
{json.dumps(settings)}</script>
{scripts}
</body></html>"""


def drupal10(version: str = "10.2.3", *, aggregation: bool = False) -> FakeSite:
    """A default Drupal 10 site under Apache: core headers, "already installed",
    403 on update.php and admin routes, visitors may register (Drupal's default)."""
    major = version.split(".")[0]
    headers = {
        "X-Generator": f"Drupal {major} (https://www.drupal.org)",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Content-Language": "en",
        "Expires": EXPIRES_1978,
        "Cache-Control": "must-revalidate, no-cache, private",
        "X-Drupal-Dynamic-Cache": "MISS",
        "Server": "Apache/2.4.62 (Debian)",
    }
    pages = {
        "/": Page(200, _d10_home(version, aggregation, "Welcome! | Example")),
        "/update.php": Page(403, ACCESS_DENIED),
        "/core/install.php": Page(200, ALREADY_INSTALLED),
        "/sites/default/settings.php": Page(200, ""),
        "/user/register": Page(200, REGISTER_FORM),
        "/user/1": Page(403, ACCESS_DENIED),
        "/admin": Page(403, ACCESS_DENIED),
        "/admin/reports/status": Page(403, ACCESS_DENIED),
    }
    forbidden = ["/.htaccess", "/web.config", "/composer.json", "/composer.lock",
                 "/package.json", "/core/core.services.yml", "/.git/HEAD", "/.env",
                 "/core/modules/system/system.module", "/core/includes/bootstrap.inc",
                 "/sites/default/files/.ht.sqlite", "/sites/default/files/", "/core/",
                 "/modules/"]  # fmt: skip
    pages.update({path: Page(403, ACCESS_DENIED) for path in forbidden})
    return FakeSite(pages=pages, headers=headers)


def drupal8(version: str = "8.3.7") -> FakeSite:
    """An old Drupal 8 with aggregation on; ``/core/CHANGELOG.txt`` names its version."""
    site = drupal10(version, aggregation=True)
    site.pages["/core/CHANGELOG.txt"] = Page(
        200,
        f"Drupal {version}, 2017-08-16\n---------------------------\n- Fixed a bug.\n",
        {},
        TEXT,
    )
    return site


def drupal7(version: str = "7.103", *, clean_urls: bool = True) -> FakeSite:
    """Drupal 7 under Apache with its ``.htaccess`` (§4.5b)."""
    home = """<!DOCTYPE html><html><head profile="http://www.w3.org/1999/xhtml/vocab">
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<meta name="Generator" content="Drupal 7 (http://drupal.org)" />
<title>Welcome to Example | Example</title>
<style type="text/css" media="all">@import url("/modules/system/system.base.css?sb1x2y");</style>
<script type="text/javascript" src="/misc/jquery.js?v=1.4.4"></script>
<script type="text/javascript" src="/misc/drupal.js?sb1x2y"></script>
<script type="text/javascript">
<!--//--><![CDATA[//><!--
jQuery.extend(Drupal.settings, {"basePath":"\\/","pathPrefix":"",
"ajaxPageState":{"theme":"bartik"}});
//--><!]]>
</script></head><body class="html front not-logged-in"><h1>Welcome</h1></body></html>"""
    headers = {
        "X-Generator": "Drupal 7 (http://drupal.org)",
        "Expires": EXPIRES_1978,
        "Cache-Control": "no-cache, must-revalidate",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Content-Language": "en",
        "Server": "Apache/2.4.62 (Debian)",
    }
    changelog = f"Drupal {version}, 2024-12-04\n-----------------------\n- Fixed security issues.\n"
    routes = {
        "user/register": Page(200, REGISTER_FORM),
        "user/1": Page(403, ACCESS_DENIED),
        "admin": Page(403, ACCESS_DENIED),
        "admin/reports/status": Page(403, ACCESS_DENIED),
    }
    prefix = "/" if clean_urls else "/?q="
    pages = {
        "/": Page(200, home),
        "/CHANGELOG.txt": Page(200, changelog, {}, TEXT),
        "/install.php": Page(200, ALREADY_INSTALLED.replace(" | Drupal", "")),
        "/update.php": Page(403, ACCESS_DENIED),
        "/sites/default/settings.php": Page(200, ""),
        **{prefix + route: page for route, page in routes.items()},
    }
    forbidden = ["/.htaccess", "/web.config", "/modules/system/system.module",
                 "/includes/bootstrap.inc", "/sites/default/files/", "/misc/", "/modules/",
                 "/.git/HEAD"]  # fmt: skip
    pages.update({path: Page(403, ACCESS_DENIED) for path in forbidden})
    return FakeSite(pages=pages, headers=headers, front_page_fallback=not clean_urls)


def hardened(version: str = "10.3.6") -> FakeSite:
    """A careful Drupal 10: aggregation on, every hardening header, 403 wherever a
    stranger should not look (the installer and registration included)."""
    site = drupal10(version, aggregation=True)
    site.headers.update(HARDENING)
    for path in ("/core/install.php", "/sites/default/settings.php", "/user/register",
                 "/vendor/composer/installed.json"):  # fmt: skip
        site.pages[path] = Page(403, ACCESS_DENIED)
    return site


def careless(version: str = "10.2.3") -> FakeSite:
    """Everything wrong at once: a server that ignores ``.htaccess`` and a site left in
    development mode (debug headers, Twig debug, open update.php and installer, …)."""
    site = drupal10(version, aggregation=False)
    for name in ("X-Content-Type-Options", "X-Frame-Options"):
        del site.headers[name]  # stripped by a proxy
    site.headers.update({
        "X-Drupal-Cache-Tags": "config:system.site node_list rendered",
        "X-Drupal-Cache-Contexts": "languages:language_interface theme url.path user.permissions",
        "X-Drupal-Cache-Max-Age": "-1 (Permanent)",
    })  # fmt: skip
    home = _d10_home(version, False, "Welcome! | Example", TWIG_DEBUG)
    composer = json.dumps({"name": "drupal/recommended-project", "require": {"drupal/core": "^10"}})
    sources = {
        "/sites/default/settings.php": SETTINGS_SOURCE,
        "/sites/default/settings.php~": SETTINGS_SOURCE,
        "/.env": "DB_PASSWORD=hunter2\nHASH_SALT=abc\n",
        "/.git/HEAD": "ref: refs/heads/main\n",
        "/composer.json": composer,
        "/composer.lock": json.dumps({"packages": [{"name": "drupal/core", "version": "10.2.3"}]}),
        "/package.json": json.dumps({"name": "theme", "devDependencies": {"sass": "^1"}}),
        "/web.config": '<?xml version="1.0"?>\n<configuration><system.webServer/></configuration>',
        "/core/core.services.yml": "parameters:\n  session.storage.options: {}\nservices:\n",
        "/core/modules/system/system.module": PHP_FILE + "function system_help() {}\n",
        "/core/includes/bootstrap.inc": PHP_FILE + "function drupal_valid_test_ua() {}\n",
        "/.htaccess": HTACCESS,
        "/vendor/composer/installed.json": json.dumps(
            {"packages": [{"name": "symfony/http-kernel"}]}
        ),
    }  # fmt: skip
    site.pages.update({path: Page(200, body, {}, TEXT) for path, body in sources.items()})
    site.pages.update({
        "/": Page(200, home),
        "/sites/default/files/.ht.sqlite": Page(200, SQLITE, {}, "application/octet-stream"),
        "/sites/default/files/": Page(200, LISTING.format(path="sites/default/files")),
        "/core/": Page(200, LISTING.format(path="core")),
        "/modules/": Page(200, LISTING.format(path="modules")),
        "/update.php": Page(200, UPDATE_PAGE),
        "/core/install.php": Page(200, INSTALL_FORM),
        "/user/1": Page(200, PROFILE),
        "/admin": Page(200, STATUS_REPORT.replace("Status report", "Administration")),
        "/admin/reports/status": Page(200, STATUS_REPORT),
    })  # fmt: skip
    return site


def plain() -> FakeSite:
    """A static site that is not Drupal (nginx, no Drupal headers or markup)."""
    home = "<!DOCTYPE html><html><head><title>Acme</title></head><body>Hello</body></html>"
    return FakeSite(pages={"/": Page(200, home)}, headers={"Server": "nginx/1.24.0"})


def broken(status: int = 503) -> FakeSite:
    """A site whose every answer is ``status`` (a Drupal behind a failing backend)."""
    error = Page(status, "<h1>Service unavailable</h1>")
    return FakeSite(pages={}, not_found=error, headers={"Server": "nginx/1.24.0"})
