"""Security primitives and policy: keys and envelope encryption, key backup (Shamir), passwords,
the audit hash chain, and the one policy module that decides reads, writes, redaction and consent.

Everything here is pure (no database); the store and services call into it.
"""
