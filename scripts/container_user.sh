#!/bin/sh
# In the Docker image: make uid 1000 (the user a Hugging Face Space runs as) a user whose home is /home/user,
# whatever the base image calls it. Recent Ubuntu-based images already have uid 1000, named `ubuntu`, with its
# home in /home/ubuntu; others have none. Either way HOME=/home/user must exist and belong to uid 1000.
#   ROOT=/some/dir scripts/container_user.sh   does the same on a root folder other than / (the tests do)
set -eu
ROOT=${ROOT:-}
HOME_DIR=/home/user
prefix=""
[ -n "$ROOT" ] && prefix="--prefix $ROOT"
name=$(awk -F: '$3 == 1000 { print $1; exit }' "$ROOT/etc/passwd")
if [ -z "$name" ]; then
  # shellcheck disable=SC2086
  useradd $prefix -M -d "$HOME_DIR" -u 1000 -U -s /bin/bash user
else
  # shellcheck disable=SC2086
  usermod $prefix -d "$HOME_DIR" "$name"
fi
mkdir -p "$ROOT$HOME_DIR" "$ROOT/opt/seedui" "$ROOT/app"
chown -R 1000:1000 "$ROOT$HOME_DIR" "$ROOT/opt/seedui" "$ROOT/app"
