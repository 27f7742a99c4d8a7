.venv/bin/python tests/golden/policy/record.py   # as root, Postfix 3.7.11 (Debian)
