"""Test certificates for the fake Drupal sites, made at test time with the ``openssl``
command line (``cryptography`` and ``trustme`` are not installed in the venv).

One private CA signs leaves for 127.0.0.1/localhost valid for 90, 10 and 3 days, and
an expired one (``openssl ca`` is the only 3.0 command that takes explicit dates); a
self-signed leaf stands apart. Made once per test process, in a temporary directory.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SAN = "subjectAltName=IP:127.0.0.1,DNS:localhost"
LEAF_EXTENSIONS = f"""\
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
{SAN}
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
"""
CA_CONFIG = """\
[ca]
default_ca = test_ca
[test_ca]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = any_name
unique_subject = no
[any_name]
commonName = supplied
"""


@dataclass(frozen=True)
class Pair:
    """A certificate and its key (PEM files)."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class Certificates:
    """``ca``: the bundle that trusts ``valid``, ``soon`` (10 days), ``very_soon``
    (3 days) and ``expired``; ``self_signed`` is trusted by nobody."""

    ca: Path
    valid: Pair
    soon: Pair
    very_soon: Pair
    expired: Pair
    self_signed: Pair


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def _key_and_request(directory: Path, name: str) -> Path:
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key",
             cwd=directory)  # fmt: skip
    _openssl("req", "-new", "-key", f"{name}.key", "-subj", "/CN=127.0.0.1",
             "-out", f"{name}.csr", cwd=directory)  # fmt: skip
    return directory / f"{name}.key"


def _leaf(directory: Path, name: str, days: int) -> Pair:
    key = _key_and_request(directory, name)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", str(days), "-extfile", "leaf.ext",
             "-out", f"{name}.pem", cwd=directory)  # fmt: skip
    return Pair(directory / f"{name}.pem", key)


def _expired(directory: Path) -> Pair:
    key = _key_and_request(directory, "expired")
    (directory / "index.txt").write_text("")
    (directory / "serial").write_text("1000\n")
    (directory / "ca.cnf").write_text(CA_CONFIG.format(dir=directory))
    _openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
             "-in", "expired.csr", "-out", "expired.pem", "-notext", "-extfile", "leaf.ext",
             "-startdate", "20200101000000Z", "-enddate", "20200201000000Z",
             cwd=directory)  # fmt: skip
    return Pair(directory / "expired.pem", key)


@functools.cache
def certificates() -> Certificates:
    """Make (once) and return every test certificate (skips, or fails in CI, without
    the ``openssl`` command)."""
    if shutil.which("openssl") is None:
        import pytest

        from tests.conftest import IN_CI

        message = "the site-check TLS tests need the openssl command: apt-get install openssl"
        if IN_CI:
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    directory = Path(tempfile.mkdtemp(prefix="fake-drupal-tls-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    (directory / "leaf.ext").write_text(LEAF_EXTENSIONS)
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "365",
             "-subj", "/CN=SLA Hub test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)  # fmt: skip
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", "self.key", "-out", "self.pem", "-days", "365",
             "-subj", "/CN=127.0.0.1", "-addext", SAN, cwd=directory)  # fmt: skip
    return Certificates(
        ca=directory / "ca.pem",
        valid=_leaf(directory, "valid", 90),
        soon=_leaf(directory, "soon", 10),
        very_soon=_leaf(directory, "very_soon", 3),
        expired=_expired(directory),
        self_signed=Pair(directory / "self.pem", directory / "self.key"),
    )
