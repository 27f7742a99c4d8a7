"""Tests of pyfix.verify, the address verification service."""
