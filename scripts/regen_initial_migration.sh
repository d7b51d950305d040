#!/usr/bin/env bash
# Until the first release, the schema is one migration rebuilt from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/0001_initial_schema.py
DATABASE_URL="sqlite:///$tmp/empty.db" .venv/bin/python -m alembic -c alembic.ini revision \
  --autogenerate -m "initial schema" --rev-id 0001 >/dev/null
rm -rf "$tmp"
echo "regenerated migrations/versions/0001_initial_schema.py"
