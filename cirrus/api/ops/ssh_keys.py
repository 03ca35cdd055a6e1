"""Key pair material: checking imported keys, fingerprints, and generating new pairs.

SSH fingerprints are OpenSSH's legacy MD5 form (``aa:bb:...``) over the decoded key blob;
x509 fingerprints are the SHA-1 of the certificate, as Nova computes both.
"""

import base64
import datetime
import hashlib

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cirrus import exception
from cirrus.objects.keypair import TYPE_X509

# The comment Nova puts on the public keys it generates, kept so ours look the same.
_COMMENT = "Generated-by-Nova"
_RSA_BITS = 2048
_CERT_DAYS = 3650


def _colon_hex(digest: str) -> str:
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def _ssh_fingerprint(public_key: str) -> str:
    try:
        # Parsing proves the blob is a well-formed ssh-rsa/ssh-ed25519/ecdsa-* key.
        serialization.load_ssh_public_key(public_key.strip().encode())
        blob = base64.b64decode(public_key.split()[1], validate=True)
    except (ValueError, IndexError, UnicodeError, UnsupportedAlgorithm) as exc:
        # binascii.Error is a ValueError; unknown key types are UnsupportedAlgorithm.
        raise exception.InvalidKeypair(reason="failed to generate fingerprint") from exc
    return _colon_hex(hashlib.md5(blob, usedforsecurity=False).hexdigest())


def _x509_fingerprint(pem: str) -> str:
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except (ValueError, UnicodeError) as exc:
        raise exception.InvalidKeypair(reason="failed to generate fingerprint") from exc
    return _colon_hex(cert.fingerprint(hashes.SHA1()).hex())  # noqa: S303  (Nova's format)


def fingerprint(public_key: str, key_type: str) -> str:
    """The fingerprint of an imported key.

    Raises:
        InvalidKeypair: the key does not parse.
    """
    if key_type == TYPE_X509:
        return _x509_fingerprint(public_key)
    return _ssh_fingerprint(public_key)


def _ssh_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, f"{public} {_COMMENT}"


def _x509_pair(user_id: str) -> tuple[str, str]:
    """A self-signed client certificate for ``user_id`` (for WinRM logins, as in Nova)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user_id)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=_CERT_DAYS))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return private, cert.public_bytes(serialization.Encoding.PEM).decode()


def generate(key_type: str, user_id: str) -> tuple[str, str, str]:
    """A new (private key, public key or certificate, fingerprint)."""
    private, public = _x509_pair(user_id) if key_type == TYPE_X509 else _ssh_pair()
    return private, public, fingerprint(public, key_type)
