# Shared by ./run and ./test: idempotent, non-interactive set-up of what walkapp needs.
# Sourced, not executed.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Install a Debian package only when its command is missing (root or sudo).
need_system_package() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  say "Installing $2 (system package)"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2"
}

need_debian_package() { # package (one without a command of its own: fonts)
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" && return 0
  say "Installing $1 (system package)"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$1"
}

setup_python() {
  local python=${PYTHON:-python3}
  if [ ! -x "$PY" ]; then
    say "Creating the virtual environment (.venv)"
    "$python" -m venv "$VENV"
  fi
  # Reinstall only when the dependencies changed.
  local stamp="$VENV/.walkapp-deps" want
  want=$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "Installing walkapp and its dependencies"
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check -e "$ROOT[dev]"
    echo "$want" >"$stamp"
  fi
}

setup_node() {
  [ -f "$ROOT/package.json" ] || return 0
  need_system_package npm npm
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules" ]; then
    say "Installing front-end packages (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) && touch "$ROOT/node_modules"
  fi
}

# PostgreSQL for the tests: start the local server if it does not answer, create the database.
ensure_postgres() { # url like postgresql+psycopg://postgres@127.0.0.1:5432/test
  local url=$1 rest host port dbname user
  rest=${url#*://}
  user=${rest%%@*}
  rest=${rest#*@}
  host=${rest%%:*}
  port=${rest#*:}
  port=${port%%/*}
  dbname=${rest##*/}
  if ! pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
    need_system_package pg_ctlcluster postgresql
    say "Starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" && break; sleep 1; done
  fi
  pg_isready -h "$host" -p "$port" || { echo "PostgreSQL does not answer at $host:$port" >&2; return 1; }
  if ! psql -h "$host" -p "$port" -U "$user" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$dbname'" | grep -q 1; then
    say "Creating the database $dbname"
    psql -h "$host" -p "$port" -U "$user" -d postgres -qc "CREATE DATABASE \"$dbname\""
  fi
}

# Redis for the tests of the shared failure limits: start a local server if none answers.
ensure_redis() { # url like redis://127.0.0.1:6379/15
  local rest host port
  rest=${1#*://}
  rest=${rest%%/*}
  host=${rest%%:*}
  port=${rest#*:}
  if ! redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1; then
    need_system_package redis-server redis-server
    say "Starting Redis"
    redis-server --bind "$host" --port "$port" --daemonize yes --save "" --appendonly no >/dev/null
    for _ in $(seq 1 30); do redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1 && break; sleep 1; done
  fi
  redis-cli -h "$host" -p "$port" ping >/dev/null || { echo "Redis does not answer at $host:$port" >&2; return 1; }
}
